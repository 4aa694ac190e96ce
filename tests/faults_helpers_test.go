package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/localaws"
	"github.com/credstage/credstage/workflows"
)

// The fault tests: each injects faults into the real stack (a SIGKILLed
// worker, localaws faults, a stopped or refusing database, a deleted master
// secret, a restarted Temporal server, overlapping runs), then checks for
// every secret the invariant of docs/architecture.md §2 and reports its figures:
// faults injected, runs, credentials left unusable (must be 0), data lost
// (must be 0). CREDSTAGE_SOAK=1 runs the long variants; CREDSTAGE_FAULT_SEED
// replays a seeded run; CREDSTAGE_FAULT_REPORT=<file> appends every report
// line to a file.

// soak reports whether the long variants were asked for.
func soak() bool { return os.Getenv("CREDSTAGE_SOAK") == "1" }

// faultRand is a seeded source for the random choices of a fault test; the
// seed is logged so a failure can be replayed.
func faultRand(t *testing.T) *rand.Rand {
	t.Helper()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("CREDSTAGE_FAULT_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("CREDSTAGE_FAULT_SEED=%q: %v", s, err)
		}
		seed = n
	}
	t.Logf("fault seed %d (replay with CREDSTAGE_FAULT_SEED=%d)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// faultReport counts what a fault test did and found.
type faultReport struct {
	mu       sync.Mutex
	name     string
	faults   int // faults injected: localaws fault hits, kills, stops, restarts, deletions, bad inputs
	runs     int // workflow runs (rotations, rollbacks, staged runs)
	unusable int // credentials that did not log in at the end
	dataLost int // rows, secret versions or runs lost
	// goodRolledBack: rotations rolled back by a deploy or by an outage
	// shorter than the outage budget (must be 0).
	rolledBackGood int
	leftPending    int // labels left: an AWSPENDING or a lease (must be 0)
	wrongPrevious  int // AWSPREVIOUS not what it was before, after a rollback (must be 0)
	notes          []string
}

func newReport(t *testing.T) *faultReport {
	r := &faultReport{name: t.Name()}
	t.Cleanup(func() { r.log(t) })
	return r
}

func (r *faultReport) add(faults, runs int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.faults += faults
	r.runs += runs
}

func (r *faultReport) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

func (r *faultReport) lost(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dataLost += n
}

func (r *faultReport) goodRolledBack() { r.count(&r.rolledBackGood) }
func (r *faultReport) pendingLeft()    { r.count(&r.leftPending) }
func (r *faultReport) previousWrong()  { r.count(&r.wrongPrevious) }

func (r *faultReport) count(n *int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	*n++
}

func (r *faultReport) badCredential() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.unusable++
}

func (r *faultReport) log(t *testing.T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	line := fmt.Sprintf("FAULT REPORT %s: faults injected=%d runs=%d credentials left unusable=%d data lost=%d "+
		"good rotations rolled back=%d AWSPENDING or lease left=%d AWSPREVIOUS wrong after rollback=%d",
		r.name, r.faults, r.runs, r.unusable, r.dataLost, r.rolledBackGood, r.leftPending, r.wrongPrevious)
	if len(r.notes) > 0 {
		line += " (" + strings.Join(r.notes, "; ") + ")"
	}
	t.Log(line)
	if path := os.Getenv("CREDSTAGE_FAULT_REPORT"); path != "" {
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			fmt.Fprintln(f, line)
			f.Close()
		}
	}
	if r.unusable > 0 || r.dataLost > 0 || r.rolledBackGood > 0 || r.leftPending > 0 || r.wrongPrevious > 0 {
		t.Errorf("%d credentials left unusable, %d data lost, %d good rotations rolled back, %d AWSPENDING or lease left, %d AWSPREVIOUS wrong: all must be 0",
			r.unusable, r.dataLost, r.rolledBackGood, r.leftPending, r.wrongPrevious)
	}
}

// checkCredential is the invariant for one secret once its run has ended,
// counted in the report: no AWSPENDING and no lease label left (a batch of
// alternating users marks its version with the lease alone), and
// AWSCURRENT logs in.
func checkCredential(ctx context.Context, t *testing.T, s *e2eStack, r *faultReport, secretID string) bool {
	t.Helper()
	for v, stages := range labels(ctx, t, s.sm, secretID) {
		for _, l := range stages {
			if l == "AWSPENDING" || strings.HasPrefix(l, "credstage-lease/") {
				r.pendingLeft()
				t.Errorf("%s: %s left on version %s", secretID, l, v)
			}
		}
	}
	sec, err := readSecret(ctx, s.sm, secretID, "AWSCURRENT", "")
	if err == nil {
		err = s.login(ctx, sec)
	}
	if err != nil {
		r.badCredential()
		t.Errorf("%s: AWSCURRENT does not log in: %s", secretID, redact(err.Error(), sec.Password))
		return false
	}
	return true
}

