package localaws

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestIAMWithAWSCLI signs with the AWS CLI (botocore's signer, and its
// protocols: JSON 1.1, query, RPC v2 CBOR) against a running server: a
// read and a write per service as an allowed principal, and for the
// reads a wrong secret and a principal without policy.
func TestIAMWithAWSCLI(t *testing.T) {
	cli, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("the AWS CLI is not installed")
	}
	srv := startIAMServer(t, iamConfig([]string{
		`{"Effect":"Allow","Action":["secretsmanager:ListSecrets","rds:DescribeDBInstances","cloudwatch:ListMetrics","cloudwatch:PutMetricData"],"Resource":"*"}`}))
	run := func(t *testing.T, key, secret string, args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, append([]string{"--endpoint-url", srv.URL(), "--region", "us-east-1", "--output", "json"}, args...)...)
		// Only these AWS settings: none of the machine's profiles or keys.
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "AWS_") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "AWS_ACCESS_KEY_ID="+key, "AWS_SECRET_ACCESS_KEY="+secret,
			"AWS_CONFIG_FILE=/nonexistent", "AWS_SHARED_CREDENTIALS_FILE=/nonexistent", "AWS_EC2_METADATA_DISABLED=true",
			"AWS_MAX_ATTEMPTS=1")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	// Each CLI run costs about a second of CPU: one call per service and
	// per kind of answer, with the failures split between the families.
	calls := []struct {
		name    string
		key     string
		secret  string
		args    []string
		wantErr string // empty: the call must succeed
	}{
		{"secretsmanager", workerKey, workerSecret, []string{"secretsmanager", "list-secrets"}, ""},
		{"rds", workerKey, workerSecret, []string{"rds", "describe-db-instances"}, ""},
		{"cloudwatch", workerKey, workerSecret, []string{"cloudwatch", "list-metrics"}, ""},
		{"cloudwatch-write", workerKey, workerSecret, []string{"cloudwatch", "put-metric-data", "--namespace", "Credstage", "--metric-name", "M", "--value", "1"}, ""},
		{"secretsmanager-wrong-secret", workerKey, "wrong", []string{"secretsmanager", "list-secrets"}, "(InvalidSignatureException)"},
		{"secretsmanager-denied", readerKey, readerSecret, []string{"secretsmanager", "list-secrets"}, "(AccessDeniedException)"},
		{"rds-denied", readerKey, readerSecret, []string{"rds", "describe-db-instances"}, "(AccessDenied)"},
		{"cloudwatch-denied", readerKey, readerSecret, []string{"cloudwatch", "list-metrics"}, "(AccessDenied)"},
	}
	for _, c := range calls {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out, err := run(t, c.key, c.secret, c.args...)
			switch {
			case c.wantErr == "" && err != nil:
				t.Fatalf("allowed: %v\n%s", err, out)
			case c.wantErr != "" && (err == nil || !strings.Contains(out, c.wantErr)):
				t.Fatalf("got %v, want %s in\n%s", err, c.wantErr, out)
			case strings.Contains(c.wantErr, "AccessDenied") && !strings.Contains(out, "User: "+readerARN+" is not authorized"):
				t.Fatalf("AccessDenied without AWS's message:\n%s", out)
			}
		})
	}
}
