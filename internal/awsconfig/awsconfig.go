// Package awsconfig loads the AWS configuration shared by the credstage CLI
// and worker: the default chain, with the variables that matter read
// through an env function as well.
package awsconfig

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/feature/ec2/imds"
)

// Load builds the AWS config from the default chain. The
// variables that matter most are read through env as well, so in-process
// tests can point one command or worker at localaws without touching the process
// environment; in production env is os.Getenv and this changes nothing.
func Load(ctx context.Context, env func(string) string, extra ...func(*config.LoadOptions) error) (aws.Config, error) {
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
	cfg, err := config.LoadDefaultConfig(ctx, append(opts, extra...)...)
	if err != nil {
		return cfg, fmt.Errorf("cannot load the AWS configuration: %w", err)
	}
	return cfg, nil
}

func firstNonEmpty(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