// mixedUsers are n application users named prefix00, prefix01, ...,
// alternating users and single users in turn, with read-only grants.
func mixedUsers(prefix string, n int) []activities.AppUser {
	users := make([]activities.AppUser, 0, n)
	for j := range n {
		strategy := activities.StrategySingleUser
		if j%2 == 0 {
			strategy = activities.StrategyAlternatingUsers
		}
		users = append(users, activities.AppUser{Name: fmt.Sprintf("%s%02d", prefix, j), Strategy: strategy, Grants: []string{"readonly"}})
	}
	return users
}

// workerCalls counts the AWS calls the worker has made.
func (s *e2eStack) workerCalls() int {
	n := 0
	for _, e := range s.aws.Server.Requests().Entries() {
		if e.AccessKey == workerAccessKey {
			n++
		}
	}
	return n
}

// labels are the versions AWSCURRENT and AWSPREVIOUS are on.
type labelPair struct{ current, previous string }

func labelsNow(ctx context.Context, t *testing.T, s *e2eStack, secretID string) labelPair {
	t.Helper()
	return labelPair{current: versionWith(ctx, t, s.sm, secretID, "AWSCURRENT"), previous: versionWith(ctx, t, s.sm, secretID, "AWSPREVIOUS")}
}

// checkRolledBack is the invariant after a rollback: AWSCURRENT and
// AWSPREVIOUS exactly as before the run, and the credential checks.
func checkRolledBack(ctx context.Context, t *testing.T, s *e2eStack, r *faultReport, secretID string, before labelPair) {
	t.Helper()
	now := labelsNow(ctx, t, s, secretID)
	if now.current != before.current {
		r.badCredential()
		t.Errorf("%s: AWSCURRENT %s after the rollback, want %s", secretID, now.current, before.current)
	}
	if now.previous != before.previous {
		r.previousWrong()
		t.Errorf("%s: AWSPREVIOUS %s after the rollback, want %s as before the run", secretID, now.previous, before.previous)
	}
	checkCredential(ctx, t, s, r, secretID)
}

// faultInstance is a provisioned instance with a master connection for the
// test's own SQL (roles, canary data, refusals).
type faultInstance struct {
	id, env   string
	masterARN string
	host      string
	port      int
	db        string
	master    rdsSecret // AWSCURRENT of the managed master secret, with the endpoint
	caBundle  string    // the RDS CA bundle file its certificate chains to
}

// provisionInstance provisions an instance with the given application users
// (through the worker, as in production).
func provisionInstance(ctx context.Context, t *testing.T, s *e2eStack, id, env string, users []activities.AppUser) (faultInstance, []string) {
	t.Helper()
	req := activities.ProvisionRequest{Identifier: id, Environment: env, DBName: "orders", Users: users,
		WaitMinDelay: 200 * time.Millisecond, WaitMaxDelay: 2 * time.Second}
	run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "provision/" + id, TaskQueue: workflows.TaskQueue},
		workflows.ProvisionDatabase, req)
	if err != nil {
		t.Fatal(err)
	}
	var res workflows.ProvisionDatabaseResult
	if err := run.Get(ctx, &res); err != nil {
		t.Fatalf("provision %s: %v", id, err)
	}
	names := make([]string, len(res.Users))
	for i, u := range res.Users {
		names[i] = u.SecretName
	}
	in := faultInstance{id: id, env: env, masterARN: res.Instance.MasterSecretARN, host: res.Instance.Address, port: int(res.Instance.Port), db: "orders",
		caBundle: s.aws.Server.RDSCABundlePath()}
	in.refreshMaster(ctx, t, s)
	return in, names
}

// refreshMaster re-reads the master secret (after RDS rotated it).
func (in *faultInstance) refreshMaster(ctx context.Context, t *testing.T, s *e2eStack) {
	t.Helper()
	out, err := s.rds.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String(in.id)})
	if err != nil || len(out.DBInstances) != 1 {
		t.Fatalf("describe %s: %v", in.id, err)
	}
	db := out.DBInstances[0]
	in.host, in.port = aws.ToString(db.Endpoint.Address), int(aws.ToInt32(db.Endpoint.Port))
	m, err := readSecret(ctx, s.sm, in.masterARN, "AWSCURRENT", "")
	if err != nil {
		t.Fatal(err)
	}
	m.Host, m.Port, m.DBName = in.host, float64(in.port), in.db
	in.master = m
}

