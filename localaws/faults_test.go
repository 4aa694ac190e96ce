package localaws

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

// TestFaultMatchesAccessKey: a fault limited to one access key leaves the
// calls of every other key alone, so a test can fault the worker and
// still read state with its own client.
func TestFaultMatchesAccessKey(t *testing.T) {
	srv, cw := startCWServer(t, Options{}) // signs as AKIDCWTEST
	ctx := cwCtx(t)
	other := srv.Faults().Add(Fault{Service: svcCloudWatch, Op: "ListMetrics", Code: "ThrottlingException", AccessKey: "someone-else"})
	if _, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{}); err != nil {
		t.Fatalf("a fault for another access key hit this one: %v", err)
	}
	if srv.Faults().Hits(other) != 0 {
		t.Fatal("hits counted for a call the fault did not match")
	}
	mine := srv.Faults().Add(Fault{Service: svcCloudWatch, Op: "ListMetrics", Code: "ThrottlingException", AccessKey: "AKIDCWTEST", Count: 1})
	_, err := cw.ListMetrics(ctx, &cloudwatch.ListMetricsInput{})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "ThrottlingException" {
		t.Fatalf("want the injected ThrottlingException, got %v", err)
	}
	if srv.Faults().Hits(mine) != 1 {
		t.Fatalf("hits %d, want 1", srv.Faults().Hits(mine))
	}
}

// TestFaultMatchesAlarmNamesList: DescribeAlarms names its alarms in a
// list; the first one is the call's resource.
func TestFaultMatchesAlarmNamesList(t *testing.T) {
	srv, cw := startCWServer(t, Options{})
	ctx := context.Background()
	id := srv.Faults().Add(Fault{Service: svcCloudWatch, Op: "DescribeAlarms", Resource: "orders-5xx", Code: "InternalFailure", Count: 1})
	if _, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"billing"}}); err != nil {
		t.Fatalf("another alarm was faulted: %v", err)
	}
	_, err := cw.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"orders-5xx"}})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InternalFailure" {
		t.Fatalf("want the injected InternalFailure, got %v", err)
	}
	if srv.Faults().Hits(id) != 1 {
		t.Fatalf("hits %d, want 1", srv.Faults().Hits(id))
	}
	entries := srv.Requests().Entries()
	if last := entries[len(entries)-1]; last.Resource != "orders-5xx" {
		t.Errorf("request log resource %q, want orders-5xx", last.Resource)
	}
}

// TestFaultDropReplyServesThenLosesTheAnswer: a DropReply fault lets the
// call act and closes the connection unanswered; the SDK sees a
// connection reset and retries, and the retry meets what the first call
// did (here: the secret already exists under the same request token, so
// it is answered as the same request).
func TestFaultDropReplyServesThenLosesTheAnswer(t *testing.T) {
	srv, sm := startSMServer(t, Options{})
	ctx := smCtx(t)
	id := srv.Faults().Add(Fault{Service: svcSecretsManager, Op: "CreateSecret", DropReply: true, Count: 1})
	token := smToken("drop-reply")
	out, err := sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("drop/reply"), SecretString: aws.String("v1"), ClientRequestToken: aws.String(token)},
		func(o *secretsmanager.Options) { o.RetryMaxAttempts = 3 })
	if err != nil {
		t.Fatalf("CreateSecret after a lost reply: the SDK's retry should succeed, got %v", err)
	}
	if aws.ToString(out.VersionId) != token {
		t.Fatalf("version %q, want the request token %q", aws.ToString(out.VersionId), token)
	}
	if srv.Faults().Hits(id) != 1 {
		t.Fatalf("fault hits %d, want 1", srv.Faults().Hits(id))
	}
	var served []int
	for _, e := range srv.Requests().Entries() {
		if e.Op == "CreateSecret" {
			served = append(served, e.Status)
		}
	}
	if len(served) != 2 || served[0] != statusReplyDropped || served[1] != 200 {
		t.Fatalf("CreateSecret calls logged with statuses %v, want [%d 200]", served, statusReplyDropped)
	}
}
