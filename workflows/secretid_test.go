package workflows

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSecretName(t *testing.T) {
	tests := map[string]string{
		"staging/orders/app": "staging/orders/app",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:staging/orders/app-AbC123":   "staging/orders/app",
		"arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:rds!db-1a2b-3c4d-9zY8xW": "rds!db-1a2b-3c4d",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:short":                       "short",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:name-with-dash-ab_cde":       "name-with-dash-ab_cde",
		"  spaced/name  ":     "spaced/name",
		"odd name\twith\ttab": "odd_name_with_tab",
		"app-AbC123":          "app-AbC123", // a name, not an ARN: kept as written
	}
	for in, want := range tests {
		assert.Equal(t, want, SecretName(in), in)
	}
	assert.Equal(t, "rotate/staging/orders/app", SecretWorkflowID("arn:aws:secretsmanager:us-east-1:123456789012:secret:staging/orders/app-AbC123"))
	assert.Equal(t, SecretWorkflowID("staging/orders/app"), SecretWorkflowID("arn:aws:secretsmanager:us-east-1:123456789012:secret:staging/orders/app-AbC123"))
}