// sql runs statements as the master on database db ("" = the app database).
func (in *faultInstance) sql(ctx context.Context, t *testing.T, db string, stmts ...string) {
	t.Helper()
	if err := in.trySQL(ctx, db, stmts...); err != nil {
		t.Fatalf("master SQL on %s: %v", in.id, redact(err.Error(), in.master.Password))
	}
}

func (in *faultInstance) trySQL(ctx context.Context, db string, stmts ...string) error {
	conn, err := in.connect(ctx, db)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for _, st := range stmts {
		if _, err := conn.Exec(ctx, st); err != nil {
			shown, _, _ := strings.Cut(st, " PASSWORD")
			return fmt.Errorf("%.60s: %w", shown, err)
		}
	}
	return nil
}

func (in *faultInstance) connect(ctx context.Context, db string) (*pgx.Conn, error) {
	return in.connectAs(ctx, db, in.master.Username, in.master.Password)
}

// connectAs logs in as role on database db ("" = the app database).
func (in *faultInstance) connectAs(ctx context.Context, db, role, password string) (*pgx.Conn, error) {
	if db == "" {
		db = in.db
	}
	cfg, err := appConnConfig(in.host, in.port, in.caBundle)
	if err != nil {
		return nil, err
	}
	cfg.User, cfg.Password, cfg.Database = role, password, db
	return pgx.ConnectConfig(ctx, cfg)
}

// canary is data the applications own: it must survive every fault.
const canaryRows = 250

func (in *faultInstance) writeCanary(ctx context.Context, t *testing.T) {
	t.Helper()
	in.sql(ctx, t, "", "CREATE TABLE IF NOT EXISTS fault_canary (id int PRIMARY KEY, v text NOT NULL)",
		fmt.Sprintf("INSERT INTO fault_canary SELECT g, md5(g::text) FROM generate_series(1, %d) g ON CONFLICT DO NOTHING", canaryRows))
}

// checkCanary counts the canary rows lost into rep (which fails the test
// when any are), naming the instance.
func (in *faultInstance) checkCanary(ctx context.Context, t *testing.T, rep *faultReport) {
	t.Helper()
	if lost := in.canaryLost(ctx, t); lost > 0 {
		rep.lost(lost)
		t.Errorf("%s: %d canary rows lost", in.id, lost)
	}
}

// canaryLost counts canary rows missing or altered.
func (in *faultInstance) canaryLost(ctx context.Context, t *testing.T) int {
	t.Helper()
	conn, err := in.connect(ctx, "")
	if err != nil {
		t.Errorf("canary of %s: %v", in.id, redact(err.Error(), in.master.Password))
		return canaryRows
	}
	defer conn.Close(context.Background())
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM fault_canary WHERE v = md5(id::text)").Scan(&n); err != nil {
		t.Errorf("canary of %s: %v", in.id, err)
		return canaryRows
	}
	return canaryRows - n
}

// secretVersionsLost counts versions of a secret that existed before and are
// gone now.
func secretVersionsLost(ctx context.Context, t *testing.T, s *e2eStack, secretID string, before []string) int {
	t.Helper()
	out, err := s.sm.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(secretID), IncludeDeprecated: aws.Bool(true)})
	if err != nil {
		t.Errorf("versions of %s: %v", secretID, err)
		return len(before)
	}
	have := map[string]bool{}
	for _, v := range out.Versions {
		have[aws.ToString(v.VersionId)] = true
	}
	lost := 0
	for _, v := range before {
		if !have[v] {
			lost++
			t.Errorf("%s: version %s was lost", secretID, v)
		}
	}
	return lost
}

func secretVersions(ctx context.Context, t *testing.T, s *e2eStack, secretID string) []string {
	t.Helper()
	out, err := s.sm.ListSecretVersionIds(ctx, &secretsmanager.ListSecretVersionIdsInput{SecretId: aws.String(secretID), IncludeDeprecated: aws.Bool(true)})
	if err != nil {
		t.Fatalf("versions of %s: %v", secretID, err)
	}
	var ids []string
	for _, v := range out.Versions {
		ids = append(ids, aws.ToString(v.VersionId))
	}
	return ids
}

var makeUserMu sync.Mutex

