package localaws

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"
)

// Fuzz modes: which protocol and service a fuzzed request is dressed as.
const (
	fuzzSMJSON11 = iota
	fuzzCWJSON10
	fuzzCWCBOR
	fuzzRDSQuery
	fuzzCWQuery
	fuzzModes

	// High bits of the mode byte vary the transport: a gzip-compressed body
	// (as SDKs send PutMetricData), or a gzip header on a plain body.
	fuzzGzipBody   = 0x80
	fuzzGzipHeader = 0x40
)

// FuzzRequestDecoding feeds arbitrary bodies and operation names through
// Server.ServeHTTP on every protocol. Whatever arrives, the emulator must
// answer with an AWS error, never panic and never answer 500 (which tests
// treat as a bug in the emulator).
func FuzzRequestDecoding(f *testing.F) {
	for _, seed := range fuzzSeeds(f) {
		f.Add(seed.mode, seed.op, seed.body)
	}
	srv, err := New(Options{Ephemeral: true, Addr: "127.0.0.1:0"})
	if err != nil {
		f.Fatalf("New: %v", err)
	}
	f.Cleanup(func() { _ = srv.Close() })

	f.Fuzz(func(t *testing.T, mode uint8, op string, body []byte) {
		if len(body) > 64<<10 || len(op) > 256 {
			t.Skip("bigger inputs only slow the search down")
		}
		req, ok := fuzzRequest(mode, op, body)
		if !ok {
			t.Skip("an RDS call that would start or change a database")
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("mode %d op %q: status %d: %s", mode, op, rec.Code, rec.Body.Bytes())
		}
	})
}

// fuzzRequest dresses a fuzzed body as a request of one protocol. ok is false
// for RDS calls other than reads: they would run initdb and pg_ctl.
func fuzzRequest(mode uint8, op string, body []byte) (*http.Request, bool) {
	payload := body
	if mode&fuzzGzipBody != 0 {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write(body)
		_ = zw.Close()
		payload = buf.Bytes()
	}
	path, scope := "/", "monitoring"
	header := http.Header{}
	protocol := (mode &^ (fuzzGzipBody | fuzzGzipHeader)) % fuzzModes
	switch protocol {
	case fuzzSMJSON11:
		scope = "secretsmanager"
		header.Set("Content-Type", "application/x-amz-json-1.1")
		header.Set("X-Amz-Target", "secretsmanager."+op)
	case fuzzCWJSON10:
		header.Set("Content-Type", "application/x-amz-json-1.0")
		header.Set("X-Amz-Target", "GraniteServiceVersion20100801."+op)
	case fuzzCWCBOR:
		path = "/service/GraniteServiceVersion20100801/operation/" + url.PathEscape(op)
		header.Set("Content-Type", "application/cbor")
		header.Set("Smithy-Protocol", "rpc-v2-cbor")
	case fuzzRDSQuery, fuzzCWQuery:
		if protocol == fuzzRDSQuery {
			scope = "rds"
		}
		header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		if form, err := url.ParseQuery(string(body)); err == nil && !fuzzSafeQuery(form, scope) {
			return nil, false
		}
	}
	if mode&(fuzzGzipBody|fuzzGzipHeader) != 0 {
		header.Set("Content-Encoding", "gzip")
	}
	header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDFUZZ/20251125/us-east-1/"+scope+"/aws4_request, SignedHeaders=host, Signature=0")
	req := httptest.NewRequest(http.MethodPost, "http://localhost"+path, bytes.NewReader(payload))
	req.Header = header
	return req, true
}

// fuzzSafeQuery admits every CloudWatch call and only RDS reads.
func fuzzSafeQuery(form url.Values, scope string) bool {
	version := form.Get("Version")
	if version == cwAPIVersion || (version != rdsAPIVersion && scope != "rds") {
		return true
	}
	action := form.Get("Action")
	return strings.HasPrefix(action, "Describe") || strings.HasPrefix(action, "List")
}

