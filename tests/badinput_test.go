package tests

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/workflows"
)

// TestBadInput feeds malformed and hostile input to the CLI (in-process),
// to the workflows (through the real worker) and to localaws: malformed
// plans, unknown and malformed secrets (not JSON, missing keys, wrong
// engine, a host that does not resolve), wrong master credentials,
// invalid cron expressions, oversized inputs, and hostile strings (quotes,
// SQL, control characters) in names. Each gets a clear error naming its
// cause, nothing is left half-done, and afterwards every credential still
// logs in. Role names with quotes, SQL and control characters rotate like
// any other: they are always quoted as identifiers, passwords as literals.
func TestBadInput(t *testing.T) {
	s := startE2EStack(t)
	keepLogOnFailure(t, s)
	ctx := testContext(t, 8*time.Minute)
	cli := newCLIRecorder()
	rep := newReport(t)

	in, names := provisionInstance(ctx, t, s, "badinput", "staging", []activities.AppUser{
		{Name: "app", Strategy: activities.StrategyAlternatingUsers, Grants: []string{"readwrite"}},
		{Name: "report", Strategy: activities.StrategySingleUser, Grants: []string{"readonly"}},
	})
	in.writeCanary(ctx, t)
	good := append([]string(nil), names...)

	t.Run("cli", func(t *testing.T) { badCLIInput(ctx, t, s, rep, cli, names) })
	t.Run("workflows", func(t *testing.T) { good = append(good, badWorkflowInput(ctx, t, s, rep, &in)...) })
	t.Run("localaws", func(t *testing.T) { badLocalAWSInput(ctx, t, s, rep) })

	for _, id := range good {
		checkCredential(ctx, t, s, rep, id)
	}
	assertMasterLogin(ctx, t, s, instance{id: in.id, master: in.masterARN})
	if lost := in.canaryLost(ctx, t); lost > 0 {
		rep.lost(lost)
		t.Errorf("%d canary rows lost: hostile input reached SQL", lost)
	}
	rep.runs = countRuns(ctx, t, s.client()) // every run, the ones above included
	scanForLeaks(ctx, t, s, cli)
}

