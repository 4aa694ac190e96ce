package localaws

import (
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

func TestCWDescribeAlarmsForMetric(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	ctx := cwCtx(t)
	put := func(in *cloudwatch.PutMetricAlarmInput) {
		t.Helper()
		if _, err := c.PutMetricAlarm(ctx, in); err != nil {
			t.Fatalf("PutMetricAlarm %s: %v", aws.ToString(in.AlarmName), err)
		}
	}
	put(cwFailureAlarm("sum-60"))
	avg := cwFailureAlarm("avg-300")
	avg.Statistic, avg.Period, avg.Unit = cwtypes.StatisticAverage, aws.Int32(300), cwtypes.StandardUnitCount
	put(avg)
	p99 := cwFailureAlarm("p99")
	p99.Statistic, p99.ExtendedStatistic = "", aws.String("p99")
	put(p99)
	other := cwFailureAlarm("other-env")
	other.Dimensions = []cwtypes.Dimension{cwDim("Environment", "staging")}
	put(other)
	more := cwFailureAlarm("more-dims")
	more.Dimensions = append(more.Dimensions, cwDim("SecretName", "app"))
	put(more)
	// The Metrics form of the same metric counts too.
	metrics := cwFailureAlarm("metrics-form")
	metrics.Namespace, metrics.MetricName, metrics.Dimensions, metrics.Statistic, metrics.Period = nil, nil, nil, "", nil
	metrics.Metrics = []cwtypes.MetricDataQuery{{Id: aws.String("m1"), ReturnData: aws.Bool(true), MetricStat: &cwtypes.MetricStat{
		Metric: &cwtypes.Metric{Namespace: aws.String("Credstage"), MetricName: aws.String("RotationFailed"),
			Dimensions: []cwtypes.Dimension{cwDim("Environment", "production")}},
		Period: aws.Int32(60), Stat: aws.String("Sum")}}}
	put(metrics)

	names := func(in *cloudwatch.DescribeAlarmsForMetricInput) string {
		t.Helper()
		out, err := c.DescribeAlarmsForMetric(ctx, in)
		if err != nil {
			t.Fatalf("DescribeAlarmsForMetric: %v", err)
		}
		var got []string
		for _, a := range out.MetricAlarms {
			got = append(got, aws.ToString(a.AlarmName))
		}
		sort.Strings(got)
		return strings.Join(got, ",")
	}
	base := func() *cloudwatch.DescribeAlarmsForMetricInput {
		return &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String("Credstage"), MetricName: aws.String("RotationFailed"),
			Dimensions: []cwtypes.Dimension{cwDim("Environment", "production")}}
	}
	if got := names(base()); got != "avg-300,metrics-form,p99,sum-60" {
		t.Fatalf("all of the metric: %s", got)
	}
	in := base()
	in.Statistic = cwtypes.StatisticSum
	if got := names(in); got != "metrics-form,sum-60" {
		t.Fatalf("Statistic=Sum: %s", got)
	}
	in = base()
	in.ExtendedStatistic = aws.String("p99")
	if got := names(in); got != "p99" {
		t.Fatalf("ExtendedStatistic=p99: %s", got)
	}
	in = base()
	in.Period = aws.Int32(300)
	if got := names(in); got != "avg-300" {
		t.Fatalf("Period=300: %s", got)
	}
	in = base()
	in.Unit = cwtypes.StandardUnitCount
	if got := names(in); got != "avg-300" {
		t.Fatalf("Unit=Count: %s", got)
	}
	in = base()
	in.Dimensions = nil
	if got := names(in); got != "" {
		t.Fatalf("without dimensions (another metric): %s", got)
	}

	_, err := c.DescribeAlarmsForMetric(ctx, &cloudwatch.DescribeAlarmsForMetricInput{Namespace: aws.String("Credstage"), MetricName: aws.String("M"),
		Statistic: cwtypes.Statistic("Median")})
	requireCWError(t, err, "InvalidParameterValue", "The value Median for parameter Statistic is invalid.")

	// awsQuery: the same answer, and MetricName is required.
	r := cwQuery(t, srv, "DescribeAlarmsForMetric", url.Values{"Namespace": {"Credstage"}, "MetricName": {"RotationFailed"},
		"Dimensions.member.1.Name": {"Environment"}, "Dimensions.member.1.Value": {"production"}, "Period": {"300"}})
	cwRequireOK(t, "DescribeAlarmsForMetric query", r)
	if body := string(r.body); !strings.Contains(body, "<AlarmName>avg-300</AlarmName>") || strings.Count(body, "<AlarmName>") != 1 {
		t.Fatalf("query body %s", body)
	}
	r = cwQuery(t, srv, "DescribeAlarmsForMetric", url.Values{"Namespace": {"Credstage"}})
	if r.status != 400 || !strings.Contains(string(r.body), "<Code>MissingParameter</Code>") {
		t.Fatalf("query without MetricName: %d %s", r.status, r.body)
	}
}
