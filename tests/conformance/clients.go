//go:build conformance

package main

import (
	"net/http"

	"context"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// clients are the SDK clients credstage itself builds, pointed at one
// emulator. Retries are off: a throttle or a 500 is an answer to compare,
// not something to hide.
type clients struct {
	sm  *secretsmanager.Client
	rds *rds.Client
	cw  *cloudwatch.Client
}

// cwEndpoint is where CloudWatch calls go: the emulator itself, or the
// CBOR bridge in front of moto (cwbridge.go).
func newClients(endpoint, cwEndpoint string) (*clients, error) {
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("conformance", "conformance", "")),
		config.WithBaseEndpoint(endpoint),
		config.WithRetryMaxAttempts(1),
		// A fresh connection per call: the SDK may find a kept-alive
		// connection closed under it while reading an answer, and without
		// retries that would show as a difference nobody made.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { t.DisableKeepAlives = true })),
	)
	if err != nil {
		return nil, err
	}
	return &clients{
		sm:  secretsmanager.NewFromConfig(cfg),
		rds: rds.NewFromConfig(cfg),
		cw:  cloudwatch.NewFromConfig(cfg, func(o *cloudwatch.Options) { o.BaseEndpoint = &cwEndpoint }),
	}, nil
}

// client is the SDK client of a service, for the reflective call in run.go.
func (c *clients) client(svc service) any {
	switch svc {
	case sm:
		return c.sm
	case rdsSvc:
		return c.rds
	default:
		return c.cw
	}
}
