package activities

import (
	"context"
	"fmt"
	"github.com/credstage/credstage/engine"
	"slices"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

func testDatums(n int) []MetricDatum {
	out := make([]MetricDatum, n)
	for i := range out {
		out[i] = MetricDatum{Name: "RotationSucceeded", Value: 1, Unit: "Count",
			Dimensions: []Dimension{{Name: "Environment", Value: "staging"}, {Name: "SecretName", Value: fmt.Sprintf("s%d", i)}}}
	}
	return out
}

func metricsActivities(cw *fakeCloudWatch) *Activities {
	return NewWithClients(Options{CloudWatch: cw, Connector: NewPGXConnector(1), MetricsAttempts: 3, MetricsBackoff: time.Millisecond})
}

func TestPublishMetricsBatches(t *testing.T) {
	cw := &fakeCloudWatch{}
	a := metricsActivities(cw)
	res, err := a.PublishMetrics(context.Background(), PublishInput{Datums: testDatums(2500)})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cw.calls, []int{1000, 1000, 501}) || res.Published != 2501 || res.Failed != 0 {
		t.Fatalf("calls %v result %+v", cw.calls, res)
	}
}

func TestPublishMetricsRetriesTransient(t *testing.T) {
	cw := &fakeCloudWatch{failN: 2, err: &smithy.GenericAPIError{Code: "ThrottlingException", Message: "slow down"}}
	res, err := metricsActivities(cw).PublishMetrics(context.Background(), PublishInput{Datums: testDatums(10)})
	if err != nil || res.Published != 11 || res.Failed != 0 || len(cw.calls) != 3 {
		t.Fatalf("calls %v result %+v err %v", cw.calls, res, err)
	}
}

func TestPublishMetricsOutageNeverFails(t *testing.T) {
	cw := &fakeCloudWatch{failN: -1, err: &smithy.GenericAPIError{Code: "InternalFailure", Message: "down", Fault: smithy.FaultServer}}
	res, err := metricsActivities(cw).PublishMetrics(context.Background(), PublishInput{Datums: testDatums(2500)})
	if err != nil {
		t.Fatalf("a metrics outage must not be an error: %v", err)
	}
	// First batch: 3 tries; then CloudWatch counts as down: one try each.
	if res.Published != 0 || res.Failed != 2501 || res.LastError == "" || len(cw.calls) != 5 {
		t.Fatalf("calls %v result %+v", cw.calls, res)
	}
}

func TestPublishMetricsDoesNotRetryRefusal(t *testing.T) {
	cw := &fakeCloudWatch{failN: 1, err: &smithy.GenericAPIError{Code: "InvalidParameterValue", Message: "bad"}}
	res, err := metricsActivities(cw).PublishMetrics(context.Background(), PublishInput{Datums: testDatums(1500)})
	if err != nil || res.Failed != 1000 || res.Published != 501 || len(cw.calls) != 2 {
		t.Fatalf("calls %v result %+v err %v", cw.calls, res, err)
	}
}

func TestCloudWatchDatums(t *testing.T) {
	now := time.Unix(1700000000, 0)
	got := cloudWatchDatums([]MetricDatum{{Name: "RotationDuration", Value: 12.5, Unit: "Milliseconds"}, {Name: "X", Unit: "Bogus"}}, now)
	if string(got[0].Unit) != "Milliseconds" || string(got[1].Unit) != "None" || !got[1].Timestamp.Equal(now) {
		t.Fatalf("%+v", got)
	}
}

func TestWithRollupsAddsEnvironmentSeries(t *testing.T) {
	env := Dimension{Name: engine.DimEnvironment, Value: "staging"}
	in := []MetricDatum{
		{Name: engine.MetricRotationRolledBack, Value: 1, Dimensions: []Dimension{env, {Name: engine.DimSecretName, Value: "staging/app"}}},
		{Name: engine.MetricStageDuration, Value: 5, Dimensions: []Dimension{env}},
		{Name: engine.MetricRotationFailed, Value: 1, Dimensions: []Dimension{{Name: engine.DimSecretName, Value: "by-hand"}}},
	}
	got := withRollups(in)
	if len(got) != 4 {
		t.Fatalf("got %d datums, want 4: %+v", len(got), got)
	}
	if r := got[1]; r.Name != engine.MetricRotationRolledBack || r.Value != 1 || len(r.Dimensions) != 1 || r.Dimensions[0] != env {
		t.Fatalf("roll-up = %+v", r)
	}
	if len(in[0].Dimensions) != 2 {
		t.Fatalf("the per-secret datum was changed: %+v", in[0])
	}
}
