package localaws

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// Metric math over the other queries: the failure ratio of two counts,
// per period, with the inputs hidden (ReturnData false); a period where
// the divisor is 0 is left out, as AWS does.
func TestGetMetricDataEvaluatesArithmetic(t *testing.T) {
	_, c := startCWServer(t, Options{})
	now := time.Now().Truncate(time.Minute)
	at := func(d time.Duration) *time.Time { v := now.Add(-d); return &v }
	datum := func(name string, v float64, when *time.Time) cwtypes.MetricDatum {
		return cwtypes.MetricDatum{MetricName: aws.String(name), Value: aws.Float64(v), Timestamp: when}
	}
	cwPut(t, c, "Math", datum("Failed", 2, at(2*time.Minute)), datum("Succeeded", 6, at(2*time.Minute)),
		datum("Failed", 1, at(time.Minute)), datum("Succeeded", 0, at(time.Minute)), datum("Failed", 0, at(0)), datum("Succeeded", 0, at(0)))
	sum := func(id, name string) cwtypes.MetricDataQuery {
		return cwtypes.MetricDataQuery{Id: aws.String(id), ReturnData: aws.Bool(false), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("Math"), MetricName: aws.String(name)}, Period: aws.Int32(60), Stat: aws.String("Sum")}}
	}
	out, err := c.GetMetricData(cwCtx(t), &cloudwatch.GetMetricDataInput{
		StartTime: at(10 * time.Minute), EndTime: aws.Time(now.Add(time.Minute)), ScanBy: cwtypes.ScanByTimestampAscending,
		MetricDataQueries: []cwtypes.MetricDataQuery{sum("f", "Failed"), sum("s", "Succeeded"),
			{Id: aws.String("ratio"), Expression: aws.String("100 * f / (f + s)"), Label: aws.String("failure %")}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.MetricDataResults) != 1 {
		t.Fatalf("results %+v: want the expression's alone", out.MetricDataResults)
	}
	r := out.MetricDataResults[0]
	if aws.ToString(r.Label) != "failure %" || len(r.Values) != 2 || r.Values[0] != 25 || r.Values[1] != 100 || !r.Timestamps[0].Equal(*at(2 * time.Minute)) {
		t.Fatalf("ratio = %v at %v (%s)", r.Values, r.Timestamps, aws.ToString(r.Label))
	}

	for expr, want := range map[string]string{
		"f / x":          "names an id that is no query",
		"SUM(METRICS())": "function SUM is not supported",
		"f / (s":         "a parenthesis is not closed",
	} {
		_, err := c.GetMetricData(cwCtx(t), &cloudwatch.GetMetricDataInput{StartTime: at(time.Hour), EndTime: aws.Time(now),
			MetricDataQueries: []cwtypes.MetricDataQuery{sum("f", "Failed"), sum("s", "Succeeded"), {Id: aws.String("e"), Expression: aws.String(expr)}}})
		requireCWError(t, err, "InvalidParameterValue", want)
	}
}