// makeUser creates an application role directly (as a DBA would) and its
// secret pointing at masterARN (the instance's managed master when empty),
// returning the secret's name. The password comes from GetRandomPassword.
func (in *faultInstance) makeUser(ctx context.Context, t *testing.T, s *e2eStack, secretName, role, masterARN string) string {
	t.Helper()
	return in.makeUserAt(ctx, t, s, secretName, role, masterARN, in.host, in.port)
}

// makeUserAt is makeUser with a secret whose endpoint is host:port (a
// proxy in front of the instance); the role is created directly.
func (in *faultInstance) makeUserAt(ctx context.Context, t *testing.T, s *e2eStack, secretName, role, masterARN, host string, port int) string {
	t.Helper()
	pw, err := s.sm.GetRandomPassword(ctx, &secretsmanager.GetRandomPasswordInput{PasswordLength: aws.Int64(32), ExcludeCharacters: aws.String(`/@"'\: `)})
	if err != nil {
		t.Fatal(err)
	}
	password := aws.ToString(pw.RandomPassword)
	// Concurrent GRANTs on one object fail ("tuple concurrently
	// updated"): a DBA's script runs one at a time.
	makeUserMu.Lock()
	defer makeUserMu.Unlock()
	in.sql(ctx, t, "", "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN PASSWORD '"+password+"'",
		"GRANT CONNECT ON DATABASE "+pgx.Identifier{in.db}.Sanitize()+" TO "+pgx.Identifier{role}.Sanitize(),
		"GRANT SELECT ON fault_canary TO "+pgx.Identifier{role}.Sanitize())
	if masterARN == "" {
		masterARN = in.masterARN
	}
	value, _ := json.Marshal(map[string]any{"engine": "postgres", "host": host, "port": port, "username": role,
		"password": password, "dbname": in.db, "masterarn": masterARN})
	if _, err := s.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{Name: aws.String(secretName), SecretString: aws.String(string(value))}); err != nil {
		t.Fatalf("create secret %s: %v", secretName, err)
	}
	return secretName
}

// rotateOne runs RotateSecret for one secret under its lock ID and returns
// its outcome; a run that fails (status failed) returns the outcome from the
// error's details.
func rotateOne(ctx context.Context, t *testing.T, s *e2eStack, in workflows.RotateSecretInput) (workflows.TargetOutcome, error) {
	t.Helper()
	run, err := s.client().ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflows.SecretWorkflowID(in.Target.SecretID), TaskQueue: workflows.TaskQueue},
		workflows.RotateSecret, in)
	if err != nil {
		t.Fatalf("start rotation of %s: %v", in.Target.SecretID, err)
	}
	return outcomeOf(ctx, run)
}

func outcomeOf(ctx context.Context, run client.WorkflowRun) (workflows.TargetOutcome, error) {
	var out workflows.TargetOutcome
	err := run.Get(ctx, &out)
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == workflows.ErrRotationFailed && app.HasDetails() {
		_ = app.Details(&out)
	}
	return out, err
}

// progressStep asks a running RotateSecret for its current step.
func progressStep(ctx context.Context, c client.Client, workflowID string) string {
	v, err := c.QueryWorkflow(ctx, workflowID, "", workflows.QueryProgress)
	if err != nil {
		return ""
	}
	var p workflows.TargetProgress
	if v.Get(&p) != nil {
		return ""
	}
	return p.Step
}

// workerFault is a localaws fault on the worker's calls only.
func workerFault(f localaws.Fault) localaws.Fault {
	f.AccessKey = workerAccessKey
	return f
}

// hitsOf sums the hits of faults.
func hitsOf(s *e2eStack, ids ...string) int {
	n := 0
	for _, id := range ids {
		n += s.aws.Server.Faults().Hits(id)
	}
	return n
}

// logLine is the first line of the worker's log holding every part, "" if
// none does.
func (s *e2eStack) logLine(parts ...string) string {
	for _, line := range strings.Split(s.logs.String(), "\n") {
		all := true
		for _, p := range parts {
			if !strings.Contains(line, p) {
				all = false
				break
			}
		}
		if all {
			return line
		}
	}
	return ""
}

// keepLogOnFailure writes the worker's log to a file when the test fails,
// and says where.
func keepLogOnFailure(t *testing.T, s *e2eStack) {
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		f, err := os.CreateTemp("", "credstage-"+strings.ReplaceAll(t.Name(), "/", "_")+"-worker-*.log")
		if err != nil {
			return
		}
		defer f.Close()
		_, _ = f.WriteString(s.logs.String())
		t.Logf("worker log kept at %s", f.Name())
	})
}

// sendHTTP sends req and returns the status and body; a transport error
// fails the test.
func sendHTTP(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
