//go:build conformance

package main

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cw2 "github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// CloudWatch: what credstage publishes (PutMetricData), reads back
// (GetMetricData, ListMetrics), the alarms and the dashboard it makes,
// and the parameter errors the API reference documents. Each case has
// its own namespace, alarm and dashboard names.

func cwStep(op string, in any) step { return step{svc: cw, op: op, in: in} }

// minuteAgo is a whole minute some time back, the same for both
// emulators: datapoints land in one period on either.
var minuteAgo = time.Now().UTC().Add(-10 * time.Minute).Truncate(time.Minute)

func datum(name string, value float64, dims ...string) cwtypes.MetricDatum {
	d := cwtypes.MetricDatum{MetricName: aws.String(name), Value: aws.Float64(value), Timestamp: aws.Time(minuteAgo), Unit: cwtypes.StandardUnitCount}
	for i := 0; i+1 < len(dims); i += 2 {
		d.Dimensions = append(d.Dimensions, cwtypes.Dimension{Name: aws.String(dims[i]), Value: aws.String(dims[i+1])})
	}
	return d
}

func putMetrics(ns string, data ...cwtypes.MetricDatum) step {
	return cwStep("PutMetricData", &cw2.PutMetricDataInput{Namespace: aws.String(ns), MetricData: data})
}

func sumQuery(id, ns, name string, dims ...string) cwtypes.MetricDataQuery {
	m := &cwtypes.Metric{Namespace: aws.String(ns), MetricName: aws.String(name)}
	for i := 0; i+1 < len(dims); i += 2 {
		m.Dimensions = append(m.Dimensions, cwtypes.Dimension{Name: aws.String(dims[i]), Value: aws.String(dims[i+1])})
	}
	return cwtypes.MetricDataQuery{Id: aws.String(id), MetricStat: &cwtypes.MetricStat{Metric: m, Period: aws.Int32(60), Stat: aws.String("Sum")}}
}

func getMetrics(queries ...cwtypes.MetricDataQuery) step {
	return cwStep("GetMetricData", &cw2.GetMetricDataInput{MetricDataQueries: queries,
		StartTime: aws.Time(minuteAgo.Add(-5 * time.Minute)), EndTime: aws.Time(minuteAgo.Add(5 * time.Minute))})
}

func alarm(name, ns string) *cw2.PutMetricAlarmInput {
	return &cw2.PutMetricAlarmInput{
		AlarmName: aws.String(name), Namespace: aws.String(ns), MetricName: aws.String("RotationFailed"),
		Dimensions: []cwtypes.Dimension{{Name: aws.String("Environment"), Value: aws.String("staging")}},
		Statistic:  cwtypes.StatisticSum, Period: aws.Int32(300), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
		TreatMissingData: aws.String("notBreaching"), AlarmDescription: aws.String("conformance"),
		ActionsEnabled: aws.Bool(true),
	}
}

const dashboardBody = `{"widgets":[{"type":"metric","x":0,"y":0,"width":12,"height":6,"properties":{"region":"us-east-1","metrics":[["ConfDash","RotationFailed","Environment","staging"]],"stat":"Sum","period":300,"title":"failures"}},{"type":"text","x":12,"y":0,"width":12,"height":6,"properties":{"markdown":"# credstage"}}]}`

