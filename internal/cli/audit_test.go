package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"

	"github.com/credstage/credstage/engine"
	"github.com/credstage/credstage/internal/iampolicy"
	"github.com/credstage/credstage/localaws"
)

// The principals of the audit tests, each with its own access key.
type auditPrincipal struct{ arn, key string }

var (
	auditWorker   = auditPrincipal{"arn:aws:iam::000000000000:role/credstage-worker", "AKIAAUDITWORKER00001"}
	auditApp      = auditPrincipal{"arn:aws:iam::000000000000:role/app", "AKIAAUDITAPP00000001"}
	auditIntruder = auditPrincipal{"arn:aws:iam::000000000000:user/intruder", "AKIAAUDITINTRUDER001"}
	auditAdmin    = auditPrincipal{"arn:aws:iam::000000000000:user/admin", "AKIAAUDITADMIN000001"}
)

// startAuditAWS runs localaws enforcing IAM and AWS's quotas (so the
// audit's pacing of LookupEvents is tested against the 2/s limit).
func startAuditAWS(t *testing.T) *localaws.Server {
	t.Helper()
	allow := json.RawMessage(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)
	var principals []localaws.IAMPrincipal
	for _, p := range []auditPrincipal{auditWorker, auditApp, auditIntruder, auditAdmin} {
		principals = append(principals, localaws.IAMPrincipal{ARN: p.arn, AccessKeyID: p.key, SecretAccessKey: "s-" + p.key, Policies: []json.RawMessage{allow}})
	}
	srv, err := localaws.New(localaws.Options{Ephemeral: true, Addr: "127.0.0.1:0",
		IAM: &localaws.IAMConfig{Principals: principals}, Quotas: &localaws.QuotaConfig{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func smAs(srv *localaws.Server, p auditPrincipal) *secretsmanager.Client {
	return secretsmanager.New(secretsmanager.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL()),
		Credentials: credentials.NewStaticCredentialsProvider(p.key, "s-"+p.key, "")})
}

func auditEnv(srv *localaws.Server, p auditPrincipal) map[string]string {
	return map[string]string{"AWS_ENDPOINT_URL": srv.URL(), "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": p.key, "AWS_SECRET_ACCESS_KEY": "s-" + p.key}
}

// TestAuditFlagsUnexpectedReader: the worker rotates and reads, the
// application reads as its resource policy allows, an intruder reads
// one secret and is refused on the other. The audit flags the intruder
// alone, and no secret value reaches its output.
func TestAuditFlagsUnexpectedReader(t *testing.T) {
	srv := startAuditAWS(t)
	ctx := context.Background()
	admin, worker, app, intruder := smAs(srv, auditAdmin), smAs(srv, auditWorker), smAs(srv, auditApp), smAs(srv, auditIntruder)
	values := []string{`{"password":"first-Pw-4a5b6c"}`, `{"password":"rotated-Pw-7d8e9f"}`, `{"password":"open-Pw-1a2b3c"}`}
	managed := []smtypes.Tag{{Key: aws.String("credstage:managed"), Value: aws.String("true")}}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err := admin.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("staging/guarded"), SecretString: aws.String(values[0]), Tags: managed})
	must("create guarded", err)
	access := iampolicy.SecretAccess{Readers: []string{auditApp.arn}, Worker: auditWorker.arn,
		CLI: "arn:aws:iam::000000000000:role/credstage-cli", BreakGlass: auditAdmin.arn}
	_, err = admin.PutResourcePolicy(ctx, &secretsmanager.PutResourcePolicyInput{SecretId: aws.String("staging/guarded"),
		ResourcePolicy: aws.String(iampolicy.Compact(access.Policy()))})
	must("policy", err)
	_, err = admin.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String("staging/open"), SecretString: aws.String(values[2]), Tags: managed})
	must("create open", err)

	// The worker rotates guarded as credstage does (its token format) and reads it.
	token := engine.Token("0b6f3f9e-2f7c-4d5e-9a1b-3c4d5e6f7a8b", "staging/guarded")
	_, err = worker.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("staging/guarded"),
		SecretString: aws.String(values[1]), ClientRequestToken: aws.String(token), VersionStages: []string{"AWSPENDING"}})
	must("worker put", err)
	_, err = worker.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("staging/guarded"), VersionStage: aws.String("AWSPENDING")})
	must("worker read", err)
	for range 3 {
		_, err = app.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("staging/guarded")})
		must("app read", err)
	}
	_, err = intruder.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("staging/guarded")})
	if err == nil {
		t.Fatal("the intruder read the guarded secret")
	}
	_, err = intruder.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("staging/open")})
	must("intruder reads the open secret", err)

	// The auditor is the break-glass administrator, who may read the policy.
	env := auditEnv(srv, auditAdmin)
	env["CREDSTAGE_WORKER_PRINCIPAL"] = auditWorker.arn
	r := run(t, env, "audit", "--secret", "staging/guarded", "-o", "json")
	if r.code != ExitFailed {
		t.Fatalf("audit of guarded: want exit 1 (a caller flagged): %s", r)
	}
	// The run's lookups are paced at AWS's 2/s: none was throttled (a
	// run started right after another may be, and the SDK retries it).
	for _, e := range srv.Requests().Entries() {
		if e.Op == "LookupEvents" && e.Throttled {
			t.Fatalf("LookupEvents throttled at %s", e.Time)
		}
	}
	var out struct {
		Secrets []secretAudit
		Flagged int
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, r.stdout)
	}
	if len(out.Secrets) != 1 {
		t.Fatalf("secrets: %+v", out.Secrets)
	}
	g := out.Secrets[0]
	reads := map[string]callerRow{}
	for _, row := range g.Readers {
		reads[row.Principal] = row
	}
	if w := reads[auditWorker.arn]; w.Count != 1 || w.Unexpected {
		t.Errorf("worker's reads: %+v", w)
	}
	if a := reads[auditApp.arn]; a.Count != 3 || a.Unexpected || a.First.IsZero() || a.Last.Before(a.First) {
		t.Errorf("application's reads: %+v", a)
	}
	if i := reads[auditIntruder.arn]; i.Count != 1 || i.Failed != 1 || !i.Unexpected {
		t.Errorf("intruder's refused read: %+v", i)
	}
	var changedByWorker bool
	for _, c := range g.Changes {
		if c.Principal == auditWorker.arn && c.Event == "PutSecretValue" {
			changedByWorker = !c.Unexpected
		}
	}
	if !changedByWorker || g.Flagged != 3 { // the intruder's read, the admin's CreateSecret and PutResourcePolicy
		t.Errorf("changes %+v, flagged %d", g.Changes, g.Flagged)
	}

	// Every managed secret, in text, the worker inferred from its token.
	r = run(t, auditEnv(srv, auditAdmin), "audit")
	if r.code != ExitFailed {
		t.Fatalf("audit: %s", r)
	}
	for _, want := range []string{"staging/guarded", "staging/open", auditIntruder.arn, "UNEXPECTED", "worker (inferred"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, line := range strings.Split(r.stdout, "\n") {
		if strings.Contains(line, auditApp.arn) && strings.Contains(line, "GetSecretValue") && strings.Contains(line, "UNEXPECTED") {
			t.Errorf("the policy's reader is flagged: %s", line)
		}
	}
	for _, v := range values {
		if strings.Contains(r.stdout+r.stderr, v) || strings.Contains(r.stdout+r.stderr, strings.Trim(v, "{}")) {
			t.Errorf("a secret value appears in the audit output")
		}
	}

	// A cap stops the reading and says so.
	r = run(t, env, "audit", "--secret", "staging/guarded", "--max-events", "2")
	if !strings.Contains(r.stdout, "read the newest 2 events of staging/guarded; older ones not examined") {
		t.Errorf("cap not stated:\n%s", r)
	}
	if r := run(t, env, "audit", "--since", "2161h"); r.code != ExitBadInput {
		t.Errorf("--since beyond 90 days: %s", r)
	}
}
