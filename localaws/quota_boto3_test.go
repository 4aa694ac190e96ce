package localaws

import (
	"encoding/json"
	"testing"
)

// quotaBoto3Script calls each service twice with retries off (the second
// call is over a one-call bucket) and prints, per service, what botocore
// made of the second answer: its error code, HTTP status, message, and
// whether botocore's standard retryer counts it as a throttle.
const quotaBoto3Script = `
import json, os, sys
import boto3
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker

cfg = Config(retries={"mode": "standard", "max_attempts": 1})
def client(name):
    return boto3.client(name, endpoint_url=sys.argv[1], region_name="us-east-1", config=cfg)
calls = {
    "secretsmanager": lambda: client("secretsmanager").get_random_password(),
    "rds": lambda: client("rds").describe_db_instances(),
    "cloudwatch": lambda: client("cloudwatch").list_metrics(),
}
out = {}
for name, call in calls.items():
    call()
    try:
        call()
        out[name] = {"error": "not throttled"}
    except ClientError as e:
        err = e.response["Error"]
        ctx = RetryContext(attempt_number=1, parsed_response=e.response)
        out[name] = {"code": err["Code"], "message": err["Message"],
                     "status": e.response["ResponseMetadata"]["HTTPStatusCode"],
                     "throttle": ThrottledRetryableChecker().is_retryable(ctx)}
print(json.dumps(out))
`

// TestQuotaWithBoto3: botocore (what the AWS CLI runs on, on its own
// protocols: JSON 1.1, query, and CloudWatch's JSON 1.0 or CBOR) reads
// the same throttling codes as the Go SDK and counts them as throttles.
func TestQuotaWithBoto3(t *testing.T) {
	one := QuotaLimit{Rate: 1, Burst: 1}
	srv, _ := startQuotaServer(t, Options{Quotas: &QuotaConfig{Families: map[string]QuotaLimit{
		"secretsmanager:GetRandomPassword": one, "rds:api": one, "cloudwatch:ListMetrics": one}}})
	out := runBoto3(t, quotaBoto3Script, srv.URL(), "AKIDQUOTATEST")
	type answer struct {
		Code, Message, Error string
		Status               int
		Throttle             bool
	}
	var got map[string]answer
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("boto3 printed %s: %v", out, err)
	}
	for service, code := range map[string]string{"secretsmanager": "ThrottlingException", "rds": "Throttling", "cloudwatch": "Throttling"} {
		a := got[service]
		if a.Code != code || a.Status != 400 || a.Message != msgRateExceeded || !a.Throttle {
			t.Errorf("%s: botocore saw %+v, want %s, 400, %q, a throttle", service, a, code, msgRateExceeded)
		}
	}
}
