package stack

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/credstage/credstage/localaws"
)

// LocalAWS is an in-process emulator with an aws.Config pointing at it.
type LocalAWS struct {
	Server *localaws.Server
	URL    string
	Config aws.Config
}

// StartLocalAWS starts an ephemeral emulator; cleanup stops its PostgreSQL
// clusters and removes its data folder.
func StartLocalAWS(t testing.TB) *LocalAWS {
	t.Helper()
	return StartLocalAWSWith(t, localaws.Options{})
}

// StartLocalAWSWith is StartLocalAWS with options (IAM enforcement); the
// emulator is always ephemeral, on a free port.
func StartLocalAWSWith(t testing.TB, opts localaws.Options) *LocalAWS {
	t.Helper()
	opts.Ephemeral, opts.Addr = true, "127.0.0.1:0"
	l, err := StartLocalAWSE(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Server.Close() })
	return l
}

// StartLocalAWSE starts an emulator with the given options.
func StartLocalAWSE(opts localaws.Options) (*LocalAWS, error) {
	srv, err := localaws.New(opts)
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		_ = srv.Close()
		return nil, err
	}
	cfg, err := AWSConfig(srv.URL())
	if err != nil {
		_ = srv.Close()
		return nil, err
	}
	return &LocalAWS{Server: srv, URL: srv.URL(), Config: cfg}, nil
}

// TestAccessKey and TestSecretKey sign the calls of AWSConfig: the tests'
// own clients.
const (
	TestAccessKey = "credstage-test"
	TestSecretKey = "credstage-test"
)

// AWSConfig is the default config chain with static test credentials and the
// endpoint overridden, as AWS_ENDPOINT_URL would do.
func AWSConfig(endpoint string) (aws.Config, error) {
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(TestAccessKey, TestSecretKey, "")),
		config.WithBaseEndpoint(endpoint),
	)
	return cfg, err
}
