package localaws

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// Statistic sets, Values/Counts and single values of one minute aggregate
// into one datapoint, whichever protocol sent them, and GetMetricStatistics
// and alarms see the same SampleCount, Sum, Minimum, Maximum and Average.
func TestCWStatisticSetsAggregate(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	clock := useCWFakeClock(srv)
	t0 := clock.Now().Add(-3 * time.Minute)
	dims := []cwtypes.Dimension{cwDim("Environment", "production")}
	// CBOR: a set (n=4, sum=40, 5..15) and a single 100.
	cwPut(t, c, "Credstage",
		cwtypes.MetricDatum{MetricName: aws.String("StageDuration"), Dimensions: dims, Timestamp: aws.Time(t0),
			StatisticValues: &cwtypes.StatisticSet{SampleCount: aws.Float64(4), Sum: aws.Float64(40), Minimum: aws.Float64(5), Maximum: aws.Float64(15)}},
		cwtypes.MetricDatum{MetricName: aws.String("StageDuration"), Dimensions: dims, Timestamp: aws.Time(t0), Value: aws.Float64(100)})
	// awsQuery: Values 1 and 2 counted 3 and 1 (n=4, sum=5).
	ts := t0.Add(10 * time.Second).UTC().Format(time.RFC3339)
	r := cwQuery(t, srv, "PutMetricData", url.Values{"Namespace": {"Credstage"},
		"MetricData.member.1.MetricName": {"StageDuration"}, "MetricData.member.1.Timestamp": {ts},
		"MetricData.member.1.Dimensions.member.1.Name": {"Environment"}, "MetricData.member.1.Dimensions.member.1.Value": {"production"},
		"MetricData.member.1.Values.member.1": {"1"}, "MetricData.member.1.Values.member.2": {"2"},
		"MetricData.member.1.Counts.member.1": {"3"}, "MetricData.member.1.Counts.member.2": {"1"}})
	cwRequireOK(t, "PutMetricData query", r)
	// JSON 1.0: another set (n=2, sum=1000, 400..600).
	r = cwJSON10(t, srv, "PutMetricData", fmt.Sprintf(`{"Namespace": "Credstage", "MetricData": [{"MetricName": "StageDuration",
		"Dimensions": [{"Name": "Environment", "Value": "production"}], "Timestamp": %d,
		"StatisticValues": {"SampleCount": 2, "Sum": 1000, "Minimum": 400, "Maximum": 600}}]}`, t0.Add(20*time.Second).Unix()))
	cwRequireOK(t, "PutMetricData JSON 1.0", r)

	out, err := c.GetMetricStatistics(cwCtx(t), &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("Credstage"), MetricName: aws.String("StageDuration"), Dimensions: dims,
		StartTime: aws.Time(t0.Truncate(time.Minute)), EndTime: aws.Time(clock.Now()), Period: aws.Int32(60),
		Statistics: []cwtypes.Statistic{cwtypes.StatisticSampleCount, cwtypes.StatisticSum, cwtypes.StatisticMinimum,
			cwtypes.StatisticMaximum, cwtypes.StatisticAverage},
	})
	if err != nil || len(out.Datapoints) != 1 {
		t.Fatalf("GetMetricStatistics: %v %+v", err, out)
	}
	dp := out.Datapoints[0]
	got := fmt.Sprint(aws.ToFloat64(dp.SampleCount), aws.ToFloat64(dp.Sum), aws.ToFloat64(dp.Minimum), aws.ToFloat64(dp.Maximum), aws.ToFloat64(dp.Average))
	// n = 4+1+4+2 = 11, sum = 40+100+5+1000 = 1145.
	if want := fmt.Sprint(11.0, 1145.0, 1.0, 600.0, 1145.0/11); got != want {
		t.Fatalf("SampleCount Sum Minimum Maximum Average = %s, want %s", got, want)
	}

	// An alarm on the Maximum sees the set's maximum.
	in := cwFailureAlarm("slow-stage")
	in.MetricName, in.Statistic, in.Threshold = aws.String("StageDuration"), cwtypes.StatisticMaximum, aws.Float64(500)
	in.EvaluationPeriods = aws.Int32(5)
	in.DatapointsToAlarm = aws.Int32(1)
	if _, err := c.PutMetricAlarm(cwCtx(t), in); err != nil {
		t.Fatal(err)
	}
	if a := cwAlarmState(t, c, "slow-stage"); a.StateValue != cwtypes.StateValueAlarm {
		t.Fatalf("alarm on Maximum > 500: %s (%s)", a.StateValue, aws.ToString(a.StateReason))
	}

	// The query protocol reports the same numbers.
	r = cwQuery(t, srv, "GetMetricStatistics", url.Values{"Namespace": {"Credstage"}, "MetricName": {"StageDuration"},
		"Dimensions.member.1.Name": {"Environment"}, "Dimensions.member.1.Value": {"production"},
		"StartTime": {t0.Truncate(time.Minute).UTC().Format(time.RFC3339)}, "EndTime": {clock.Now().UTC().Format(time.RFC3339)},
		"Period": {"60"}, "Statistics.member.1": {"SampleCount"}, "Statistics.member.2": {"Maximum"}})
	cwRequireOK(t, "GetMetricStatistics query", r)
	for _, want := range []string{"<SampleCount>" + strconv.Itoa(11) + "</SampleCount>", "<Maximum>600</Maximum>"} {
		if !strings.Contains(string(r.body), want) {
			t.Fatalf("query body %s lacks %s", r.body, want)
		}
	}
}
