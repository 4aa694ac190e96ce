package localaws

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// The AWS CLI speaks awsJson1_0 to CloudWatch and older CLIs and SDKs speak
// awsQuery; no Go client exists for either, so these tests send requests
// shaped as botocore sends them (headers, member names, timestamp formats).

const cwTestAuth = "AWS4-HMAC-SHA256 Credential=AKIDCWTEST/20251125/us-east-1/monitoring/aws4_request, SignedHeaders=host;x-amz-date, Signature=0"

type cwRawResponse struct {
	status int
	header http.Header
	body   []byte
}

func cwSend(t *testing.T, srv *Server, req *http.Request) cwRawResponse {
	t.Helper()
	req.Header.Set("Authorization", cwTestAuth)
	req.Header.Set("X-Amz-Date", "20251125T000000Z")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return cwRawResponse{status: resp.StatusCode, header: resp.Header, body: body}
}

// cwJSON10 sends an awsJson1_0 call the way botocore does.
func cwJSON10(t *testing.T, srv *Server, op string, body string) cwRawResponse {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801."+op)
	req.Header.Set("x-amzn-query-mode", "true")
	return cwSend(t, srv, req)
}

// cwQuery sends an awsQuery call the way botocore does.
func cwQuery(t *testing.T, srv *Server, op string, params url.Values) cwRawResponse {
	t.Helper()
	params.Set("Action", op)
	params.Set("Version", "2010-08-01")
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/", strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return cwSend(t, srv, req)
}

func cwRequireOK(t *testing.T, what string, r cwRawResponse) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("%s: status %d: %s", what, r.status, r.body)
	}
}

