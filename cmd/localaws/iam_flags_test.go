package main

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"
)

const iamConfigJSON = `{"principals":[{"arn":"arn:aws:iam::000000000000:role/credstage-worker",
	"accessKeyId":"AKIACREDSTAGEWORKER1","secretAccessKey":"worker-secret","policyFiles":["worker.json"]}]}`

const workerPolicyJSON = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:ListSecrets","Resource":"*"}]}`

// TestIAMFlagsRefused: each IAM flag needs the other, and a bad config
// stops the program before it serves.
func TestIAMFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"principals":[{"arn":"arn:aws:iam::000000000000:user/x","accessKeyId":"K","secretAccessKey":"s",
		"policies":[{"Statement":[{"Effect":"Permit","Action":"*","Resource":"*"}]}]}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--ephemeral", "--enforce-iam"}, "--enforce-iam needs --iam-config FILE"},
		{[]string{"--ephemeral", "--iam-config", bad}, "--iam-config is only read with --enforce-iam"},
		{[]string{"--ephemeral", "--enforce-iam", "--iam-config", bad}, `principal arn:aws:iam::000000000000:user/x: policies[0]: statement 1: unknown Effect "Permit"`},
		{[]string{"--ephemeral", "--enforce-iam", "--iam-config", filepath.Join(dir, "none.json")}, "no such file"},
	} {
		if err := run(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("run(%q) = %v, want an error containing %q", c.args, err, c.want)
		}
	}
}

// TestEnforceIAMFlag runs the program with --enforce-iam: the configured
// key is served (its policy file found next to the config), another key
// is refused.
func TestEnforceIAMFlag(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{"iam.json": iamConfigJSON, "worker.json": workerPolicyJSON} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	addr := serveBuilt(t, "--enforce-iam", "--iam-config", filepath.Join(dir, "iam.json"))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	client := func(key, secret string) *secretsmanager.Client {
		return secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://" + addr),
			Credentials: credentials.NewStaticCredentialsProvider(key, secret, ""), RetryMaxAttempts: 1})
	}
	if _, err := client("AKIACREDSTAGEWORKER1", "worker-secret").ListSecrets(ctx, &secretsmanager.ListSecretsInput{}); err != nil {
		t.Fatalf("configured key: %v", err)
	}
	_, err := client("AKIACREDSTAGEWORKER1", "worker-secret").DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("x")})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDeniedException" {
		t.Fatalf("an action the policy does not allow: %v", err)
	}
	_, err = client("AKIAOTHER", "s").ListSecrets(ctx, &secretsmanager.ListSecretsInput{})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "UnrecognizedClientException" {
		t.Fatalf("an unknown key: %v", err)
	}
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		if resp, err := http.Get("http://" + addr + "/_localaws/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("localaws did not serve on %s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
