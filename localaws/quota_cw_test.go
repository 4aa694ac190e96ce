package localaws

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// TestQuotaCloudWatch: each CloudWatch operation has its own bucket; over
// it every protocol answers Throttling (RPC v2 CBOR through the SDK, JSON
// 1.0 and query as botocore sends them), a throttled PutMetricAlarm makes
// no alarm, PutMetricData goes on, and the bucket refills.
func TestQuotaCloudWatch(t *testing.T) {
	srv, clock := startQuotaServer(t, Options{Quotas: &QuotaConfig{
		Families: map[string]QuotaLimit{"cloudwatch:PutMetricAlarm": {Rate: 1, Burst: 1}}}})
	c := quotaCWClient(srv)
	ctx := cwCtx(t)
	alarm := func(name string) error {
		_, err := c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name),
			Namespace: aws.String("Credstage"), MetricName: aws.String("RotationFailed"), Statistic: cwtypes.StatisticSum,
			Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1), Threshold: aws.Float64(1),
			ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold})
		return err
	}
	requireNoErr(t, "first alarm", alarm("first"))
	requireThrottled(t, alarm("second"), "Throttling")

	alarmForm := url.Values{"AlarmName": {"third"}, "Namespace": {"Credstage"}, "MetricName": {"M"}, "Statistic": {"Sum"},
		"Period": {"60"}, "EvaluationPeriods": {"1"}, "Threshold": {"1"}, "ComparisonOperator": {"GreaterThanThreshold"}}
	q := cwQuery(t, srv, "PutMetricAlarm", alarmForm)
	if q.status != http.StatusBadRequest || !strings.Contains(string(q.body), "<Code>Throttling</Code>") ||
		!strings.Contains(string(q.body), "<Message>Rate exceeded</Message>") {
		t.Fatalf("query: %d %s", q.status, q.body)
	}
	j := cwJSON10(t, srv, "PutMetricAlarm", `{"AlarmName":"third","Namespace":"Credstage","MetricName":"M","Statistic":"Sum",
		"Period":60,"EvaluationPeriods":1,"Threshold":1,"ComparisonOperator":"GreaterThanThreshold"}`)
	if j.status != http.StatusBadRequest || j.header.Get("x-amzn-query-error") != "Throttling;Sender" ||
		!strings.Contains(string(j.body), `"ThrottlingException"`) {
		t.Fatalf("JSON 1.0: %d %v %s", j.status, j.header, j.body)
	}

	cwPut(t, c, "Credstage", cwtypes.MetricDatum{MetricName: aws.String("RotationSucceeded"), Value: aws.Float64(1)})
	out, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	requireNoErr(t, "DescribeAlarms", err)
	if len(out.MetricAlarms) != 1 || aws.ToString(out.MetricAlarms[0].AlarmName) != "first" {
		t.Fatalf("alarms %v: a throttled PutMetricAlarm acted", out.MetricAlarms)
	}

	clock.Advance(time.Second)
	requireNoErr(t, "an alarm once a token is back", alarm("second"))
	if _, throttled := quotaCounts(srv, "PutMetricAlarm"); throttled != 3 {
		t.Fatalf("PutMetricAlarm logged throttled %d times, want 3 (one per protocol)", throttled)
	}
}
