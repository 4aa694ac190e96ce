package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// TestIntegrationAudit runs over the real stack: the worker provisioned
// the secrets and read them (as the stack's key); another key reads one
// of them. `credstage audit` flags that reader alone, and shows no value.
// (This file sorts after integration_test.go so that it runs after the
// tests that share provisioned()'s state; it changes none of it.)
func TestIntegrationAudit(t *testing.T) {
	s := startStack(t)
	provisioned(t, s)
	ctx := context.Background()
	intruder := secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.aws.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDINTRUDER", "x", "")})
	got, err := intruder.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(itSched)})
	if err != nil {
		t.Fatalf("intruder read: %v", err)
	}
	var value struct{ Password string }
	if err := json.Unmarshal([]byte(aws.ToString(got.SecretString)), &value); err != nil || value.Password == "" {
		t.Fatalf("the secret holds no password: %v", err)
	}

	// The worker signs with the stack's key: without IAM enforcement,
	// localaws names each key a user of its account.
	worker := "arn:aws:iam::000000000000:user/" + s.env["AWS_ACCESS_KEY_ID"]
	r := s.cli(t, "audit", "--secret", itSched, "--worker-principal", worker, "-o", "json")
	if r.code != ExitFailed {
		t.Fatalf("audit: want exit 1 (the intruder flagged): %s", r)
	}
	if strings.Contains(r.stdout+r.stderr, value.Password) {
		t.Fatal("the secret's password appears in the audit output")
	}
	var out struct{ Secrets []secretAudit }
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Secrets) != 1 {
		t.Fatalf("audit JSON: %v\n%s", err, r.stdout)
	}
	rep := out.Secrets[0]
	var sawWorker, sawIntruder bool
	for _, row := range rep.Readers {
		switch row.Principal {
		case worker:
			sawWorker = !row.Unexpected && row.Count > 0
		case "arn:aws:iam::000000000000:user/AKIDINTRUDER":
			sawIntruder = row.Unexpected && row.Count == 1
		default:
			t.Errorf("reader %+v", row)
		}
	}
	for _, row := range rep.Changes {
		if row.Principal == worker && row.Unexpected {
			t.Errorf("the worker's change is flagged: %+v", row)
		}
	}
	if !sawWorker || !sawIntruder || rep.Flagged != 1 {
		t.Fatalf("readers %+v, changes %+v, flagged %d", rep.Readers, rep.Changes, rep.Flagged)
	}
}
