package tests

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/smithy-go"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/workflows"
)

// Application principals of TestLeastPrivilege.
const (
	ordersAppARN = "arn:aws:iam::000000000000:role/orders-app"
	reportAppARN = "arn:aws:iam::000000000000:role/report-app"
	snooperARN   = "arn:aws:iam::000000000000:role/snooper"
	iamInstance  = "iam-orders"
)

// TestLeastPrivilege runs provisioning and rotation with localaws enforcing
// IAM: the worker holds only the policy `credstage iam policy worker
// --resource-policies` prints, the CLI only its shipped policy, each
// application the policy `credstage iam policy reader --secret` prints for
// its own secret. Provisioning attaches a resource policy to each secret;
// then each application reads its own secret and is refused another's, a
// principal with a broad identity policy is refused by the resource
// policy, the CLI may describe a secret but not read it, and a request
// with a bad signature is refused.
func TestLeastPrivilege(t *testing.T) {
	cliOut := newCLIRecorder()
	ctx := testContext(t, 8*time.Minute)
	policy := func(args ...string) json.RawMessage {
		t.Helper()
		res := cliOut.run(ctx, map[string]string{}, append([]string{"iam", "policy"}, args...)...)
		if res.code != 0 || !json.Valid([]byte(res.stdout)) {
			t.Fatalf("credstage iam policy %v:\n%s", args, res)
		}
		return json.RawMessage(res.stdout)
	}
	appSecret, reportSecret := "staging/"+iamInstance+"/app", "staging/"+iamInstance+"/report"
	broad := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:*","Resource":"*"}]}`)
	s := startE2EStackWith(t, e2eOptions{iam: e2eIAM(t, policy("worker", "--resource-policies"),
		localaws.IAMPrincipal{ARN: ordersAppARN, AccessKeyID: "orders-app", SecretAccessKey: "orders-app-secret",
			Policies: []json.RawMessage{policy("reader", "--secret", appSecret)}},
		localaws.IAMPrincipal{ARN: reportAppARN, AccessKeyID: "report-app", SecretAccessKey: "report-app-secret",
			Policies: []json.RawMessage{policy("reader", "--secret", reportSecret)}},
		localaws.IAMPrincipal{ARN: snooperARN, AccessKeyID: "snooper", SecretAccessKey: "snooper-secret",
			Policies: []json.RawMessage{broad}},
	)})
	keepLogOnFailure(t, s)

	spec := filepath.Join(t.TempDir(), "orders.yaml")
	if err := os.WriteFile(spec, []byte(`identifier: `+iamInstance+`
environment: staging
dbName: orders
users:
  - {name: app, strategy: alternating-users, grants: [readwrite], readers: [`+ordersAppARN+`]}
  - {name: report, strategy: single-user, grants: [readonly], readers: [`+reportAppARN+`]}
workerPrincipal: `+workerARN+`
cliPrincipal: `+cliARN+`
breakGlass: `+adminARN+`
`), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := cliOut.run(ctx, s.cliEnv(), "provision", "--file", spec, "--wait"); res.code != 0 {
		t.Fatalf("provision under the CLI's and the worker's policies:\n%s", res)
	}
	app, report, snooper := s.smAs("orders-app", "orders-app-secret"), s.smAs("report-app", "report-app-secret"), s.smAs("snooper", "snooper-secret")

	t.Run("an application reads its own secret and is refused another's", func(t *testing.T) {
		requireRead(ctx, t, app, appSecret)
		requireRead(ctx, t, report, reportSecret)
		requireDenied(ctx, t, app, reportSecret, "AccessDeniedException", "explicit deny in a resource-based policy")
		requireDenied(ctx, t, report, appSecret, "AccessDeniedException", "explicit deny in a resource-based policy")
	})
	t.Run("a broad identity policy is refused by the secret's resource policy", func(t *testing.T) {
		requireDenied(ctx, t, snooper, appSecret, "AccessDeniedException", "explicit deny in a resource-based policy")
		// A secret without a resource policy is open to that identity
		// policy: the refusal above is the resource policy's doing.
		requireRead(ctx, t, snooper, masterSecretOf(ctx, t, s, iamInstance))
	})
	t.Run("the CLI may describe a secret, never read it", func(t *testing.T) {
		cli := s.smAs(cliAccessKey, cliSecretKey)
		if _, err := cli.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(appSecret)}); err != nil {
			t.Fatalf("CLI DescribeSecret: %v", err)
		}
		requireDenied(ctx, t, cli, appSecret, "AccessDeniedException", cliARN)
	})
	t.Run("a bad signature is refused", func(t *testing.T) {
		requireDenied(ctx, t, s.smAs("orders-app", "not-the-secret"), appSecret, "InvalidSignatureException", "signature")
	})
	t.Run("rotation works under the policies, and the reader keeps reading", func(t *testing.T) {
		before := versionWith(ctx, t, s.sm, appSecret, "AWSCURRENT")
		out, err := rotateOne(ctx, t, s, workflows.RotateSecretInput{Target: workflows.Target{SecretID: appSecret, Strategy: activities.StrategyAlternatingUsers},
			Environment: "staging", Validators: sqlCanary})
		if err != nil || out.Status != workflows.StatusSucceeded {
			t.Fatalf("rotation: %s (%s): %v", out.Status, out.Error, err)
		}
		if versionWith(ctx, t, s.sm, appSecret, "AWSCURRENT") == before {
			t.Fatal("AWSCURRENT did not move")
		}
		requireRead(ctx, t, app, appSecret)
		assertInvariant(ctx, t, s, appSecret)
	})
	t.Run("every worker call was allowed, every refusal was someone else's", func(t *testing.T) {
		for _, e := range s.aws.Server.Requests().Entries() {
			if e.AccessKey == workerAccessKey && (e.Principal != workerARN || !strings.HasPrefix(e.Decision, "allow")) {
				t.Errorf("worker call %s on %s: %q %q", e.Action, e.Resource, e.Principal, e.Decision)
			}
		}
	})
	scanForLeaks(ctx, t, s, cliOut)
}

// smAs is a Secrets Manager client signing as the given access key.
func (s *e2eStack) smAs(key, secret string) *secretsmanager.Client {
	cfg := s.aws.Config.Copy()
	cfg.Credentials = credentials.NewStaticCredentialsProvider(key, secret, "")
	cfg.RetryMaxAttempts = 1
	return secretsmanager.NewFromConfig(cfg)
}

func requireRead(ctx context.Context, t *testing.T, sm *secretsmanager.Client, id string) {
	t.Helper()
	if _, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)}); err != nil {
		t.Fatalf("GetSecretValue %s: %v", id, err)
	}
}

// requireDenied checks GetSecretValue is refused with code, the message
// mentioning what.
func requireDenied(ctx context.Context, t *testing.T, sm *secretsmanager.Client, id, code, what string) {
	t.Helper()
	_, err := sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != code || !strings.Contains(apiErr.ErrorMessage(), what) {
		t.Fatalf("GetSecretValue %s: %v, want %s mentioning %q", id, err, code, what)
	}
}

// masterSecretOf is the ARN of an instance's RDS-managed master secret.
func masterSecretOf(ctx context.Context, t *testing.T, s *e2eStack, id string) string {
	t.Helper()
	out, err := s.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(id)})
	if err != nil || len(out.DBInstances) != 1 || out.DBInstances[0].MasterUserSecret == nil {
		t.Fatalf("describe %s: %v", id, err)
	}
	return aws.ToString(out.DBInstances[0].MasterUserSecret.SecretArn)
}
