package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"

	"github.com/credstage/credstage/tests/stack"
)

// TestMetricsReadsBackPublishedSeries publishes datums the way the worker
// does, into localaws, and reads them back with `credstage metrics`.
func TestMetricsReadsBackPublishedSeries(t *testing.T) {
	l := stack.StartLocalAWS(t)
	srv, cfg := l.Server, l.Config
	ctx := context.Background()
	dims := func(env, secret string) []cwtypes.Dimension {
		return []cwtypes.Dimension{{Name: aws.String("Environment"), Value: aws.String(env)}, {Name: aws.String("SecretName"), Value: aws.String(secret)}}
	}
	now := time.Now()
	_, err := cloudwatch.NewFromConfig(cfg).PutMetricData(ctx, &cloudwatch.PutMetricDataInput{Namespace: aws.String("Credstage"),
		MetricData: []cwtypes.MetricDatum{
			{MetricName: aws.String("RotationSucceeded"), Value: aws.Float64(1), Unit: cwtypes.StandardUnitCount, Dimensions: dims("staging", "staging/a"), Timestamp: &now},
			{MetricName: aws.String("RotationSucceeded"), Value: aws.Float64(1), Unit: cwtypes.StandardUnitCount, Dimensions: dims("staging", "staging/a"), Timestamp: &now},
			{MetricName: aws.String("RotationDuration"), Value: aws.Float64(100), Unit: cwtypes.StandardUnitMilliseconds, Dimensions: dims("staging", "staging/a"), Timestamp: &now},
			{MetricName: aws.String("RotationDuration"), Value: aws.Float64(300), Unit: cwtypes.StandardUnitMilliseconds, Dimensions: dims("staging", "staging/a"), Timestamp: &now},
			{MetricName: aws.String("RotationRolledBack"), Value: aws.Float64(1), Unit: cwtypes.StandardUnitCount, Dimensions: dims("production", "prod/a"), Timestamp: &now},
		}})
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"AWS_ENDPOINT_URL": srv.URL(), "AWS_ACCESS_KEY_ID": stack.TestAccessKey, "AWS_SECRET_ACCESS_KEY": stack.TestSecretKey}

	r := run(t, env, "metrics", "--since", "10m")
	if r.code != 0 {
		t.Fatalf("metrics: %s", r)
	}
	for _, want := range []string{"RotationSucceeded", "staging/a", "2 samples, avg 200 ms, max 300 ms", "RotationRolledBack", "prod/a"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}

	r = run(t, env, "metrics", "--environment", "production", "-o", "json")
	if r.code != 0 {
		t.Fatalf("metrics json: %s", r)
	}
	var out struct{ Metrics []metricRow }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if len(out.Metrics) != 1 || out.Metrics[0].Metric != "RotationRolledBack" || out.Metrics[0].Sum != 1 {
		t.Errorf("--environment production: %+v", out.Metrics)
	}

	if r := run(t, env, "metrics", "--since", "-1h"); r.code != ExitBadInput {
		t.Errorf("negative --since: %s", r)
	}
}
