package activities

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/credstage/credstage/localaws"
)

func TestPublishMetricsToLocalCloudWatch(t *testing.T) {
	st := localStack(t)
	const ns = "CredstageActivitiesTest"
	res := must[PublishResult](t, st, st.acts.PublishMetrics, PublishInput{Namespace: ns, Datums: testDatums(2500)})
	if res.Published != 2500 || res.Failed != 0 {
		t.Fatalf("%+v", res)
	}
	out, err := st.cw.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{Namespace: aws.String(ns), MetricName: aws.String("RotationSucceeded")})
	if err != nil || len(out.Metrics) == 0 {
		t.Fatalf("metrics not in CloudWatch: %v %d", err, len(out.Metrics))
	}
	calls := 0
	for _, e := range st.srv.Requests().Entries() {
		if e.Op == "PutMetricData" && e.Resource == ns {
			calls++
		}
	}
	t.Logf("PutMetricData calls for 2500 datums: %d", calls)
}

func TestPublishMetricsWhileCloudWatchIsDown(t *testing.T) {
	st := localStack(t)
	id := st.srv.Faults().Add(localaws.Fault{Service: "monitoring", Code: "InternalFailure"})
	defer st.srv.Faults().Remove(id)
	start := time.Now()
	res, err := run[PublishResult](t, st, st.acts.PublishMetrics, PublishInput{Datums: testDatums(2500)})
	took := time.Since(start)
	if err != nil {
		t.Fatalf("a CloudWatch outage must not fail the activity: %v", err)
	}
	if res.Failed != 2500 || res.Published != 0 || !contains(res.LastError, "InternalFailure") {
		t.Fatalf("%+v", res)
	}
	if hits := st.srv.Faults().Hits(id); hits != 4+1+1 {
		t.Errorf("PutMetricData tried %d times, want 4 for the first batch and 1 for each later one", hits)
	}
	t.Logf("outage handled in %v: %+v", took.Round(time.Millisecond), res)
}
