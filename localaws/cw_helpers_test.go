package localaws

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
)

// startCWServer runs an emulator for one test and returns it with a real
// CloudWatch client (RPC v2 CBOR) pointed at it.
func startCWServer(t *testing.T, opts Options) (*Server, *cloudwatch.Client) {
	t.Helper()
	if opts.DataDir == "" {
		opts.Ephemeral = true
	}
	opts.Addr = "127.0.0.1:0"
	srv, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv, newCWClient(srv.URL())
}

func newCWClient(url string) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: "AKIDCWTEST", SecretAccessKey: "cw-test-secret"}, nil
		}),
		RetryMaxAttempts: 1,
	})
}

func cwCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// cwFakeClock is a settable clock for alarm periods and timestamp limits.
type cwFakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *cwFakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *cwFakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// useCWFakeClock makes the server's CloudWatch run on a fake clock starting
// at a whole minute.
func useCWFakeClock(srv *Server) *cwFakeClock {
	clock := &cwFakeClock{now: time.Now().UTC().Truncate(time.Minute)}
	srv.cw.setClock(clock.Now)
	return clock
}

// requireCWError checks an SDK error's code (what smithy.APIError reports,
// the awsQuery code for CloudWatch) and that its message mentions msgPart.
func requireCWError(t *testing.T, err error, code, msgPart string) smithy.APIError {
	t.Helper()
	if err == nil {
		t.Fatalf("want error %s, got success", code)
	}
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want smithy.APIError %s, got %T: %v", code, err, err)
	}
	if apiErr.ErrorCode() != code {
		t.Fatalf("want error code %s, got %s: %s", code, apiErr.ErrorCode(), apiErr.ErrorMessage())
	}
	if !strings.Contains(apiErr.ErrorMessage(), msgPart) {
		t.Fatalf("error message %q does not mention %q", apiErr.ErrorMessage(), msgPart)
	}
	return apiErr
}

func cwDim(name, value string) cwtypes.Dimension {
	return cwtypes.Dimension{Name: aws.String(name), Value: aws.String(value)}
}

func cwPut(t *testing.T, c *cloudwatch.Client, ns string, datums ...cwtypes.MetricDatum) {
	t.Helper()
	if _, err := c.PutMetricData(cwCtx(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String(ns), MetricData: datums}); err != nil {
		t.Fatalf("PutMetricData: %v", err)
	}
}

func cwAlarmState(t *testing.T, c *cloudwatch.Client, name string) cwtypes.MetricAlarm {
	t.Helper()
	out, err := c.DescribeAlarms(cwCtx(t), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{name}})
	if err != nil {
		t.Fatalf("DescribeAlarms: %v", err)
	}
	if len(out.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms %s: want 1 alarm, got %d", name, len(out.MetricAlarms))
	}
	return out.MetricAlarms[0]
}
