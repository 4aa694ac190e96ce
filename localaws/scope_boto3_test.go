package localaws

import (
	"encoding/json"
	"strings"
	"testing"
)

// scopeBoto3Script makes a secret and an alarm through us-west-2 clients
// and prints their ARNs, what us-east-1 lists, and what us-east-1 answers
// for the us-west-2 secret's ARN.
const scopeBoto3Script = `
import json, sys
import boto3
from botocore.exceptions import ClientError

def client(name, region):
    return boto3.client(name, endpoint_url=sys.argv[1], region_name=region)
sm_west, sm_east = client("secretsmanager", "us-west-2"), client("secretsmanager", "us-east-1")
arn = sm_west.create_secret(Name="app/db", SecretString="west")["ARN"]
cw = client("cloudwatch", "us-west-2")
cw.put_metric_alarm(AlarmName="failures", Namespace="Credstage", MetricName="RotationFailed",
    Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold")
alarm = cw.describe_alarms()["MetricAlarms"][0]["AlarmArn"]
try:
    sm_east.describe_secret(SecretId=arn)
    east_lookup = "found"
except ClientError as e:
    east_lookup = e.response["Error"]["Code"]
print(json.dumps({"secret": arn, "alarm": alarm, "eastSecrets": len(sm_east.list_secrets()["SecretList"]),
    "eastLookup": east_lookup}))
`

// TestRegionsWithBoto3: botocore's clients sign for the Region they are
// made for, and a us-west-2 client gets us-west-2 ARNs that us-east-1
// does not know.
func TestRegionsWithBoto3(t *testing.T) {
	srv, _ := startSMServer(t, Options{})
	out := runBoto3(t, scopeBoto3Script, srv.URL(), "AKIDSCOPETEST")
	var got struct {
		Secret, Alarm, EastLookup string
		EastSecrets               int
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("boto3 printed %s: %v", out, err)
	}
	if !strings.HasPrefix(got.Secret, "arn:aws:secretsmanager:us-west-2:000000000000:secret:app/db-") ||
		got.Alarm != "arn:aws:cloudwatch:us-west-2:000000000000:alarm:failures" ||
		got.EastSecrets != 0 || got.EastLookup != "ResourceNotFoundException" {
		t.Fatalf("boto3 saw %+v", got)
	}
}
