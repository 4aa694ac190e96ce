package localaws

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// cwFailureAlarm is the alarm a validation step reads: any failed rotation
// in the last minute.
func cwFailureAlarm(name string) *cloudwatch.PutMetricAlarmInput {
	return &cloudwatch.PutMetricAlarmInput{
		AlarmName: aws.String(name), Namespace: aws.String("Credstage"), MetricName: aws.String("RotationFailed"),
		Dimensions: []cwtypes.Dimension{cwDim("Environment", "production")},
		Statistic:  cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
		Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold,
	}
}

func cwFailures(at time.Time, v float64) cwtypes.MetricDatum {
	return cwtypes.MetricDatum{MetricName: aws.String("RotationFailed"), Timestamp: aws.Time(at), Value: aws.Float64(v),
		Dimensions: []cwtypes.Dimension{cwDim("Environment", "production")}, Unit: cwtypes.StandardUnitCount}
}

func TestCWAlarmEvaluatesToAlarmThenOK(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	clock := useCWFakeClock(srv)
	if _, err := c.PutMetricAlarm(cwCtx(t), cwFailureAlarm("rotation-failures")); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	a := cwAlarmState(t, c, "rotation-failures")
	if a.StateValue != cwtypes.StateValueInsufficientData || !strings.Contains(aws.ToString(a.StateReason), "Initial alarm creation") {
		t.Fatalf("new alarm: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	if aws.ToString(a.AlarmArn) != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:rotation-failures" || aws.ToFloat64(a.Threshold) != 1 ||
		aws.ToInt32(a.Period) != 60 || a.Statistic != cwtypes.StatisticSum || len(a.Dimensions) != 1 {
		t.Fatalf("alarm configuration not echoed: %+v", a)
	}

	clock.Advance(5 * time.Second)
	cwPut(t, c, "Credstage", cwFailures(clock.Now(), 2))
	a = cwAlarmState(t, c, "rotation-failures")
	if a.StateValue != cwtypes.StateValueAlarm {
		t.Fatalf("after a failure: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	if !strings.Contains(aws.ToString(a.StateReason), "greater than or equal to the threshold (1.0)") ||
		!strings.Contains(aws.ToString(a.StateReasonData), `"recentDatapoints":[2]`) {
		t.Fatalf("reason %q data %s", aws.ToString(a.StateReason), aws.ToString(a.StateReasonData))
	}
	if !a.StateUpdatedTimestamp.Equal(clock.Now()) {
		t.Fatalf("StateUpdatedTimestamp %v, want %v", a.StateUpdatedTimestamp, clock.Now())
	}

	clock.Advance(2 * time.Minute)
	cwPut(t, c, "Credstage", cwFailures(clock.Now(), 0))
	if a = cwAlarmState(t, c, "rotation-failures"); a.StateValue != cwtypes.StateValueOk {
		t.Fatalf("after a quiet period: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}

	// Without data the default treatment (missing) makes the state unknown
	// at the next periodic evaluation; notBreaching keeps it OK.
	notBreaching := cwFailureAlarm("rotation-failures-nb")
	notBreaching.TreatMissingData = aws.String("notBreaching")
	if _, err := c.PutMetricAlarm(cwCtx(t), notBreaching); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	clock.Advance(5 * time.Minute)
	if a = cwAlarmState(t, c, "rotation-failures"); a.StateValue != cwtypes.StateValueInsufficientData {
		t.Fatalf("after no data: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	if a = cwAlarmState(t, c, "rotation-failures-nb"); a.StateValue != cwtypes.StateValueOk {
		t.Fatalf("notBreaching after no data: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
}

func TestCWAlarmDatapointsToAlarm(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	clock := useCWFakeClock(srv)
	in := cwFailureAlarm("two-of-three")
	in.EvaluationPeriods, in.DatapointsToAlarm, in.Statistic = aws.Int32(3), aws.Int32(2), cwtypes.StatisticMaximum
	if _, err := c.PutMetricAlarm(cwCtx(t), in); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	now := clock.Now()
	cwPut(t, c, "Credstage", cwFailures(now.Add(-150*time.Second), 5), cwFailures(now.Add(-90*time.Second), 0), cwFailures(now, 0))
	if a := cwAlarmState(t, c, "two-of-three"); a.StateValue != cwtypes.StateValueOk {
		t.Fatalf("1 of 3 breaching: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
	cwPut(t, c, "Credstage", cwFailures(now, 7))
	if a := cwAlarmState(t, c, "two-of-three"); a.StateValue != cwtypes.StateValueAlarm {
		t.Fatalf("2 of 3 breaching: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}
}

func TestCWSetAlarmStateHoldsUntilNextEvaluation(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	clock := useCWFakeClock(srv)
	cwPut(t, c, "Credstage", cwFailures(clock.Now(), 0))
	in := cwFailureAlarm("manual")
	in.TreatMissingData = aws.String("notBreaching")
	if _, err := c.PutMetricAlarm(cwCtx(t), in); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	if a := cwAlarmState(t, c, "manual"); a.StateValue != cwtypes.StateValueOk {
		t.Fatalf("evaluated at creation: %s", a.StateValue)
	}
	_, err := c.SetAlarmState(cwCtx(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("manual"),
		StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("testing actions"), StateReasonData: aws.String(`{"by":"test"}`)})
	if err != nil {
		t.Fatalf("SetAlarmState: %v", err)
	}
	clock.Advance(30 * time.Second)
	a := cwAlarmState(t, c, "manual")
	if a.StateValue != cwtypes.StateValueAlarm || aws.ToString(a.StateReason) != "testing actions" || aws.ToString(a.StateReasonData) != `{"by":"test"}` {
		t.Fatalf("set state not kept: %s %q %q", a.StateValue, aws.ToString(a.StateReason), aws.ToString(a.StateReasonData))
	}
	// The next periodic evaluation a minute later puts it back.
	clock.Advance(31 * time.Second)
	if a = cwAlarmState(t, c, "manual"); a.StateValue != cwtypes.StateValueOk {
		t.Fatalf("after the next evaluation: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}

	// New data for the metric re-evaluates at once.
	if _, err := c.SetAlarmState(cwCtx(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("manual"),
		StateValue: cwtypes.StateValueAlarm, StateReason: aws.String("again")}); err != nil {
		t.Fatalf("SetAlarmState: %v", err)
	}
	cwPut(t, c, "Credstage", cwFailures(clock.Now(), 0))
	if a = cwAlarmState(t, c, "manual"); a.StateValue != cwtypes.StateValueOk {
		t.Fatalf("after new data: %s %q", a.StateValue, aws.ToString(a.StateReason))
	}

	_, err = c.SetAlarmState(cwCtx(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("nope"),
		StateValue: cwtypes.StateValueOk, StateReason: aws.String("x")})
	requireCWError(t, err, "ResourceNotFound", "nope")
	var notFound *cwtypes.ResourceNotFound
	if !errors.As(err, &notFound) {
		t.Fatalf("want *types.ResourceNotFound, got %T", err)
	}
	_, err = c.SetAlarmState(cwCtx(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("manual"),
		StateValue: cwtypes.StateValueOk, StateReason: aws.String("x"), StateReasonData: aws.String("{not json")})
	requireCWError(t, err, "InvalidFormat", "JSON")
	_, err = c.SetAlarmState(cwCtx(t), &cloudwatch.SetAlarmStateInput{AlarmName: aws.String("manual"),
		StateValue: cwtypes.StateValue("BROKEN"), StateReason: aws.String("x")})
	requireCWError(t, err, "InvalidParameterValue", "BROKEN")
}

func TestCWDescribeAlarmsFiltersAndPages(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	clock := useCWFakeClock(srv)
	for i := range 7 {
		in := cwFailureAlarm(fmt.Sprintf("credstage-%d", i))
		in.AlarmActions = []string{"arn:aws:sns:us-east-1:000000000000:ops"}
		if _, err := c.PutMetricAlarm(cwCtx(t), in); err != nil {
			t.Fatalf("PutMetricAlarm: %v", err)
		}
	}
	if _, err := c.PutMetricAlarm(cwCtx(t), cwFailureAlarm("other")); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	cwPut(t, c, "Credstage", cwFailures(clock.Now(), 3))

	var names []string
	var token *string
	for {
		out, err := c.DescribeAlarms(cwCtx(t), &cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("credstage-"), MaxRecords: aws.Int32(3), NextToken: token})
		if err != nil {
			t.Fatalf("DescribeAlarms: %v", err)
		}
		if len(out.MetricAlarms) > 3 {
			t.Fatalf("page of %d alarms exceeds MaxRecords", len(out.MetricAlarms))
		}
		for _, a := range out.MetricAlarms {
			names = append(names, aws.ToString(a.AlarmName))
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if fmt.Sprint(names) != "[credstage-0 credstage-1 credstage-2 credstage-3 credstage-4 credstage-5 credstage-6]" {
		t.Fatalf("paged names %v", names)
	}
	out, err := c.DescribeAlarms(cwCtx(t), &cloudwatch.DescribeAlarmsInput{StateValue: cwtypes.StateValueAlarm, ActionPrefix: aws.String("arn:aws:sns")})
	if err != nil || len(out.MetricAlarms) != 7 {
		t.Fatalf("StateValue+ActionPrefix: %v, %d alarms", err, len(out.MetricAlarms))
	}
	out, err = c.DescribeAlarms(cwCtx(t), &cloudwatch.DescribeAlarmsInput{AlarmTypes: []cwtypes.AlarmType{cwtypes.AlarmTypeCompositeAlarm}})
	if err != nil || len(out.MetricAlarms) != 0 {
		t.Fatalf("composite only: %v %d", err, len(out.MetricAlarms))
	}
	_, err = c.DescribeAlarms(cwCtx(t), &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"other"}, AlarmNamePrefix: aws.String("x")})
	requireCWError(t, err, "InvalidParameterCombination", "AlarmNamePrefix")
	_, err = c.DescribeAlarms(cwCtx(t), &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(101)})
	requireCWError(t, err, "InvalidParameterValue", "MaxRecords")
}

func TestCWDeleteAlarmsIsAllOrNothing(t *testing.T) {
	_, c := startCWServer(t, Options{})
	for _, name := range []string{"a", "b"} {
		if _, err := c.PutMetricAlarm(cwCtx(t), cwFailureAlarm(name)); err != nil {
			t.Fatalf("PutMetricAlarm: %v", err)
		}
	}
	_, err := c.DeleteAlarms(cwCtx(t), &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"a", "missing"}})
	requireCWError(t, err, "ResourceNotFound", "missing")
	if out, _ := c.DescribeAlarms(cwCtx(t), &cloudwatch.DescribeAlarmsInput{}); len(out.MetricAlarms) != 2 {
		t.Fatalf("a failed DeleteAlarms deleted something: %d left", len(out.MetricAlarms))
	}
	if _, err := c.DeleteAlarms(cwCtx(t), &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"a", "b"}}); err != nil {
		t.Fatalf("DeleteAlarms: %v", err)
	}
	if out, _ := c.DescribeAlarms(cwCtx(t), &cloudwatch.DescribeAlarmsInput{}); len(out.MetricAlarms) != 0 {
		t.Fatalf("%d alarms left", len(out.MetricAlarms))
	}
}

func TestCWPutMetricAlarmValidation(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	clock := useCWFakeClock(srv)
	mutate := func(f func(*cloudwatch.PutMetricAlarmInput)) *cloudwatch.PutMetricAlarmInput {
		in := cwFailureAlarm("v")
		f(in)
		return in
	}
	cases := []struct {
		name string
		in   *cloudwatch.PutMetricAlarmInput
		code string
		msg  string
	}{
		{"both statistics", mutate(func(in *cloudwatch.PutMetricAlarmInput) { in.ExtendedStatistic = aws.String("p99") }), "InvalidParameterCombination", "ExtendedStatistic"},
		{"no statistic", mutate(func(in *cloudwatch.PutMetricAlarmInput) { in.Statistic = "" }), "InvalidParameterCombination", "Statistic"},
		{"period", mutate(func(in *cloudwatch.PutMetricAlarmInput) { in.Period = aws.Int32(45) }), "InvalidParameterValue", "Period"},
		{"datapoints to alarm", mutate(func(in *cloudwatch.PutMetricAlarmInput) { in.DatapointsToAlarm = aws.Int32(2) }), "InvalidParameterValue", "DatapointsToAlarm"},
		{"treat missing", mutate(func(in *cloudwatch.PutMetricAlarmInput) { in.TreatMissingData = aws.String("sometimes") }), "InvalidParameterValue", "TreatMissingData"},
		{"too long", mutate(func(in *cloudwatch.PutMetricAlarmInput) { in.EvaluationPeriods = aws.Int32(1441) }), "InvalidParameterValue", "EvaluationPeriods"},
		{"anomaly", mutate(func(in *cloudwatch.PutMetricAlarmInput) {
			in.ComparisonOperator = cwtypes.ComparisonOperatorGreaterThanUpperThreshold
		}), "InvalidParameterValue", "anomaly"},
		{"math", mutate(func(in *cloudwatch.PutMetricAlarmInput) {
			in.Namespace, in.MetricName, in.Statistic, in.Period, in.Dimensions = nil, nil, "", nil, nil
			in.Metrics = []cwtypes.MetricDataQuery{{Id: aws.String("e"), Expression: aws.String("m1*2")}}
		}), "InvalidParameterValue", "metric math"},
		{"metrics and metric name", mutate(func(in *cloudwatch.PutMetricAlarmInput) {
			in.Metrics = []cwtypes.MetricDataQuery{{Id: aws.String("e"), Expression: aws.String("m1*2")}}
		}), "InvalidParameterCombination", "Metrics"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.PutMetricAlarm(cwCtx(t), tc.in)
			requireCWError(t, err, tc.code, tc.msg)
		})
	}

	// The Metrics form with one MetricStat is evaluated like the plain form.
	in := mutate(func(in *cloudwatch.PutMetricAlarmInput) {
		in.Namespace, in.MetricName, in.Statistic, in.Period, in.Dimensions = nil, nil, "", nil, nil
		in.Metrics = []cwtypes.MetricDataQuery{{Id: aws.String("m1"), ReturnData: aws.Bool(true), MetricStat: &cwtypes.MetricStat{
			Metric: &cwtypes.Metric{Namespace: aws.String("Credstage"), MetricName: aws.String("RotationFailed"),
				Dimensions: []cwtypes.Dimension{cwDim("Environment", "production")}},
			Period: aws.Int32(60), Stat: aws.String("Sum")}}}
	})
	if _, err := c.PutMetricAlarm(cwCtx(t), in); err != nil {
		t.Fatalf("PutMetricAlarm with Metrics: %v", err)
	}
	cwPut(t, c, "Credstage", cwFailures(clock.Now(), 1))
	a := cwAlarmState(t, c, "v")
	if a.StateValue != cwtypes.StateValueAlarm || len(a.Metrics) != 1 || aws.ToString(a.Metrics[0].Id) != "m1" {
		t.Fatalf("Metrics alarm: %s %+v", a.StateValue, a.Metrics)
	}
}
