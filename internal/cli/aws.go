package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// LoadAWSConfig builds the AWS config from the default chain. The
// variables that matter most are read through env as well, so in-process
// tests can point one command at localaws without touching the process
// environment; in production env is os.Getenv and this changes nothing.
func LoadAWSConfig(ctx context.Context, env func(string) string) (aws.Config, error) {
	var opts []func(*config.LoadOptions) error
	region := firstNonEmpty(env("AWS_REGION"), env("AWS_DEFAULT_REGION"))
	endpoint := env("AWS_ENDPOINT_URL")
	if region == "" && endpoint != "" {
		region = "us-east-1" // an emulator ignores regions but the SDK needs one
	}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	if endpoint != "" {
		opts = append(opts, config.WithBaseEndpoint(endpoint))
	}
	if id, secret := env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"); id != "" && secret != "" {
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(id, secret, env("AWS_SESSION_TOKEN"))))
	}
	if p := env("AWS_PROFILE"); p != "" {
		opts = append(opts, config.WithSharedConfigProfile(p))
	}
	if env("AWS_EC2_METADATA_DISABLED") == "true" {
		opts = append(opts, config.WithEC2IMDSClientEnableState(imds.ClientDisabled))
	}
	// A person is waiting: two tries, not the default three with backoff.
	opts = append(opts, config.WithRetryMaxAttempts(2))
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return cfg, fmt.Errorf("cannot load the AWS configuration: %w", err)
	}
	return cfg, nil
}

// secretsClient is the Secrets Manager client of the CLI; it only ever
// reads metadata (ListSecrets, DescribeSecret).
func (a *app) secretsClient(ctx context.Context) (*secretsmanager.Client, error) {
	if a.sm != nil {
		return a.sm, nil
	}
	cfg, err := LoadAWSConfig(ctx, a.env)
	if err != nil {
		return nil, withCode(ExitUnreachable, err)
	}
	a.sm = secretsmanager.NewFromConfig(cfg)
	return a.sm, nil
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
