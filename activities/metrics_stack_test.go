package activities

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/credstage/credstage/localaws"
)

func TestPublishMetricsToLocalCloudWatch(t *testing.T) {
	st := localStack(t)
	const ns = "CredstageActivitiesTest"
	res := must[PublishResult](t, st, st.acts.PublishMetrics, PublishInput{Namespace: ns, Datums: testDatums(2500)})
	// 2500 per-secret datums and their one summed roll-up.
	if res.Published != 2501 || res.Failed != 0 {
		t.Fatalf("%+v", res)
	}
	out, err := st.cw.ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{Namespace: aws.String(ns), MetricName: aws.String("RotationSucceeded")})
	if err != nil || len(out.Metrics) == 0 {
		t.Fatalf("metrics not in CloudWatch: %v %d", err, len(out.Metrics))
	}
	rollup := cwtypes.Metric{Namespace: aws.String(ns), MetricName: aws.String("RotationSucceeded"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("Environment"), Value: aws.String("staging")}}}
	data, err := st.cw.GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(time.Now().Add(-time.Hour)), EndTime: aws.Time(time.Now().Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("sum"), MetricStat: &cwtypes.MetricStat{Metric: &rollup, Period: aws.Int32(3600), Stat: aws.String("Sum")}}}})
	if err != nil || len(data.MetricDataResults) != 1 || len(data.MetricDataResults[0].Values) != 1 || data.MetricDataResults[0].Values[0] != 2500 {
		t.Fatalf("the environment's roll-up should sum the 2500 rotations: %v %+v", err, data)
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
	if res.Failed != 2501 || res.Published != 0 || !contains(res.LastError, "InternalFailure") {
		t.Fatalf("%+v", res)
	}
	if hits := st.srv.Faults().Hits(id); hits != 4+1+1 {
		t.Errorf("PutMetricData tried %d times, want 4 for the first batch and 1 for each later one", hits)
	}
	t.Logf("outage handled in %v: %+v", took.Round(time.Millisecond), res)
}