func TestCWJSON10Protocol(t *testing.T) {
	srv, _ := startCWServer(t, Options{})
	now := time.Now().Unix()
	put := fmt.Sprintf(`{"Namespace": "Credstage", "MetricData": [
		{"MetricName": "RotationDuration", "Dimensions": [{"Name": "Environment", "Value": "staging"}], "Timestamp": %d, "Value": 12.5, "Unit": "Milliseconds", "StorageResolution": 60},
		{"MetricName": "RotationDuration", "Dimensions": [{"Name": "Environment", "Value": "staging"}], "Timestamp": %d.25, "Values": [1, 2], "Counts": [1, 1], "Unit": "Milliseconds"}]}`, now, now)
	r := cwJSON10(t, srv, "PutMetricData", put)
	cwRequireOK(t, "PutMetricData", r)
	if ct := r.header.Get("Content-Type"); ct != "application/x-amz-json-1.0" {
		t.Errorf("Content-Type %q", ct)
	}

	get := fmt.Sprintf(`{"MetricDataQueries": [{"Id": "q1", "MetricStat": {"Metric": {"Namespace": "Credstage", "MetricName": "RotationDuration",
		"Dimensions": [{"Name": "Environment", "Value": "staging"}]}, "Period": 60, "Stat": "Sum"}, "ReturnData": true}],
		"StartTime": %d, "EndTime": %d, "ScanBy": "TimestampAscending"}`, now-600, now+60)
	r = cwJSON10(t, srv, "GetMetricData", get)
	cwRequireOK(t, "GetMetricData", r)
	var gmd struct {
		MetricDataResults []struct {
			Id, Label, StatusCode string
			Timestamps            []json.Number
			Values                []float64
		}
	}
	dec := json.NewDecoder(bytes.NewReader(r.body))
	dec.UseNumber()
	if err := dec.Decode(&gmd); err != nil || len(gmd.MetricDataResults) != 1 {
		t.Fatalf("GetMetricData body %s: %v", r.body, err)
	}
	res := gmd.MetricDataResults[0]
	if res.Id != "q1" || res.StatusCode != "Complete" || fmt.Sprint(res.Values) != "[15.5]" || len(res.Timestamps) != 1 {
		t.Fatalf("GetMetricData result %+v", res)
	}
	if ts, err := res.Timestamps[0].Float64(); err != nil || int64(ts) != now-now%60 {
		t.Fatalf("timestamp %v is not epoch seconds of the period start %d", res.Timestamps[0], now-now%60)
	}

	alarm := `{"AlarmName": "json-alarm", "Namespace": "Credstage", "MetricName": "RotationDuration",
		"Dimensions": [{"Name": "Environment", "Value": "staging"}], "Statistic": "Maximum", "Period": 60,
		"EvaluationPeriods": 1, "Threshold": 10, "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching"}`
	cwRequireOK(t, "PutMetricAlarm", cwJSON10(t, srv, "PutMetricAlarm", alarm))
	r = cwJSON10(t, srv, "DescribeAlarms", `{"AlarmNames": ["json-alarm"]}`)
	cwRequireOK(t, "DescribeAlarms", r)
	var da struct {
		MetricAlarms []map[string]any
	}
	if err := json.Unmarshal(r.body, &da); err != nil || len(da.MetricAlarms) != 1 {
		t.Fatalf("DescribeAlarms body %s: %v", r.body, err)
	}
	a := da.MetricAlarms[0]
	if a["StateValue"] != "ALARM" {
		t.Fatalf("alarm state %v: %v", a["StateValue"], a["StateReason"])
	}
	if _, ok := a["StateUpdatedTimestamp"].(float64); !ok {
		t.Fatalf("StateUpdatedTimestamp %v is not epoch seconds", a["StateUpdatedTimestamp"])
	}
	cwRequireOK(t, "SetAlarmState", cwJSON10(t, srv, "SetAlarmState", `{"AlarmName": "json-alarm", "StateValue": "OK", "StateReason": "manual"}`))
	cwRequireOK(t, "ListMetrics", cwJSON10(t, srv, "ListMetrics", ``))
	cwRequireOK(t, "GetMetricStatistics", cwJSON10(t, srv, "GetMetricStatistics", fmt.Sprintf(`{"Namespace": "Credstage",
		"MetricName": "RotationDuration", "Dimensions": [{"Name": "Environment", "Value": "staging"}], "StartTime": %d,
		"EndTime": %d, "Period": 60, "Statistics": ["Sum"], "ExtendedStatistics": ["p50"]}`, now-600, now+60)))
	cwRequireOK(t, "DeleteAlarms", cwJSON10(t, srv, "DeleteAlarms", `{"AlarmNames": ["json-alarm"]}`))

	// Errors carry the modelled type in __type and the query code in the
	// header botocore reads for awsQueryCompatible services.
	for _, tc := range []struct{ op, body, code, shape string }{
		{"PutMetricData", `{"Namespace": "AWS/EC2", "MetricData": [{"MetricName": "m", "Value": 1}]}`, "InvalidParameterValue", "InvalidParameterValueException"},
		{"PutMetricData", `{"MetricData": [{"MetricName": "m", "Value": 1}]}`, "MissingParameter", "MissingRequiredParameterException"},
		{"PutMetricData", `{"Namespace": "x", "MetricData": [{"Value": 1}]}`, "MissingParameter", "MissingRequiredParameterException"},
		{"PutMetricData", `{"Namespace": "x", "MetricData": [{"MetricName": "m", "StatisticValues": {"Sum": 1}}]}`, "MissingParameter", "MissingRequiredParameterException"},
		{"SetAlarmState", `{"AlarmName": "none", "StateValue": "OK", "StateReason": "r"}`, "ResourceNotFound", "ResourceNotFound"},
		{"PutMetricData", `{"Namespace": 5}`, "SerializationException", "SerializationException"},
		{"DescribeAlarmHistory", `{}`, "UnknownOperationException", "UnknownOperationException"},
	} {
		r := cwJSON10(t, srv, tc.op, tc.body)
		var body struct {
			Type    string `json:"__type"`
			Message string `json:"message"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatalf("%s error body %s: %v", tc.op, r.body, err)
		}
		if r.status >= 500 || r.status < 400 || body.Type != tc.shape || !strings.HasPrefix(r.header.Get("x-amzn-query-error"), tc.code+";") || body.Message == "" {
			t.Errorf("%s %s: status %d __type %q query error %q", tc.op, tc.body, r.status, body.Type, r.header.Get("x-amzn-query-error"))
		}
	}
}

func TestCWJSON10AcceptsGzipBodies(t *testing.T) {
	srv, _ := startCWServer(t, Options{})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write([]byte(`{"Namespace": "Zipped", "MetricData": [{"MetricName": "m", "Value": 1}]}`))
	_ = zw.Close()
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/", &buf)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("X-Amz-Target", "GraniteServiceVersion20100801.PutMetricData")
	cwRequireOK(t, "gzip PutMetricData", cwSend(t, srv, req))
	r := cwJSON10(t, srv, "ListMetrics", `{"Namespace": "Zipped"}`)
	if !strings.Contains(string(r.body), `"MetricName":"m"`) {
		t.Fatalf("gzip datum not stored: %s", r.body)
	}
}

// awsQuery response shapes, as botocore's query parser reads them.
type cwXMLMetricDataResult struct {
	ID         string    `xml:"Id"`
	Label      string    `xml:"Label"`
	Timestamps []string  `xml:"Timestamps>member"`
	Values     []float64 `xml:"Values>member"`
	StatusCode string    `xml:"StatusCode"`
}

type cwXMLAlarm struct {
	AlarmName             string   `xml:"AlarmName"`
	StateValue            string   `xml:"StateValue"`
	StateReason           string   `xml:"StateReason"`
	StateUpdatedTimestamp string   `xml:"StateUpdatedTimestamp"`
	Threshold             float64  `xml:"Threshold"`
	Period                int      `xml:"Period"`
	Dimensions            []string `xml:"Dimensions>member>Value"`
}

func TestCWQueryProtocol(t *testing.T) {
	srv, _ := startCWServer(t, Options{})
	now := time.Now().UTC()
	iso := func(t time.Time) string { return t.Format(time.RFC3339) }
	r := cwQuery(t, srv, "PutMetricData", url.Values{
		"Namespace":                                       {"Credstage"},
		"MetricData.member.1.MetricName":                  {"StageDuration"},
		"MetricData.member.1.Dimensions.member.1.Name":    {"Environment"},
		"MetricData.member.1.Dimensions.member.1.Value":   {"production"},
		"MetricData.member.1.Timestamp":                   {iso(now)},
		"MetricData.member.1.Value":                       {"250"},
		"MetricData.member.1.Unit":                        {"Milliseconds"},
		"MetricData.member.2.MetricName":                  {"StageDuration"},
		"MetricData.member.2.Dimensions.member.1.Name":    {"Environment"},
		"MetricData.member.2.Dimensions.member.1.Value":   {"production"},
		"MetricData.member.2.Timestamp":                   {iso(now)},
		"MetricData.member.2.Values.member.1":             {"50"},
		"MetricData.member.2.Values.member.2":             {"100"},
		"MetricData.member.2.Counts.member.1":             {"2"},
		"MetricData.member.2.Counts.member.2":             {"1"},
		"MetricData.member.3.MetricName":                  {"StageDuration"},
		"MetricData.member.3.Dimensions.member.1.Name":    {"Environment"},
		"MetricData.member.3.Dimensions.member.1.Value":   {"production"},
		"MetricData.member.3.StatisticValues.SampleCount": {"2"},
		"MetricData.member.3.StatisticValues.Sum":         {"100"},
		"MetricData.member.3.StatisticValues.Minimum":     {"40"},
		"MetricData.member.3.StatisticValues.Maximum":     {"60"},
		"MetricData.member.3.StorageResolution":           {"1"},
	})
	cwRequireOK(t, "PutMetricData", r)
	if !strings.Contains(string(r.body), "<PutMetricDataResponse") || !strings.Contains(string(r.body), "<RequestId>") {
		t.Fatalf("PutMetricData response %s", r.body)
	}

	r = cwQuery(t, srv, "GetMetricData", url.Values{
		"MetricDataQueries.member.1.Id":                                          {"total"},
		"MetricDataQueries.member.1.MetricStat.Metric.Namespace":                 {"Credstage"},
		"MetricDataQueries.member.1.MetricStat.Metric.MetricName":                {"StageDuration"},
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name":  {"Environment"},
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value": {"production"},
		"MetricDataQueries.member.1.MetricStat.Period":                           {"60"},
		"MetricDataQueries.member.1.MetricStat.Stat":                             {"Sum"},
		"MetricDataQueries.member.1.Label":                                       {"Stage total"},
		"StartTime":                                                              {iso(now.Add(-5 * time.Minute))},
		"EndTime":                                                                {iso(now.Add(time.Minute))},
	})
	cwRequireOK(t, "GetMetricData", r)
	var gmd struct {
		Results []cwXMLMetricDataResult `xml:"GetMetricDataResult>MetricDataResults>member"`
	}
	if err := xml.Unmarshal(r.body, &gmd); err != nil || len(gmd.Results) != 1 {
		t.Fatalf("GetMetricData XML %s: %v", r.body, err)
	}
	res := gmd.Results[0]
	if res.ID != "total" || res.Label != "Stage total" || res.StatusCode != "Complete" || fmt.Sprint(res.Values) != "[550]" {
		t.Fatalf("GetMetricData result %+v", res)
	}
	if ts, err := time.Parse(time.RFC3339, res.Timestamps[0]); err != nil || !ts.Equal(now.Truncate(time.Minute)) {
		t.Fatalf("timestamp %q is not ISO 8601 of %v: %v", res.Timestamps[0], now.Truncate(time.Minute), err)
	}

	r = cwQuery(t, srv, "GetMetricStatistics", url.Values{
		"Namespace": {"Credstage"}, "MetricName": {"StageDuration"},
		"Dimensions.member.1.Name": {"Environment"}, "Dimensions.member.1.Value": {"production"},
		"StartTime": {iso(now.Add(-5 * time.Minute))}, "EndTime": {iso(now.Add(time.Minute))}, "Period": {"300"},
		"Statistics.member.1": {"Maximum"}, "Statistics.member.2": {"SampleCount"}, "ExtendedStatistics.member.1": {"p50"},
	})
	cwRequireOK(t, "GetMetricStatistics", r)
	var gms struct {
		Label      string `xml:"GetMetricStatisticsResult>Label"`
		Datapoints []struct {
			Maximum     float64 `xml:"Maximum"`
			SampleCount float64 `xml:"SampleCount"`
			Unit        string  `xml:"Unit"`
			Extended    []struct {
				Key   string  `xml:"key"`
				Value float64 `xml:"value"`
			} `xml:"ExtendedStatistics>entry"`
		} `xml:"GetMetricStatisticsResult>Datapoints>member"`
	}
	if err := xml.Unmarshal(r.body, &gms); err != nil || gms.Label != "StageDuration" || len(gms.Datapoints) == 0 {
		t.Fatalf("GetMetricStatistics XML %s: %v", r.body, err)
	}
	var maxSeen, samples float64
	for _, dp := range gms.Datapoints {
		maxSeen, samples = max(maxSeen, dp.Maximum), samples+dp.SampleCount
		if dp.Unit == "Milliseconds" && (len(dp.Extended) != 1 || dp.Extended[0].Key != "p50") {
			t.Errorf("ExtendedStatistics entries %+v", dp.Extended)
		}
	}
	if maxSeen != 250 || samples != 6 {
		t.Fatalf("max %v samples %v, want 250 and 6: %s", maxSeen, samples, r.body)
	}

	r = cwQuery(t, srv, "ListMetrics", url.Values{"Namespace": {"Credstage"}, "Dimensions.member.1.Name": {"Environment"}})
	cwRequireOK(t, "ListMetrics", r)
	var lm struct {
		Names []string `xml:"ListMetricsResult>Metrics>member>MetricName"`
	}
	if err := xml.Unmarshal(r.body, &lm); err != nil || fmt.Sprint(lm.Names) != "[StageDuration]" {
		t.Fatalf("ListMetrics XML %s: %v", r.body, err)
	}

	cwRequireOK(t, "PutMetricAlarm", cwQuery(t, srv, "PutMetricAlarm", url.Values{
		"AlarmName": {"slow-stage"}, "Namespace": {"Credstage"}, "MetricName": {"StageDuration"},
		"Dimensions.member.1.Name": {"Environment"}, "Dimensions.member.1.Value": {"production"},
		"Statistic": {"Maximum"}, "Period": {"60"}, "EvaluationPeriods": {"1"}, "Threshold": {"200"},
		"ComparisonOperator": {"GreaterThanThreshold"}, "ActionsEnabled": {"false"},
		"AlarmActions.member.1": {"arn:aws:sns:us-east-1:000000000000:ops"},
	}))
	r = cwQuery(t, srv, "DescribeAlarms", url.Values{"AlarmNames.member.1": {"slow-stage"}})
	cwRequireOK(t, "DescribeAlarms", r)
	var da struct {
		Alarms []cwXMLAlarm `xml:"DescribeAlarmsResult>MetricAlarms>member"`
	}
	if err := xml.Unmarshal(r.body, &da); err != nil || len(da.Alarms) != 1 {
		t.Fatalf("DescribeAlarms XML %s: %v", r.body, err)
	}
	if a := da.Alarms[0]; a.StateValue != "ALARM" || a.Threshold != 200 || a.Period != 60 || fmt.Sprint(a.Dimensions) != "[production]" {
		t.Fatalf("alarm %+v", a)
	} else if _, err := time.Parse(time.RFC3339, a.StateUpdatedTimestamp); err != nil {
		t.Fatalf("StateUpdatedTimestamp %q: %v", a.StateUpdatedTimestamp, err)
	}
	cwRequireOK(t, "SetAlarmState", cwQuery(t, srv, "SetAlarmState", url.Values{
		"AlarmName": {"slow-stage"}, "StateValue": {"OK"}, "StateReason": {"acknowledged"}}))
	r = cwQuery(t, srv, "DescribeAlarms", url.Values{"StateValue": {"OK"}})
	da.Alarms = nil
	if err := xml.Unmarshal(r.body, &da); err != nil || len(da.Alarms) != 1 || da.Alarms[0].StateReason != "acknowledged" {
		t.Fatalf("DescribeAlarms after SetAlarmState %s: %v", r.body, err)
	}
	cwRequireOK(t, "DeleteAlarms", cwQuery(t, srv, "DeleteAlarms", url.Values{"AlarmNames.member.1": {"slow-stage"}}))

	for _, tc := range []struct {
		op     string
		params url.Values
		status int
		code   string
	}{
		{"PutMetricData", url.Values{"Namespace": {"AWS/RDS"}, "MetricData.member.1.MetricName": {"m"}, "MetricData.member.1.Value": {"1"}}, 400, "InvalidParameterValue"},
		{"PutMetricData", url.Values{"MetricData.member.1.MetricName": {"m"}, "MetricData.member.1.Value": {"1"}}, 400, "MissingParameter"},
		{"PutMetricData", url.Values{"Namespace": {"x"}, "MetricData.member.1.MetricName": {"m"}, "MetricData.member.1.Value": {"one"}}, 400, "InvalidParameterValue"},
		{"PutMetricData", url.Values{"Namespace": {"x"}, "MetricData.member.1.MetricName": {"m"}, "MetricData.member.1.Value": {"1"},
			"MetricData.member.1.StatisticValues.SampleCount": {"1"}}, 400, "MissingParameter"},
		{"DeleteAlarms", url.Values{"AlarmNames.member.1": {"gone"}}, 404, "ResourceNotFound"},
		{"GetMetricData", url.Values{"MetricDataQueries.member.1.Id": {"e"}, "MetricDataQueries.member.1.Expression": {"SUM(METRICS())"},
			"StartTime": {iso(now.Add(-time.Hour))}, "EndTime": {iso(now)}}, 400, "InvalidParameterValue"},
		{"DescribeAlarmHistory", url.Values{}, 400, "InvalidAction"},
	} {
		r := cwQuery(t, srv, tc.op, tc.params)
		var body struct {
			Code    string `xml:"Error>Code"`
			Type    string `xml:"Error>Type"`
			Message string `xml:"Error>Message"`
		}
		if err := xml.Unmarshal(r.body, &body); err != nil {
			t.Fatalf("%s error XML %s: %v", tc.op, r.body, err)
		}
		if r.status != tc.status || body.Code != tc.code || body.Type != "Sender" || body.Message == "" {
			t.Errorf("%s %v: status %d code %q type %q message %q", tc.op, tc.params, r.status, body.Code, body.Type, body.Message)
		}
	}
}