func cloudWatchCases() []testCase {
	return []testCase{
		{id: "cw/put-get-list-metrics", steps: []step{
			putMetrics("ConfMetrics", datum("RotationSucceeded", 1, "Environment", "staging", "SecretName", "a"), datum("RotationSucceeded", 2, "Environment", "staging", "SecretName", "a"),
				datum("RotationFailed", 1, "Environment", "production", "SecretName", "b")),
			cwStep("ListMetrics", &cw2.ListMetricsInput{Namespace: aws.String("ConfMetrics")}),
			cwStep("ListMetrics", &cw2.ListMetricsInput{Namespace: aws.String("ConfMetrics"), MetricName: aws.String("RotationFailed")}),
			cwStep("ListMetrics", &cw2.ListMetricsInput{Namespace: aws.String("ConfMetrics"), Dimensions: []cwtypes.DimensionFilter{{Name: aws.String("Environment"), Value: aws.String("staging")}}}),
			getMetrics(sumQuery("ok", "ConfMetrics", "RotationSucceeded", "Environment", "staging", "SecretName", "a"), sumQuery("none", "ConfMetrics", "RotationSucceeded", "Environment", "nowhere")),
		}},
		{id: "cw/put-values-counts", steps: []step{
			putMetrics("ConfValues", cwtypes.MetricDatum{MetricName: aws.String("RotationDuration"), Timestamp: aws.Time(minuteAgo), Unit: cwtypes.StandardUnitMilliseconds,
				Values: []float64{10, 20}, Counts: []float64{1, 3}}),
			getMetrics(sumQuery("d", "ConfValues", "RotationDuration")),
		}},
		{id: "cw/get-metric-data-expression", steps: []step{
			setup(putMetrics("ConfExpr", datum("RotationFailed", 2), datum("RotationSucceeded", 6))),
			getMetrics(sumQuery("f", "ConfExpr", "RotationFailed"), sumQuery("s", "ConfExpr", "RotationSucceeded"),
				cwtypes.MetricDataQuery{Id: aws.String("ratio"), Expression: aws.String("f / (f + s)")}),
		}},
		{id: "cw/get-metric-data-order", steps: []step{
			setup(putMetrics("ConfOrder",
				cwtypes.MetricDatum{MetricName: aws.String("SecretAgeHours"), Value: aws.Float64(1), Timestamp: aws.Time(minuteAgo.Add(-2 * time.Minute))},
				cwtypes.MetricDatum{MetricName: aws.String("SecretAgeHours"), Value: aws.Float64(2), Timestamp: aws.Time(minuteAgo.Add(-time.Minute))},
				cwtypes.MetricDatum{MetricName: aws.String("SecretAgeHours"), Value: aws.Float64(3), Timestamp: aws.Time(minuteAgo)})),
			getMetrics(sumQuery("d", "ConfOrder", "SecretAgeHours")),
			cwStep("GetMetricData", &cw2.GetMetricDataInput{MetricDataQueries: []cwtypes.MetricDataQuery{sumQuery("d", "ConfOrder", "SecretAgeHours")}, ScanBy: cwtypes.ScanByTimestampAscending,
				StartTime: aws.Time(minuteAgo.Add(-5 * time.Minute)), EndTime: aws.Time(minuteAgo.Add(5 * time.Minute))}),
		}},
		{id: "cw/put-statistic-values", steps: []step{
			putMetrics("ConfStats", cwtypes.MetricDatum{MetricName: aws.String("StageDuration"), Timestamp: aws.Time(minuteAgo), Unit: cwtypes.StandardUnitMilliseconds,
				StatisticValues: &cwtypes.StatisticSet{SampleCount: aws.Float64(2), Sum: aws.Float64(30), Minimum: aws.Float64(10), Maximum: aws.Float64(20)}}),
			getMetrics(sumQuery("d", "ConfStats", "StageDuration")),
		}},
		{id: "cw/describe-alarms-by-type", steps: []step{
			setup(cwStep("PutMetricAlarm", alarm("conf-type-a", "ConfAlarms"))),
			cwStep("DescribeAlarms", &cw2.DescribeAlarmsInput{AlarmNamePrefix: aws.String("conf-type-"), AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeMetricAlarm}}),
			cwStep("DescribeAlarms", &cw2.DescribeAlarmsInput{AlarmNamePrefix: aws.String("conf-type-"), AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeCompositeAlarm}}),
		}},
		{id: "cw/put-metric-data-aws-namespace", steps: []step{
			putMetrics("AWS/Credstage", datum("RotationFailed", 1)),
		}},
		{id: "cw/put-metric-data-value-and-values", steps: []step{
			putMetrics("ConfBad", cwtypes.MetricDatum{MetricName: aws.String("x"), Value: aws.Float64(1), Values: []float64{1}}),
		}},
		{id: "cw/put-metric-data-counts-mismatch", steps: []step{
			putMetrics("ConfBad", cwtypes.MetricDatum{MetricName: aws.String("x"), Values: []float64{1, 2}, Counts: []float64{1}}),
		}},
		{id: "cw/put-metric-data-too-many-dimensions", steps: []step{
			putMetrics("ConfBad", datum("x", 1, "d1", "v", "d2", "v", "d3", "v", "d4", "v", "d5", "v", "d6", "v", "d7", "v", "d8", "v", "d9", "v", "d10", "v", "d11", "v",
				"d12", "v", "d13", "v", "d14", "v", "d15", "v", "d16", "v", "d17", "v", "d18", "v", "d19", "v", "d20", "v", "d21", "v", "d22", "v", "d23", "v", "d24", "v",
				"d25", "v", "d26", "v", "d27", "v", "d28", "v", "d29", "v", "d30", "v", "d31", "v")),
		}},
		{id: "cw/put-metric-data-no-data", steps: []step{
			cwStep("PutMetricData", &cw2.PutMetricDataInput{Namespace: aws.String("ConfBad")}),
		}},
		{id: "cw/get-metric-data-no-queries", steps: []step{getMetrics()}},
		{id: "cw/get-metric-data-duplicate-ids", steps: []step{
			getMetrics(sumQuery("a", "ConfBad", "x"), sumQuery("a", "ConfBad", "y")),
		}},
		{id: "cw/get-metric-data-bad-id", steps: []step{
			getMetrics(sumQuery("Upper", "ConfBad", "x")),
		}},
		{id: "cw/get-metric-data-start-after-end", steps: []step{
			cwStep("GetMetricData", &cw2.GetMetricDataInput{MetricDataQueries: []cwtypes.MetricDataQuery{sumQuery("a", "ConfBad", "x")},
				StartTime: aws.Time(minuteAgo), EndTime: aws.Time(minuteAgo.Add(-time.Hour))}),
		}},
		{id: "cw/alarm-put-describe", steps: []step{
			cwStep("PutMetricAlarm", alarm("conf-alarm-failed", "ConfAlarms")),
			cwStep("DescribeAlarms", &cw2.DescribeAlarmsInput{AlarmNamePrefix: aws.String("conf-alarm-")}),
			cwStep("DescribeAlarms", &cw2.DescribeAlarmsInput{AlarmNames: []string{"conf-alarm-failed"}}),
			cwStep("DescribeAlarms", &cw2.DescribeAlarmsInput{AlarmNamePrefix: aws.String("conf-alarm-"), StateValue: cwtypes.StateValueAlarm}),
		}},
		{id: "cw/alarm-update", steps: []step{
			setup(cwStep("PutMetricAlarm", alarm("conf-update-a", "ConfAlarms"))),
			cwStep("PutMetricAlarm", func() *cw2.PutMetricAlarmInput {
				a := alarm("conf-update-a", "ConfAlarms")
				a.Threshold = aws.Float64(5)
				return a
			}()),
			cwStep("DescribeAlarms", &cw2.DescribeAlarmsInput{AlarmNames: []string{"conf-update-a"}}),
		}},
		{id: "cw/alarm-bad-operator", steps: []step{
			cwStep("PutMetricAlarm", func() *cw2.PutMetricAlarmInput {
				a := alarm("conf-bad-op", "ConfAlarms")
				a.ComparisonOperator = "Bigger"
				return a
			}()),
		}},
		{id: "cw/alarm-bad-period", steps: []step{
			cwStep("PutMetricAlarm", func() *cw2.PutMetricAlarmInput {
				a := alarm("conf-bad-period", "ConfAlarms")
				a.Period = aws.Int32(45)
				return a
			}()),
		}},
		{id: "cw/alarm-statistic-and-extended", steps: []step{
			cwStep("PutMetricAlarm", func() *cw2.PutMetricAlarmInput {
				a := alarm("conf-bad-stat", "ConfAlarms")
				a.ExtendedStatistic = aws.String("p99")
				return a
			}()),
		}},
		{id: "cw/alarm-bad-treat-missing", steps: []step{
			cwStep("PutMetricAlarm", func() *cw2.PutMetricAlarmInput {
				a := alarm("conf-bad-missing", "ConfAlarms")
				a.TreatMissingData = aws.String("sometimes")
				return a
			}()),
		}},
		{id: "cw/describe-alarms-none", steps: []step{
			cwStep("DescribeAlarms", &cw2.DescribeAlarmsInput{AlarmNames: []string{"conf-no-such-alarm"}}),
		}},
		{id: "cw/dashboard-lifecycle", steps: []step{
			cwStep("PutDashboard", &cw2.PutDashboardInput{DashboardName: aws.String("conf-dash"), DashboardBody: aws.String(dashboardBody)}),
			cwStep("GetDashboard", &cw2.GetDashboardInput{DashboardName: aws.String("conf-dash")}),
			cwStep("ListDashboards", &cw2.ListDashboardsInput{DashboardNamePrefix: aws.String("conf-dash")}),
			cwStep("DeleteDashboards", &cw2.DeleteDashboardsInput{DashboardNames: []string{"conf-dash"}}),
			cwStep("ListDashboards", &cw2.ListDashboardsInput{DashboardNamePrefix: aws.String("conf-dash")}),
		}},
		{id: "cw/dashboard-missing", steps: []step{
			cwStep("GetDashboard", &cw2.GetDashboardInput{DashboardName: aws.String("conf-no-dash")}),
			cwStep("DeleteDashboards", &cw2.DeleteDashboardsInput{DashboardNames: []string{"conf-no-dash"}}),
		}},
		{id: "cw/dashboard-invalid-body", steps: []step{
			cwStep("PutDashboard", &cw2.PutDashboardInput{DashboardName: aws.String("conf-bad-dash"), DashboardBody: aws.String(`{"widgets": [`)}),
			cwStep("PutDashboard", &cw2.PutDashboardInput{DashboardName: aws.String("conf-bad-dash"), DashboardBody: aws.String(`{"widgets":[{"type":"chart","properties":{}}]}`)}),
		}},
		{id: "cw/dashboard-invalid-name", steps: []step{
			cwStep("PutDashboard", &cw2.PutDashboardInput{DashboardName: aws.String("bad name!"), DashboardBody: aws.String(dashboardBody)}),
		}},
	}
}
