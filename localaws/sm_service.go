package localaws

import "context"

// secretsManager emulates AWS Secrets Manager. (Skeleton: replaced by the
// full implementation in sm_*.go.)
type secretsManager struct{ env *env }

func newSecretsManager(e *env) (*secretsManager, error) { return &secretsManager{env: e}, nil }

func (sm *secretsManager) handle(ctx context.Context, c *Call) (any, error) {
	return nil, unknownOperation(c)
}

func (sm *secretsManager) close() error { return nil }

// The Go API RDS uses for the secrets it owns (ManageMasterUserPassword):

// createServiceSecret creates a secret owned by a service (OwningService
// "rds"), with a first AWSCURRENT version holding secretString, and returns
// its ARN.
func (sm *secretsManager) createServiceSecret(name, owningService, description string, tags map[string]string, secretString string) (arn string, err error) {
	return "", errInternal("not built yet")
}

// putServiceSecretValue adds a new AWSCURRENT version (AWSPREVIOUS follows).
func (sm *secretsManager) putServiceSecretValue(arn, secretString string) error {
	return errInternal("not built yet")
}

// currentSecretString reads the AWSCURRENT value of a secret by ARN.
func (sm *secretsManager) currentSecretString(arn string) (string, error) {
	return "", errInternal("not built yet")
}

// deleteServiceSecret removes a service-owned secret at once.
func (sm *secretsManager) deleteServiceSecret(arn string) error {
	return errInternal("not built yet")
}
