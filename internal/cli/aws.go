package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/credstage/credstage/internal/awsconfig"
	"github.com/credstage/credstage/internal/plan"
)

// secretsClient is the Secrets Manager client of the CLI; it only ever
// reads metadata (ListSecrets, DescribeSecret).
func (a *app) secretsClient(ctx context.Context) (*secretsmanager.Client, error) {
	if a.sm != nil {
		return a.sm, nil
	}
	// A person is waiting: two tries, not the default three with backoff.
	cfg, err := awsconfig.Load(ctx, a.env, config.WithRetryMaxAttempts(2))
	if err != nil {
		return nil, withCode(ExitUnreachable, err)
	}
	a.sm = secretsmanager.NewFromConfig(cfg)
	return a.sm, nil
}

// awsMessage says whether AWS was unreachable or refused the call.
func awsMessage(e *plan.AWSError) string {
	service := "AWS Secrets Manager"
	for _, op := range []string{"ListMetrics", "GetMetricData", "GetDashboard", "PutDashboard"} {
		if strings.HasPrefix(e.Op, op) {
			service = "Amazon CloudWatch"
		}
	}
	var apiErr smithy.APIError
	if errors.As(e.Err, &apiErr) {
		return fmt.Sprintf("%s refused %s: %s", service, e.Op, awsCause(e.Err))
	}
	return fmt.Sprintf("cannot reach %s (%s): %s", service, e.Op, awsCause(e.Err))
}

// awsCause reduces an SDK error to its cause: the service's error code and
// message, or the network failure.
func awsCause(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) {
		return fmt.Sprintf("cannot connect to %s: %s", opErr.Addr, opErr.Err)
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ", "); i >= 0 && strings.HasPrefix(msg, "operation error") {
		msg = msg[i+2:]
	}
	return msg
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