// badCLIInput: every case exits 2 (bad input) with one clear message and
// starts nothing.
func badCLIInput(ctx context.Context, t *testing.T, s *e2eStack, rep *faultReport, cli *cliRecorder, secrets []string) {
	dir := t.TempDir()
	file := func(name, body string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	stage := func(extra string) string {
		return "stages:\n  - name: staging\n    targets:\n      - secret: " + secrets[1] + "\n        strategy: single-user\n" + extra
	}
	var many strings.Builder
	many.WriteString("name: many\nstages:\n  - name: staging\n    targets:\n")
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(&many, "      - secret: staging/many/missing-%04d\n", i)
	}
	var huge strings.Builder
	huge.WriteString("name: huge\nstages:\n  - name: staging\n    targets:\n")
	for huge.Len() < 3<<20 {
		fmt.Fprintf(&huge, "      - secret: staging/huge/secret-%07d\n", huge.Len())
	}
	plans := map[string]string{
		"syntax":        file("syntax.yaml", "name: broken\nstages: [\n"),
		"unknown-field": file("unknown-field.yaml", "name: p\n"+strings.Replace(stage(""), "strategy:", "stratgy:", 1)),
		"unknown-secret": file("unknown-secret.yaml", "name: p\nstages:\n  - name: staging\n    targets:\n"+
			"      - secret: staging/badinput/nobody\n"),
		"sql-in-name":    file("sql-in-name.yaml", "name: \"x'; DROP TABLE fault_canary; --\"\n"+stage("")),
		"control-chars":  file("control-chars.yaml", "name: \"bell\\u0007and\\nnewline\"\n"+stage("")),
		"sql-in-secret":  file("sql-in-secret.yaml", "name: p\nstages:\n  - name: staging\n    targets:\n      - secret: \"staging/x' OR '1'='1\"\n"),
		"bad-strategy":   file("bad-strategy.yaml", "name: p\n"+strings.Replace(stage(""), "single-user", "robert'); DROP TABLE students;--", 1)),
		"empty":          file("empty.yaml", ""),
		"not-a-plan":     file("not-a-plan.yaml", "- just\n- a list\n"),
		"huge":           file("huge.yaml", huge.String()),
		"many-missing":   file("many-missing.yaml", many.String()),
		"bad-duration":   file("bad-duration.yaml", "name: p\n"+stage("    bake: forever\n")),
		"bad-validator":  file("bad-validator.yaml", "name: p\n"+stage("    validators:\n      - http: {url: \"javascript:alert(1)\"}\n")),
		"negative-par":   file("negative-par.yaml", "name: p\n"+stage("    maxParallel: -3\n")),
		"duplicate":      file("duplicate.yaml", "name: p\n"+stage("")+"      - secret: "+secrets[1]+"\n"),
		"alias-bomb":     file("alias-bomb.yaml", "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e]\nname: p\n"),
		"missing-file":   filepath.Join(dir, "does-not-exist.yaml"),
		"plan-directory": dir,
	}
	want := map[string]string{
		"syntax":         "syntax.yaml",
		"unknown-field":  `unknown field "stratgy"`,
		"unknown-secret": `secret "staging/badinput/nobody" not found`,
		"sql-in-name":    "name",
		"control-chars":  "name",
		"sql-in-secret":  "secret",
		"bad-strategy":   "strategy",
		"empty":          "empty.yaml",
		"not-a-plan":     "not-a-plan.yaml",
		"huge":           "larger than 1024 KiB",
		"many-missing":   "50 problems: the rest of the plan was not checked",
		"bad-duration":   "bake",
		"bad-validator":  "url",
		"negative-par":   "maxParallel",
		"duplicate":      "already listed",
		"alias-bomb":     "alias-bomb.yaml",
		"missing-file":   "does-not-exist.yaml",
		"plan-directory": dir,
	}
	env := s.cliEnv()
	stagedBefore := countType(ctx, t, s, "StagedRotation")
	for name, path := range plans {
		for _, cmd := range [][]string{{"plan", "validate", path}, {"rotate", path}} {
			start := time.Now()
			r := cli.run(ctx, env, cmd...)
			rep.add(1, 0)
			if r.code != 2 || !strings.Contains(r.stderr, want[name]) || r.stderr == "" {
				t.Errorf("%s %v: want exit 2 naming %q:\n%.2000s", name, cmd[:len(cmd)-1], want[name], r)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("%s %v took %s", name, cmd[:len(cmd)-1], d)
			}
			if len(r.stderr) > 8<<10 {
				t.Errorf("%s %v: %d bytes of error: an error must stay readable", name, cmd[:len(cmd)-1], len(r.stderr))
			}
		}
	}
	good := file("good.yaml", "name: good\n"+stage(""))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"schedule", "create", "s1", "--cron", "61 * * * *", "--plan", good}, "minute"},
		{[]string{"schedule", "create", "s2", "--cron", "* * *", "--plan", good}, "want 5 fields"},
		{[]string{"schedule", "create", "s3", "--cron", "@every 1s", "--plan", good}, "--every"},
		{[]string{"schedule", "create", "s4", "--cron", "0 2 * * MON-FUNDAY", "--plan", good}, "day-of-week"},
		{[]string{"schedule", "create", "s5", "--cron", "'; DROP TABLE x; --", "--plan", good}, "invalid cron expression"},
		{[]string{"schedule", "create", "s6", "--cron", strings.Repeat("1,", 5000) + "1 * * * *", "--plan", good}, "invalid cron expression"},
		{[]string{"schedule", "create", "bad name'", "--cron", "0 2 * * *", "--plan", good}, "name"},
		{[]string{"provision", "--identifier", "db'; DROP", "--environment", "staging", "--db-name", "orders", "--user", "app:single-user"}, "--identifier"},
		{[]string{"provision", "--identifier", "okdb", "--environment", "staging", "--db-name", "orders", "--user", "x\"; DROP ROLE postgres; --:single-user"}, "user"},
		{[]string{"provision", "--identifier", "okdb", "--environment", "staging", "--db-name", "ord'ers", "--user", "app:single-user"}, "db-name"},
		{[]string{"history", "x' OR '1'='1"}, "invalid value"},
		{[]string{"status", "no/such/run"}, "no workflow run no/such/run"},
		{[]string{"rollback", "staging/badinput/nobody", "--strategy", "single-user"}, "staging/badinput/nobody"},
		{[]string{"list", "--output", "yaml"}, "--output"},
	} {
		r := cli.run(ctx, env, c.args...)
		rep.add(1, 0)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%q: want exit 2 naming %q:\n%.2000s", c.args, c.want, r)
		}
	}
	if after := countType(ctx, t, s, "StagedRotation"); after != stagedBefore {
		t.Errorf("%d staged rotations started from bad input", after-stagedBefore)
	}
	if n := countType(ctx, t, s, "ProvisionDatabase"); n != 1 {
		t.Errorf("%d provisioning runs: bad provision flags started one", n-1)
	}
}

