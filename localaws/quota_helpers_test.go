package localaws

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// startQuotaServer runs an emulator in quota mode whose buckets run on a
// frozen clock: a test refills them by moving the clock, never sleeping.
func startQuotaServer(t *testing.T, opts Options) (*Server, *cwFakeClock) {
	t.Helper()
	srv, _ := startSMServer(t, opts)
	clock := &cwFakeClock{now: time.Now()}
	srv.quotas.setClock(clock.Now)
	return srv, clock
}

// noRetries is a retryer that makes one attempt, so a throttled call
// reaches the test instead of being retried by the SDK.
func noRetries() aws.Retryer { return retry.AddWithMaxAttempts(retry.NewStandard(), 1) }

func quotaSMClient(srv *Server, region, key, secret string) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{Region: region, BaseEndpoint: aws.String(srv.URL()),
		Credentials: staticCreds(key, secret), Retryer: noRetries()})
}

func quotaRDSClient(srv *Server) *rds.Client {
	return rds.New(rds.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: staticCreds("AKIDQUOTATEST", "s"), Retryer: noRetries()})
}

func quotaCWClient(srv *Server) *cloudwatch.Client {
	return cloudwatch.New(cloudwatch.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: staticCreds("AKIDQUOTATEST", "s"), Retryer: noRetries()})
}

// requireThrottled checks the SDK saw the service's throttling error:
// the code, HTTP 400, AWS's message, and the SDK's own verdict that it is
// a throttle (what its retryer backs off on).
func requireThrottled(t *testing.T, err error, code string) {
	t.Helper()
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if apiErr.ErrorCode() != code || apiErr.ErrorMessage() != msgRateExceeded {
		t.Fatalf("got %s %q, want %s %q", apiErr.ErrorCode(), apiErr.ErrorMessage(), code, msgRateExceeded)
	}
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
		t.Fatalf("%s: want HTTP 400, got %v", code, err)
	}
	if retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) != aws.TrueTernary {
		t.Fatalf("the SDK does not classify %s as a throttle", code)
	}
}

// requireNoErr fails on an error, naming the call.
func requireNoErr(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// quotaCounts counts the log's entries for op: served and throttled.
func quotaCounts(srv *Server, op string) (served, throttled int) {
	for _, e := range srv.Requests().Entries() {
		switch {
		case e.Op != op:
		case e.Throttled:
			throttled++
		default:
			served++
		}
	}
	return served, throttled
}
