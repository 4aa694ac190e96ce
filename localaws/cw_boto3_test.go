package localaws

import (
	"encoding/json"
	"strings"
	"testing"
)

// cwBoto3Script exercises this CloudWatch and Secrets Manager
// changes through botocore (what the AWS CLI runs on), which picks its
// own CloudWatch protocol, and prints what it parsed.
const cwBoto3Script = `
import json, sys, time, uuid
import boto3
from botocore.exceptions import ClientError

cw = boto3.client("cloudwatch", endpoint_url=sys.argv[1], region_name="us-east-1")
sm = boto3.client("secretsmanager", endpoint_url=sys.argv[1], region_name="us-east-1")
out = {"protocol": cw.meta.service_model.protocol}
def err(call):
    try:
        call()
        return {"error": "no error"}
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"].get("Message", ""),
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                "resourceId": e.response.get("ResourceId", e.response["Error"].get("ResourceId", ""))}

cw.put_metric_data(Namespace="Boto", MetricData=[
    {"MetricName": "Bare", "StatisticValues": {"SampleCount": 2, "Sum": 10, "Minimum": 4, "Maximum": 6}},
    {"MetricName": "Bare", "Values": [1, 2], "Counts": [2, 1]}])
out["metrics"] = cw.list_metrics(Namespace="Boto")["Metrics"]
now = time.time()
st = cw.get_metric_statistics(Namespace="Boto", MetricName="Bare", StartTime=now - 600, EndTime=now + 60, Period=60,
    Statistics=["SampleCount", "Sum", "Minimum", "Maximum"])["Datapoints"]
out["stats"] = [{k: d[k] for k in ("SampleCount", "Sum", "Minimum", "Maximum")} for d in st]
out["both"] = err(lambda: cw.put_metric_data(Namespace="Boto", MetricData=[{"MetricName": "Bare", "Value": 1,
    "StatisticValues": {"SampleCount": 1, "Sum": 1, "Minimum": 1, "Maximum": 1}}]))

cw.put_metric_alarm(AlarmName="boto-alarm", Namespace="Boto", MetricName="Bare", Statistic="Sum", Period=60,
    EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanThreshold", Tags=[{"Key": "Team", "Value": "db"}])
arn = cw.describe_alarms(AlarmNames=["boto-alarm"])["MetricAlarms"][0]["AlarmArn"]
cw.tag_resource(ResourceARN=arn, Tags=[{"Key": "Environment", "Value": "prod"}])
out["tags"] = cw.list_tags_for_resource(ResourceARN=arn)["Tags"]
out["forMetric"] = [a["AlarmName"] for a in cw.describe_alarms_for_metric(Namespace="Boto", MetricName="Bare")["MetricAlarms"]]
out["unknown"] = err(lambda: cw.list_tags_for_resource(ResourceARN=arn + "-gone"))

tok = str(uuid.uuid4())
sm.create_secret(Name="boto-secret", SecretString="one")
sm.put_secret_value(SecretId="boto-secret", SecretString="two", ClientRequestToken=tok)
out["token"] = err(lambda: sm.put_secret_value(SecretId="boto-secret", SecretString="three", ClientRequestToken=tok))
out["secretArn"] = sm.describe_secret(SecretId="boto-secret")["ARN"]
out["token"]["tok"] = tok
out["rotate"] = err(lambda: sm.rotate_secret(SecretId="boto-secret"))
print(json.dumps(out))
`

func TestCWAndSMChangesWithBoto3(t *testing.T) {
	srv, _ := startCWServer(t, Options{})
	raw := runBoto3(t, cwBoto3Script, srv.URL(), "AKIDBOTOTEST")
	type apiErr struct {
		Code, Message, ResourceID, Tok string
		Status                         int
	}
	var got struct {
		Protocol  string
		Metrics   []map[string]any
		Stats     []map[string]float64
		Both      apiErr
		Tags      []map[string]string
		ForMetric []string
		Unknown   apiErr
		Token     apiErr
		SecretArn string
		Rotate    apiErr
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("boto3 printed %s: %v", raw, err)
	}
	t.Logf("botocore's CloudWatch protocol: %s", got.Protocol)
	if len(got.Metrics) != 1 {
		t.Fatalf("metrics %v", got.Metrics)
	}
	if dims, ok := got.Metrics[0]["Dimensions"].([]any); !ok || len(dims) != 0 {
		t.Errorf("ListMetrics Dimensions = %#v, want []", got.Metrics[0]["Dimensions"])
	}
	if len(got.Stats) != 1 || got.Stats[0]["SampleCount"] != 5 || got.Stats[0]["Sum"] != 14 || got.Stats[0]["Minimum"] != 1 || got.Stats[0]["Maximum"] != 6 {
		t.Errorf("statistics %v, want SampleCount 5, Sum 14, Minimum 1, Maximum 6", got.Stats)
	}
	if got.Both.Code != "InvalidParameterCombination" || got.Both.Status != 400 ||
		got.Both.Message != "The parameters MetricData.member.1.Value and MetricData.member.1.StatisticValues are mutually exclusive and you have specified both." {
		t.Errorf("Value with StatisticValues: %+v", got.Both)
	}
	if len(got.Tags) != 2 || got.Tags[0]["Key"] != "Team" || got.Tags[1]["Key"] != "Environment" {
		t.Errorf("tags %v", got.Tags)
	}
	if strings.Join(got.ForMetric, ",") != "boto-alarm" {
		t.Errorf("DescribeAlarmsForMetric %v", got.ForMetric)
	}
	if got.Unknown.Code != "ResourceNotFoundException" || got.Unknown.Status != 404 {
		t.Errorf("unknown alarm ARN: %+v", got.Unknown)
	}
	want := "You can't use ClientRequestToken " + got.Token.Tok + " because that value is already in use for a version of secret " + got.SecretArn + "."
	if got.Token.Code != "ResourceExistsException" || got.Token.Message != want {
		t.Errorf("token reused: %+v, want ResourceExistsException %q", got.Token, want)
	}
	if got.Rotate.Code != "InvalidRequestException" || got.Rotate.Message != "No Lambda rotation function ARN is associated with this secret." {
		t.Errorf("RotateSecret without a Lambda: %+v", got.Rotate)
	}
}
