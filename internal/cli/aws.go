package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
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

// cloudWatchClient is the CloudWatch client of the CLI, with the same
// two tries.
func (a *app) cloudWatchClient(ctx context.Context) (*cloudwatch.Client, error) {
	cfg, err := awsconfig.Load(ctx, a.env, config.WithRetryMaxAttempts(2))
	if err != nil {
		return nil, withCode(ExitUnreachable, err)
	}
	return cloudwatch.NewFromConfig(cfg), nil
}

// awsMessage says whether AWS was unreachable or refused the call.
func awsMessage(e *plan.AWSError) string {
	service := "Secrets Manager"
	var opErr *smithy.OperationError
	if errors.As(e.Err, &opErr) && opErr.ServiceID != "" {
		service = opErr.ServiceID
	}
	var apiErr smithy.APIError
	if errors.As(e.Err, &apiErr) {
		return fmt.Sprintf("AWS %s refused %s: %s", service, e.Op, awsCause(e.Err))
	}
	return fmt.Sprintf("cannot reach AWS %s (%s): %s", service, e.Op, awsCause(e.Err))
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

// environmentsOrManaged are the environments a command was given, else
// every environment credstage manages (the Environment tags of its
// secrets), sorted, each once; none at all is bad input.
func (a *app) environmentsOrManaged(ctx context.Context, given []string) ([]string, error) {
	envs := slices.Clone(given)
	if len(envs) == 0 {
		sm, err := a.secretsClient(ctx)
		if err != nil {
			return nil, err
		}
		if envs, err = plan.ManagedEnvironments(ctx, sm); err != nil {
			return nil, err
		}
		if len(envs) == 0 {
			return nil, badInput("no environment found: no secret is tagged %s=true with an %s tag; name one with --environment", plan.TagManaged, plan.TagEnvironment)
		}
	}
	slices.Sort(envs)
	return slices.Compact(envs), nil
}
