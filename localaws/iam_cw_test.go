package localaws

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

const alarmPrefix = "arn:aws:cloudwatch:us-east-1:000000000000:alarm:"

func putOne(cw *cloudwatch.Client, t *testing.T, namespace string) error {
	_, err := cw.PutMetricData(iamCtx(t), &cloudwatch.PutMetricDataInput{Namespace: aws.String(namespace),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("RotationSucceeded"), Value: aws.Float64(1)}}})
	return err
}

// TestIAMCloudWatchMetrics: PutMetricData has no resource; the namespace
// condition decides, and a refused call stores nothing.
func TestIAMCloudWatchMetrics(t *testing.T) {
	srv := startIAMServer(t, withAdmin(iamConfig([]string{
		`{"Effect":"Allow","Action":"cloudwatch:PutMetricData","Resource":"*","Condition":{"StringEquals":{"cloudwatch:namespace":"Credstage"}}}`})))
	worker, admin := cwClientAs(srv, workerKey, workerSecret), cwClientAs(srv, adminKey, adminSecret)
	if err := putOne(worker, t, "Credstage"); err != nil {
		t.Fatalf("PutMetricData to Credstage: %v", err)
	}
	requireAPIError(t, putOne(worker, t, "Other"), "AccessDenied", 403, "User: "+workerARN+
		" is not authorized to perform: cloudwatch:PutMetricData because no identity-based policy allows the cloudwatch:PutMetricData action")
	out, err := admin.ListMetrics(iamCtx(t), &cloudwatch.ListMetricsInput{Namespace: aws.String("Other")})
	if err != nil || len(out.Metrics) != 0 {
		t.Fatalf("a refused PutMetricData stored %v (%v)", out, err)
	}
	_, err = worker.ListMetrics(iamCtx(t), &cloudwatch.ListMetricsInput{})
	requireAPIError(t, err, "AccessDenied", 403, "cloudwatch:ListMetrics")
}

// TestIAMCloudWatchAlarms: alarm operations name the alarm's ARN, one
// request per alarm; the refusal is the query code on every protocol.
func TestIAMCloudWatchAlarms(t *testing.T) {
	srv := startIAMServer(t, withAdmin(iamConfig([]string{
		`{"Effect":"Allow","Action":["cloudwatch:PutMetricAlarm","cloudwatch:DescribeAlarms","cloudwatch:DeleteAlarms"],"Resource":"` + alarmPrefix + `credstage-*"}`})))
	worker, admin := cwClientAs(srv, workerKey, workerSecret), cwClientAs(srv, adminKey, adminSecret)
	ctx := iamCtx(t)
	put := func(name string) error {
		_, err := worker.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String(name), Namespace: aws.String("Credstage"),
			MetricName: aws.String("RotationFailed"), Statistic: cwtypes.StatisticSum, Period: aws.Int32(60), EvaluationPeriods: aws.Int32(1),
			Threshold: aws.Float64(1), ComparisonOperator: cwtypes.ComparisonOperatorGreaterThanOrEqualToThreshold})
		return err
	}
	if err := put("credstage-failures"); err != nil {
		t.Fatalf("PutMetricAlarm: %v", err)
	}
	requireAPIError(t, put("other"), "AccessDenied", 403, "cloudwatch:PutMetricAlarm on resource: "+alarmPrefix+"other")
	if _, err := worker.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"credstage-failures"}}); err != nil {
		t.Fatalf("DescribeAlarms by name: %v", err)
	}
	_, err := worker.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{})
	requireAPIError(t, err, "AccessDenied", 403, "on resource: "+alarmPrefix+"*")
	_, err = worker.DeleteAlarms(ctx, &cloudwatch.DeleteAlarmsInput{AlarmNames: []string{"credstage-failures", "other"}})
	requireAPIError(t, err, "AccessDenied", 403, "cloudwatch:DeleteAlarms on resource: "+alarmPrefix+"other")
	left, err := admin.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{"credstage-failures"}})
	if err != nil || len(left.MetricAlarms) != 1 {
		t.Fatalf("a refused DeleteAlarms deleted: %v %v", left, err)
	}

	// The same refusal on JSON 1.0 and query: the query code everywhere.
	jsonCall := signedRequest(t, srv, workerKey, workerSecret, "monitoring", time.Now(), "/", []byte(`{"AlarmNames":["other"]}`),
		map[string]string{"X-Amz-Target": cwJSONTargetPrefix + "DeleteAlarms", "Content-Type": "application/x-amz-json-1.0"})
	if jsonCall.status != 403 || jsonCall.queryError != "AccessDenied;Sender" || jsonCall.code != "AccessDeniedException" {
		t.Fatalf("JSON 1.0 refusal: %d %q %s", jsonCall.status, jsonCall.queryError, jsonCall.code)
	}
	queryCall := signedRequest(t, srv, workerKey, workerSecret, "monitoring", time.Now(), "/",
		[]byte("Action=DeleteAlarms&Version=2010-08-01&AlarmNames.member.1=other"), map[string]string{"Content-Type": "application/x-www-form-urlencoded"})
	if queryCall.status != 403 || queryCall.code != "AccessDenied" {
		t.Fatalf("query refusal: %d %s %s", queryCall.status, queryCall.code, queryCall.body)
	}
}
