package localaws

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// TestCWErrorsAsAWS pins code and whole message of the refusals of the
// calls credstage makes, through the SDK (RPC v2 CBOR, which also carries
// NaN and infinities JSON cannot). The messages follow what AWS answers
// where it is known (moto's validated messages, botocore's model for the
// codes); the others are localaws's own and say so in the source.
func TestCWErrorsAsAWS(t *testing.T) {
	_, c := startCWServer(t, Options{})
	m := func(d cwtypes.MetricDatum) cwtypes.MetricDatum {
		d.MetricName = aws.String("M")
		return d
	}
	set := func(n, sum, lo, hi float64) *cwtypes.StatisticSet {
		return &cwtypes.StatisticSet{SampleCount: aws.Float64(n), Sum: aws.Float64(sum), Minimum: aws.Float64(lo), Maximum: aws.Float64(hi)}
	}
	put := func(d cwtypes.MetricDatum) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Errs"), MetricData: []cwtypes.MetricDatum{m(d)}})
			return err
		}
	}
	now := time.Now()
	metric := &cwtypes.Metric{Namespace: aws.String("Errs"), MetricName: aws.String("M")}
	p := "MetricData.member.1"
	cases := []struct {
		name, code, msg string
		call            func(context.Context) error
	}{
		{"Value and Values", "InvalidParameterValue",
			"The parameters " + p + ".Value and " + p + ".Values are mutually exclusive and you have specified both.",
			put(cwtypes.MetricDatum{Value: aws.Float64(1), Values: []float64{1}})},
		{"Value and StatisticValues", "InvalidParameterCombination",
			"The parameters " + p + ".Value and " + p + ".StatisticValues are mutually exclusive and you have specified both.",
			put(cwtypes.MetricDatum{Value: aws.Float64(1), StatisticValues: set(1, 1, 1, 1)})},
		{"Values and StatisticValues", "InvalidParameterCombination",
			"The parameters " + p + ".Values and " + p + ".StatisticValues are mutually exclusive and you have specified both.",
			put(cwtypes.MetricDatum{Values: []float64{1}, StatisticValues: set(1, 1, 1, 1)})},
		{"Values and Counts of different sizes", "InvalidParameterValue",
			"The parameters " + p + ".Values and " + p + ".Counts must be of the same size.",
			put(cwtypes.MetricDatum{Values: []float64{1, 2}, Counts: []float64{1}})},
		{"151 values", "InvalidParameterValue",
			"The collection " + p + ".Values must not have a size greater than 150.",
			put(cwtypes.MetricDatum{Values: make([]float64, 151)})},
		{"NaN value", "InvalidParameterValue", "The value NaN for parameter " + p + ".Value is invalid.",
			put(cwtypes.MetricDatum{Value: aws.Float64(math.NaN())})},
		{"infinite value in Values", "InvalidParameterValue", "The value Infinity for parameter " + p + ".Values.member.2 is invalid.",
			put(cwtypes.MetricDatum{Values: []float64{1, math.Inf(1)}})},
		{"value beyond 2^360", "InvalidParameterValue", "The value -2.5822498780869086E120 for parameter " + p + ".Value is invalid.",
			put(cwtypes.MetricDatum{Value: aws.Float64(-0x1p400)})},
		{"negative count", "InvalidParameterValue", "The parameter " + p + ".Counts.member.1 must not be negative.",
			put(cwtypes.MetricDatum{Values: []float64{1}, Counts: []float64{-1}})},
		{"NaN in a statistic set", "InvalidParameterValue", "The value NaN for parameter " + p + ".StatisticValues.Sum is invalid.",
			put(cwtypes.MetricDatum{StatisticValues: set(1, math.NaN(), 1, 1)})},
		{"SampleCount 0", "InvalidParameterValue", "The parameter " + p + ".StatisticValues.SampleCount must be greater than 0.",
			put(cwtypes.MetricDatum{StatisticValues: set(0, 0, 0, 0)})},
		{"Minimum above Maximum", "InvalidParameterValue",
			"The parameter " + p + ".StatisticValues.Minimum must not be greater than " + p + ".StatisticValues.Maximum.",
			put(cwtypes.MetricDatum{StatisticValues: set(2, 4, 3, 1)})},
		// A statistic set missing a member and a request without a
		// Namespace are refused by the SDK before sending; the query
		// protocol's test (cw_protocols_test.go) sends them.
		{"GetMetricData end before start", "ValidationError", "The parameter EndTime must be greater than StartTime.",
			func(ctx context.Context) error {
				_, err := c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour)),
					MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("q"), MetricStat: &cwtypes.MetricStat{Metric: metric, Period: aws.Int32(60), Stat: aws.String("Sum")}}}})
				return err
			}},
		{"GetMetricData start equals end", "ValidationError", "The parameter StartTime must not equal parameter EndTime.",
			func(ctx context.Context) error {
				_, err := c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now), EndTime: aws.Time(now),
					MetricDataQueries: []cwtypes.MetricDataQuery{{Id: aws.String("q"), MetricStat: &cwtypes.MetricStat{Metric: metric, Period: aws.Int32(60), Stat: aws.String("Sum")}}}})
				return err
			}},
		{"GetMetricStatistics end before start", "InvalidParameterValue", "The parameter StartTime must be less than the parameter EndTime.",
			func(ctx context.Context) error {
				_, err := c.GetMetricStatistics(ctx, &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("Errs"), MetricName: aws.String("M"),
					StartTime: aws.Time(now), EndTime: aws.Time(now.Add(-time.Hour)), Period: aws.Int32(60), Statistics: []cwtypes.Statistic{cwtypes.StatisticSum}})
				return err
			}},
		{"ListMetrics bad NextToken", "InvalidParameterValue", "Request parameter NextToken is invalid",
			func(ctx context.Context) error {
				_, err := c.ListMetrics(ctx, &cloudwatch.ListMetricsInput{NextToken: aws.String("junk")})
				return err
			}},
		{"PutMetricAlarm both statistics", "InvalidParameterCombination",
			"The parameters Statistic and ExtendedStatistic are mutually exclusive and you have specified both.",
			func(ctx context.Context) error {
				in := cwFailureAlarm("a")
				in.ExtendedStatistic = aws.String("p99")
				_, err := c.PutMetricAlarm(ctx, in)
				return err
			}},
		{"PutMetricAlarm without EvaluationPeriods", "MissingParameter", "The parameter EvaluationPeriods is required.",
			func(ctx context.Context) error {
				in := cwFailureAlarm("a")
				in.EvaluationPeriods = nil
				_, err := c.PutMetricAlarm(ctx, in)
				return err
			}},
		{"GetDashboard of an unknown name", "ResourceNotFound", "Dashboard nope does not exist",
			func(ctx context.Context) error {
				_, err := c.GetDashboard(ctx, &cloudwatch.GetDashboardInput{DashboardName: aws.String("nope")})
				return err
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(cwCtx(t))
			apiErr := requireCWError(t, err, tc.code, "")
			if got := apiErr.ErrorMessage(); got != tc.msg {
				t.Fatalf("message %q\nwant    %q", got, tc.msg)
			}
		})
	}
}