// badWorkflowInput starts rotations on bad secrets and hostile role names
// through the real worker; it returns the secrets that must log in
// afterwards.
func badWorkflowInput(ctx context.Context, t *testing.T, s *e2eStack, rep *faultReport, in *faultInstance) []string {
	put := func(name string, value string) string {
		if _, err := s.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String(value)}); err != nil {
			t.Fatal(err)
		}
		return name
	}
	secretJSON := func(fields map[string]any) string {
		b, _ := json.Marshal(fields)
		return string(b)
	}
	base := map[string]any{"engine": "postgres", "host": in.host, "port": in.port, "username": "nobody", "password": "irrelevant-for-this-case", "dbname": in.db}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for bk, bv := range base {
			m[bk] = bv
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	// A master secret holding the wrong password for the real master user.
	wrongMaster := put("staging/badinput/wrong-master", secretJSON(map[string]any{"username": in.master.Username, "password": "not-the-master-password"}))
	wrongMasterARN := describeARN(ctx, t, s, wrongMaster)
	wrongMasterUser := in.makeUser(ctx, t, s, "staging/badinput/wrong-master-user", "wrong_master_user", wrongMasterARN)

	cases := []struct {
		name, secret string
		strategy     activities.Strategy
		errType      string
		want         []string
	}{
		{"unknown secret", "staging/badinput/nobody", activities.StrategySingleUser, activities.ErrSecretNotFound, []string{"staging/badinput/nobody"}},
		{"not JSON", put("staging/badinput/not-json", `{"host": "x", password: oops`), activities.StrategySingleUser, activities.ErrMalformedSecret, []string{"not a JSON object"}},
		{"JSON array", put("staging/badinput/array", `["postgres"]`), activities.StrategySingleUser, activities.ErrMalformedSecret, []string{"not a JSON object"}},
		{"missing password", put("staging/badinput/no-password", secretJSON(with("password", nil))), activities.StrategySingleUser, activities.ErrMalformedSecret, []string{`"password" is missing`}},
		{"missing host", put("staging/badinput/no-host", secretJSON(with("host", nil))), activities.StrategyAlternatingUsers, activities.ErrMalformedSecret, []string{`"host" is missing`}},
		{"wrong engine", put("staging/badinput/mysql", secretJSON(with("engine", "mysql"))), activities.StrategySingleUser, activities.ErrMalformedSecret, []string{`"mysql"`, "PostgreSQL only"}},
		{"port not a number", put("staging/badinput/port", secretJSON(with("port", "fivefourthreetwo"))), activities.StrategySingleUser, activities.ErrMalformedSecret, []string{`"port"`}},
		{"host that does not resolve", put("staging/badinput/no-such-host", secretJSON(with("host", "db.invalid"))), activities.StrategySingleUser, activities.ErrDatabaseUnreachable, []string{"db.invalid", "unreachable"}},
		{"wrong master credentials", wrongMasterUser, activities.StrategySingleUser, activities.ErrMasterAuthFailed, []string{"master credentials refused", wrongMasterARN}},
		{"NUL in username", put("staging/badinput/nul", secretJSON(with("username", "a\x00b"))), activities.StrategySingleUser, activities.ErrMalformedSecret, []string{"NUL"}},
	}
	for _, c := range cases {
		var before string
		if c.name != "unknown secret" {
			before = versionWith(ctx, t, s.sm, c.secret, "AWSCURRENT")
		}
		out, err := rotateOne(ctx, t, s, workflows.RotateSecretInput{Target: workflows.Target{SecretID: c.secret, Strategy: c.strategy},
			Environment: "staging", Validators: sqlCanary})
		rep.add(1, 1)
		if err != nil || out.Status != workflows.StatusRolledBack || out.ErrorType != c.errType {
			t.Errorf("%s: %s %s %q (%v): want rolled-back with %s", c.name, out.Status, out.ErrorType, out.Error, err, c.errType)
		}
		for _, w := range c.want {
			if !strings.Contains(out.Error, w) {
				t.Errorf("%s: error %q does not name %q", c.name, out.Error, w)
			}
		}
		if before != "" {
			if v := versionWith(ctx, t, s.sm, c.secret, "AWSPENDING"); v != "" {
				t.Errorf("%s: AWSPENDING left on %s", c.name, v)
			}
			if cur := versionWith(ctx, t, s.sm, c.secret, "AWSCURRENT"); cur != before {
				t.Errorf("%s: AWSCURRENT moved to %s", c.name, cur)
			}
		}
		t.Logf("%s: %s (%s) %s", c.name, out.Status, out.ErrorType, truncateText(out.Error, 300))
	}

	// The leak scan reads every secret as JSON: the ones that are not go.
	for _, id := range []string{"staging/badinput/not-json", "staging/badinput/array"} {
		if _, err := s.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(id), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
	}

	// Invalid plans straight to the workflow (no CLI in front of it).
	for _, p := range []workflows.Plan{
		{Name: "oversized", Stages: []workflows.Stage{{Name: "staging", Targets: []workflows.Target{{SecretID: "staging/" + strings.Repeat("x", 3000), Strategy: activities.StrategySingleUser}}}}},
		{Name: "no-stages"},
		{Name: "x'; DROP TABLE fault_canary;--", Stages: []workflows.Stage{{Name: "staging", Targets: []workflows.Target{{SecretID: "a", Strategy: activities.StrategySingleUser}}}}},
		{Name: "ctl", Stages: []workflows.Stage{{Name: "stag\ning", MaxParallel: -1, Targets: []workflows.Target{{SecretID: " a\t", Strategy: "drop-table"}}}}},
		{Name: "dup", Stages: []workflows.Stage{{Name: "staging", Targets: []workflows.Target{{SecretID: "a", Strategy: activities.StrategySingleUser}, {SecretID: "a", Strategy: activities.StrategySingleUser}}}}},
	} {
		run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: workflows.TaskQueue}, workflows.StagedRotation, workflows.StagedRotationInput{Plan: p})
		if err != nil {
			t.Fatal(err)
		}
		rep.add(1, 1)
		err = run.Get(ctx, nil)
		if err == nil || !strings.Contains(err.Error(), "invalid plan") || !strings.Contains(err.Error(), activities.ErrInvalidInput) || len(err.Error()) > 2000 {
			t.Errorf("plan %q: %.3000v, want a short InvalidInput naming the fields", p.Name, err)
		}
		t.Logf("plan %.40q: %s", p.Name, truncateText(err.Error(), 300))
	}

	// Hostile role names rotate like any other: always quoted.
	var hostile []string
	for i, role := range []string{`o'reilly`, `robert"); DROP TABLE fault_canary;--`, "tab\there", "line\nfeed", `semi;colon $$ $tag$`, `back\slash'"`, "ünïcødé✓", `"; ALTER ROLE postgres PASSWORD 'x'; --`} {
		for _, strategy := range []activities.Strategy{activities.StrategySingleUser, activities.StrategyAlternatingUsers} {
			r := fmt.Sprintf("%s_%d%c", role, i, strategy[0])
			id := in.makeUser(ctx, t, s, fmt.Sprintf("staging/badinput/hostile-%d-%c", i, strategy[0]), r, "")
			before := versionWith(ctx, t, s.sm, id, "AWSCURRENT")
			out, err := rotateOne(ctx, t, s, workflows.RotateSecretInput{Target: workflows.Target{SecretID: id, Strategy: strategy},
				Environment: "staging", Validators: sqlCanary})
			rep.add(1, 1)
			if err != nil || out.Status != workflows.StatusSucceeded {
				t.Errorf("role %q (%s): %s %s (%v)", r, strategy, out.Status, out.Error, err)
			}
			if prev := versionWith(ctx, t, s.sm, id, "AWSPREVIOUS"); prev != before {
				t.Errorf("role %q: AWSPREVIOUS %s, want %s", r, prev, before)
			}
			hostile = append(hostile, id)
		}
	}
	// The clone roles exist under their quoted names, and nothing else
	// was created or dropped.
	conn, err := in.connect(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var clones int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE rolname LIKE '%\\_clone' ESCAPE '\\' AND rolname LIKE $1", "%a_clone").Scan(&clones); err != nil {
		t.Fatal(err)
	}
	if clones < 8 {
		t.Errorf("%d clone roles of the hostile alternating users, want 8", clones)
	}
	var postgresCanLogin bool
	if err := conn.QueryRow(ctx, "SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", in.master.Username).Scan(&postgresCanLogin); err != nil || !postgresCanLogin {
		t.Errorf("the master role was changed: %v", err)
	}
	return append(hostile, wrongMasterUser)
}

