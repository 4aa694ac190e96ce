package localaws

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
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
