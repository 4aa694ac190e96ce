package localaws

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/fxamacker/cbor/v2"
)

// ListMetrics always carries Dimensions, an empty list for a metric without
// any, on each of CloudWatch's three protocols.
func TestCWListMetricsEmptyDimensionsOnEveryProtocol(t *testing.T) {
	srv, c := startCWServer(t, Options{})
	ctx := cwCtx(t)
	if _, err := c.PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Bare"),
		MetricData: []cwtypes.MetricDatum{{MetricName: aws.String("NoDims"), Value: aws.Float64(1)}}}); err != nil {
		t.Fatal(err)
	}

	out, err := c.ListMetrics(ctx, &cloudwatch.ListMetricsInput{Namespace: aws.String("Bare")})
	if err != nil || len(out.Metrics) != 1 || out.Metrics[0].Dimensions == nil {
		t.Fatalf("SDK (CBOR): %+v %v: want one metric with an empty, non-nil Dimensions", out, err)
	}

	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/service/GraniteServiceVersion20100801/operation/ListMetrics",
		bytes.NewReader(mustCBOR(t, map[string]any{"Namespace": "Bare"})))
	req.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	req.Header.Set("Content-Type", "application/cbor")
	req.Header.Set("Accept", "application/cbor")
	r := cwSend(t, srv, req)
	cwRequireOK(t, "ListMetrics CBOR", r)
	var cb struct {
		Metrics []map[string]any
	}
	if err := cbor.Unmarshal(r.body, &cb); err != nil || len(cb.Metrics) != 1 {
		t.Fatalf("CBOR body %x: %v", r.body, err)
	}
	if dims, ok := cb.Metrics[0]["Dimensions"].([]any); !ok || len(dims) != 0 {
		t.Fatalf("CBOR Dimensions = %#v, want an empty array", cb.Metrics[0]["Dimensions"])
	}

	r = cwJSON10(t, srv, "ListMetrics", `{"Namespace": "Bare"}`)
	cwRequireOK(t, "ListMetrics JSON", r)
	var js struct {
		Metrics []map[string]json.RawMessage
	}
	if err := json.Unmarshal(r.body, &js); err != nil || len(js.Metrics) != 1 || string(js.Metrics[0]["Dimensions"]) != "[]" {
		t.Fatalf("JSON 1.0 body %s: want \"Dimensions\": []", r.body)
	}

	r = cwQuery(t, srv, "ListMetrics", url.Values{"Namespace": {"Bare"}})
	cwRequireOK(t, "ListMetrics query", r)
	if !strings.Contains(string(r.body), "<Dimensions></Dimensions>") {
		t.Fatalf("query body %s: want an empty <Dimensions/>", r.body)
	}
}

func mustCBOR(t *testing.T, v any) []byte {
	t.Helper()
	b, err := cbor.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