func describeARN(ctx context.Context, t *testing.T, s *e2eStack, name string) string {
	t.Helper()
	out, err := s.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.ARN)
}

func truncateText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func countType(ctx context.Context, t *testing.T, s *e2eStack, workflowType string) int {
	t.Helper()
	out, err := s.client().CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: "default", Query: "WorkflowType = '" + workflowType + "'"})
	if err != nil {
		t.Fatal(err)
	}
	return int(out.Count)
}

// badLocalAWSInput sends malformed and hostile requests to the emulator
// on the wire: each is refused with a 4xx and an AWS error code naming the
// problem, never a 500, and the emulator keeps serving.
func badLocalAWSInput(ctx context.Context, t *testing.T, s *e2eStack, rep *faultReport) {
	post := func(target, contentType string, body []byte, form bool) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.aws.URL+"/", bytes.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		service := "secretsmanager"
		if form {
			service = "rds"
		}
		if target != "" {
			req.Header.Set("X-Amz-Target", target)
		}
		// Signed as the SDK would, with the test's own key: localaws
		// enforces IAM, and the bad input must reach the service.
		sum := sha256.Sum256(body)
		creds, err := s.aws.Config.Credentials.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), service, "us-east-1", time.Now()); err != nil {
			t.Fatal(err)
		}
		return sendHTTP(t, req)
	}
	js := "application/x-amz-json-1.1"
	bigValue, _ := json.Marshal(map[string]string{"Name": "staging/badinput/big", "SecretString": strings.Repeat("x", 70_000)})
	for _, c := range []struct {
		name, target string
		body         []byte
		form         bool
		status       int
		want         string
	}{
		{"malformed JSON", "secretsmanager.GetSecretValue", []byte(`{"SecretId": `), false, 400, "SerializationException"},
		{"unknown operation", "secretsmanager.DropEverything", []byte(`{}`), false, 400, "UnknownOperationException"},
		{"name with quotes and SQL", "secretsmanager.CreateSecret", []byte(`{"Name":"x'; DROP TABLE secrets;--","SecretString":"{}"}`), false, 400, "Invalid name"},
		{"name with control characters", "secretsmanager.CreateSecret", []byte("{\"Name\":\"a\\u0000b\\nc\",\"SecretString\":\"{}\"}"), false, 400, "Invalid name"},
		{"secret value over 64 KiB", "secretsmanager.CreateSecret", bigValue, false, 400, "ValidationException"},
		{"missing secret id", "secretsmanager.GetSecretValue", []byte(`{}`), false, 400, "ValidationException"},
		{"wrong type", "secretsmanager.GetSecretValue", []byte(`{"SecretId": {"$ne": null}}`), false, 400, "SerializationException"},
		{"body over 8 MiB", "secretsmanager.GetSecretValue", bytes.Repeat([]byte(" "), 9<<20), false, 413, "RequestEntityTooLarge"},
		{"rds identifier with SQL", "", []byte("Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=x%27%3B+DROP"), true, 404, "<Code>DBInstanceNotFound</Code>"},
		{"rds create with hostile identifier", "", []byte("Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=x%27%3B+DROP&DBInstanceClass=db.t4g.micro&Engine=postgres&MasterUsername=m&ManageMasterUserPassword=true"), true, 400, "DBInstanceIdentifier"},
		{"rds create with hostile master user", "", []byte("Action=CreateDBInstance&Version=2014-10-31&DBInstanceIdentifier=okdb&DBInstanceClass=db.t4g.micro&Engine=postgres&MasterUsername=m%22%3B+DROP&ManageMasterUserPassword=true"), true, 400, "MasterUsername"},
		{"rds unknown action", "", []byte("Action=DropDatabase&Version=2014-10-31"), true, 400, "InvalidAction"},
		{"rds malformed form", "", []byte("Action=%zz"), true, 400, "MalformedQueryString"},
	} {
		ct := js
		if c.form {
			ct = "application/x-www-form-urlencoded"
		}
		status, body := post(c.target, ct, c.body, c.form)
		rep.add(1, 0)
		if status != c.status || !strings.Contains(body, c.want) {
			t.Errorf("%s: HTTP %d %.300s, want %d naming %q", c.name, status, body, c.status, c.want)
		}
	}
	resp, err := http.Get(s.aws.URL + "/_localaws/health")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("localaws unhealthy after bad input: %v", err)
	}
	resp.Body.Close()
}
