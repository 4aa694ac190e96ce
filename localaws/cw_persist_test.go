package localaws

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func TestCWStatePersistsAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	srv, c := startCWServer(t, Options{DataDir: dir})
	at := time.Now().Add(-time.Minute)
	cwPut(t, c, "Credstage", cwFailures(at, 4))
	if _, err := c.PutMetricAlarm(cwCtx(t), cwFailureAlarm("kept")); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	if _, err := c.SetAlarmState(cwCtx(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("kept"),
		StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("before restart")}); err != nil {
		t.Fatalf("SetAlarmState: %v", err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "cloudwatch.json")); err != nil {
		t.Fatalf("state file: %v", err)
	}

	_, c = startCWServer(t, Options{DataDir: dir})
	out, err := c.GetMetricData(cwCtx(t), &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(at.Add(-time.Minute)), EndTime: aws.Time(time.Now().Add(time.Minute)),
		MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("f"), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("Credstage"), MetricName: aws.String("RotationFailed"),
				Dimensions: []cwtypes.Dimension{cwDim("Environment", "production")}},
			Period: aws.Int32(60), Stat: aws.String("Sum")}}},
	})
	if err != nil || len(out.MetricDataResults) != 1 || len(out.MetricDataResults[0].Values) != 1 || out.MetricDataResults[0].Values[0] != 4 {
		t.Fatalf("datapoints after restart: %v %+v", err, out)
	}
	// The set state is not due for re-evaluation yet, so it is what was saved.
	a := cwAlarmState(t, c, "kept")
	if a.StateValue != cwtypes.StateValueAlarm || aws.ToString(a.StateReason) != "before restart" {
		t.Fatalf("alarm after restart: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	if aws.ToFloat64(a.Threshold) != 1 || aws.ToString(a.MetricName) != "RotationFailed" {
		t.Fatalf("alarm configuration after restart: %+v", a)
	}
}

func TestCWSavesWhileRunning(t *testing.T) {
	dir := t.TempDir()
	_, c := startCWServer(t, Options{DataDir: dir})
	cwPut(t, c, "Credstage", cwFailures(time.Now(), 1))
	// A crash loses at most the debounce delay: the file appears without a
	// Close.
	deadline := time.Now().Add(5 * time.Second)
	for {
		var st cwState
		if found, err := loadJSON(filepath.Join(dir, "cloudwatch.json"), &st); err == nil && found && len(st.Metrics) == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cloudwatch.json not written within %v of a change", 5*time.Second)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCWSeriesStaysBounded(t *testing.T) {
	s := &cwSeries{Namespace: "n", Name: "m"}
	now := time.Unix(1_800_000_000, 0)
	for i := range 3 * cwMaxBucketsPerSeries {
		s.bucket(now.Unix()-int64(3*cwMaxBucketsPerSeries-i), "None").addValue(float64(i), 1)
		s.prune(now)
	}
	if n := len(s.Buckets); n > cwMaxBucketsPerSeries+cwMaxBucketsPerSeries/10 {
		t.Fatalf("%d buckets kept, cap is %d", n, cwMaxBucketsPerSeries)
	}
	if s.Buckets[len(s.Buckets)-1].T != now.Unix()-1 {
		t.Fatalf("newest bucket dropped")
	}
	s.prune(now.Add(cwRetention + time.Hour))
	if len(s.Buckets) != 0 {
		t.Fatalf("%d buckets survive retention", len(s.Buckets))
	}

	var agg cwAgg
	for i := range 10 * cwMaxSamplesPerBucket {
		agg.addValue(float64(i), 1)
	}
	if len(agg.Samples) > cwMaxSamplesPerBucket || agg.Count != float64(10*cwMaxSamplesPerBucket) || agg.Max != float64(10*cwMaxSamplesPerBucket-1) {
		t.Fatalf("samples %d count %v max %v", len(agg.Samples), agg.Count, agg.Max)
	}
}