type fuzzSeed struct {
	mode uint8
	op   string
	body []byte
}

// fuzzSeeds are valid requests of each protocol, so mutations start from
// shapes that reach the operations rather than stopping at the decoder.
func fuzzSeeds(f *testing.F) []fuzzSeed {
	now := time.Now().Unix()
	var seeds []fuzzSeed
	add := func(mode uint8, op, body string) { seeds = append(seeds, fuzzSeed{mode, op, []byte(body)}) }

	add(fuzzSMJSON11, "GetRandomPassword", `{"PasswordLength":32,"ExcludeCharacters":"/@\"'\\: "}`)
	add(fuzzSMJSON11, "CreateSecret", `{"Name":"fuzz/app","SecretString":"{\"username\":\"app\",\"password\":\"x\"}","ClientRequestToken":"11111111-1111-1111-1111-111111111111"}`)
	add(fuzzSMJSON11, "GetSecretValue", `{"SecretId":"fuzz/app","VersionStage":"AWSCURRENT"}`)
	add(fuzzSMJSON11, "PutSecretValue", `{"SecretId":"fuzz/app","SecretString":"{}","ClientRequestToken":"22222222-2222-2222-2222-222222222222","VersionStages":["AWSPENDING"]}`)
	add(fuzzSMJSON11, "UpdateSecretVersionStage", `{"SecretId":"fuzz/app","VersionStage":"AWSCURRENT","MoveToVersionId":"22222222-2222-2222-2222-222222222222","RemoveFromVersionId":"11111111-1111-1111-1111-111111111111"}`)
	add(fuzzSMJSON11, "DescribeSecret", `{"SecretId":"fuzz/app"}`)
	add(fuzzSMJSON11, "ListSecrets", `{"MaxResults":10,"Filters":[{"Key":"name","Values":["fuzz"]}]}`)
	add(fuzzSMJSON11, "TagResource", `{"SecretId":"fuzz/app","Tags":[{"Key":"Environment","Value":"staging"}]}`)
	add(fuzzSMJSON11, "DeleteSecret", `{"SecretId":"fuzz/app","ForceDeleteWithoutRecovery":true}`)

	cwJSON := map[string]string{
		"PutMetricData": `{"Namespace":"Credstage","MetricData":[{"MetricName":"RotationDuration","Dimensions":[{"Name":"Environment","Value":"staging"}],"Timestamp":` +
			strconv.FormatInt(now, 10) + `,"Value":12.5,"Unit":"Milliseconds"},{"MetricName":"RotationDuration","Values":[1,2],"Counts":[3,4],"StorageResolution":1},` +
			`{"MetricName":"StageDuration","StatisticValues":{"SampleCount":2,"Sum":3,"Minimum":1,"Maximum":2}}]}`,
		"GetMetricData": `{"MetricDataQueries":[{"Id":"q1","MetricStat":{"Metric":{"Namespace":"Credstage","MetricName":"RotationDuration","Dimensions":[{"Name":"Environment","Value":"staging"}]},"Period":60,"Stat":"p99"},"ReturnData":true}],"StartTime":` +
			strconv.FormatInt(now-3600, 10) + `,"EndTime":` + strconv.FormatInt(now, 10) + `,"ScanBy":"TimestampAscending","MaxDatapoints":10}`,
		"GetMetricStatistics": `{"Namespace":"Credstage","MetricName":"RotationDuration","StartTime":` + strconv.FormatInt(now-3600, 10) + `,"EndTime":` + strconv.FormatInt(now, 10) +
			`,"Period":60,"Statistics":["Sum","Average"],"ExtendedStatistics":["p90"],"Unit":"Milliseconds"}`,
		"ListMetrics": `{"Namespace":"Credstage","Dimensions":[{"Name":"Environment"}],"RecentlyActive":"PT3H"}`,
		"PutMetricAlarm": `{"AlarmName":"fuzz","Namespace":"Credstage","MetricName":"RotationFailed","Statistic":"Sum","Period":60,"EvaluationPeriods":3,` +
			`"DatapointsToAlarm":2,"Threshold":1,"ComparisonOperator":"GreaterThanOrEqualToThreshold","TreatMissingData":"breaching","AlarmActions":["arn:aws:sns:us-east-1:000000000000:x"]}`,
		"DescribeAlarms": `{"AlarmNamePrefix":"fu","StateValue":"ALARM","MaxRecords":5}`,
		"SetAlarmState":  `{"AlarmName":"fuzz","StateValue":"OK","StateReason":"seed","StateReasonData":"{}"}`,
		"DeleteAlarms":   `{"AlarmNames":["fuzz"]}`,
	}
	for op, body := range cwJSON {
		add(fuzzCWJSON10, op, body)
		add(fuzzCWJSON10|fuzzGzipBody, op, body)
		seeds = append(seeds, fuzzSeed{fuzzCWCBOR, op, fuzzJSONToCBOR(f, body)})
	}

	add(fuzzRDSQuery, "", "Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=fuzz-db")
	add(fuzzRDSQuery, "", "Action=ListTagsForResource&Version=2014-10-31&ResourceName=arn%3Aaws%3Ards%3Aus-east-1%3A000000000000%3Adb%3Afuzz-db")
	add(fuzzCWQuery, "", "Action=PutMetricData&Version=2010-08-01&Namespace=Credstage&MetricData.member.1.MetricName=RotationSucceeded"+
		"&MetricData.member.1.Dimensions.member.1.Name=Environment&MetricData.member.1.Dimensions.member.1.Value=staging"+
		"&MetricData.member.1.Value=1&MetricData.member.1.Timestamp="+url.QueryEscape(time.Unix(now, 0).UTC().Format(time.RFC3339))+
		"&MetricData.member.2.MetricName=M&MetricData.member.2.Values.member.1=1&MetricData.member.2.Counts.member.1=2")
	add(fuzzCWQuery, "", "Action=GetMetricData&Version=2010-08-01&MetricDataQueries.member.1.Id=q&MetricDataQueries.member.1.MetricStat.Metric.Namespace=Credstage"+
		"&MetricDataQueries.member.1.MetricStat.Metric.MetricName=RotationSucceeded&MetricDataQueries.member.1.MetricStat.Period=60"+
		"&MetricDataQueries.member.1.MetricStat.Stat=Sum&StartTime=2025-11-25T00%3A00%3A00Z&EndTime=2025-11-26T00%3A00%3A00Z")
	add(fuzzCWQuery, "", "Action=DescribeAlarms&Version=2010-08-01&AlarmNames.member.1=fuzz&MaxRecords=10")
	add(fuzzCWQuery, "", "Action=PutMetricAlarm&Version=2010-08-01&AlarmName=q&Namespace=Credstage&MetricName=M&Statistic=Maximum"+
		"&Period=60&EvaluationPeriods=1&Threshold=5&ComparisonOperator=GreaterThanThreshold")
	return seeds
}

// fuzzJSONToCBOR re-encodes a JSON seed the way the SDK would: CBOR maps,
// integers, floats and tag-1 timestamps.
func fuzzJSONToCBOR(f *testing.F, body string) []byte {
	var v any
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		f.Fatalf("seed %s: %v", body, err)
	}
	out, err := cbor.Marshal(fuzzTagTimes(v, ""))
	if err != nil {
		f.Fatalf("seed %s: %v", body, err)
	}
	return out
}

func fuzzTagTimes(v any, key string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = fuzzTagTimes(e, k)
		}
	case []any:
		for i, e := range x {
			x[i] = fuzzTagTimes(e, key)
		}
	case float64:
		if strings.HasSuffix(key, "Time") || key == "Timestamp" {
			return cbor.Tag{Number: 1, Content: x}
		}
		if x == float64(int64(x)) {
			return int64(x) // int32 members travel as CBOR integers
		}
	}
	return v
}
