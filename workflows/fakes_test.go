package workflows

import (
	"context"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/credstage/credstage/activities"
)

// fakeActivities stands in for *activities.Activities in tests: every
// method records its call and succeeds unless told to fail. The test
// environment's mocks delegate to it; the history recorder registers its
// methods under the real activity names.
type fakeActivities struct {
	mu    sync.Mutex
	calls []fakeCall
	// fail makes an activity fail: keys are "Activity" or
	// "Activity:subject" (a secret id, a user name or an instance id).
	fail          map[string]error
	staleCleared  string
	failedCheck   bool // Verify returns a failed check without an error
	adoptInstance bool
	adoptUsers    map[string]bool
	// drainSessions makes SetPending of an alternating-users target
	// report that many sessions still on the old role.
	drainSessions int
	// now stamps calls (the test environment's clock), if set.
	now func() time.Time
	// slow makes a call ("Activity:subject") take this long in real time;
	// only the history recorder, on the real server, uses it.
	slow map[string]time.Duration
}

type fakeCall struct {
	Name    string
	Subject string
	Arg     any
	At      time.Time
}

func newFake() *fakeActivities {
	return &fakeActivities{fail: map[string]error{}, adoptUsers: map[string]bool{}, slow: map[string]time.Duration{}}
}

func (f *fakeActivities) record(ctx context.Context, name, subject string, arg any) error {
	f.mu.Lock()
	var at time.Time
	if f.now != nil {
		at = f.now()
	}
	f.calls = append(f.calls, fakeCall{Name: name, Subject: subject, Arg: arg, At: at})
	err, ok := f.fail[name+":"+subject]
	if !ok {
		err = f.fail[name]
	}
	d := f.slow[name+":"+subject]
	f.mu.Unlock()
	if d > 0 {
		select {
		case <-time.After(d):
		case <-ctx.Done():
		}
	}
	return err
}

// called lists calls of one activity, in order.
func (f *fakeActivities) called(name string) []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fakeCall
	for _, c := range f.calls {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// names lists every call as "Activity:subject", in order.
func (f *fakeActivities) names() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		out = append(out, c.Name+":"+c.Subject)
	}
	return out
}

func (f *fakeActivities) rollbacks() []activities.RollbackInput {
	var out []activities.RollbackInput
	for _, c := range f.called("Rollback") {
		out = append(out, c.Arg.(activities.RollbackInput))
	}
	return out
}

// tokenOf is the token the rotation of secret used.
func (f *fakeActivities) tokenOf(secret string) string {
	for _, c := range f.called("CreatePending") {
		if c.Subject == secret {
			return c.Arg.(activities.RotationStep).Token
		}
	}
	return ""
}

func (f *fakeActivities) datums() []activities.MetricDatum {
	var out []activities.MetricDatum
	for _, c := range f.called("PublishMetrics") {
		out = append(out, c.Arg.(activities.PublishInput).Datums...)
	}
	return out
}

func (f *fakeActivities) CreatePending(ctx context.Context, step activities.RotationStep) (activities.CreateResult, error) {
	if err := f.record(ctx, "CreatePending", step.SecretID, step); err != nil {
		return activities.CreateResult{}, err
	}
	return activities.CreateResult{SecretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + step.SecretID + "-AbCdEf",
		CurrentVersionID: "old-" + step.SecretID, PreviousVersionID: "prev-" + step.SecretID, PreviousKnown: true,
		Username: "app", StaleCleared: f.staleCleared}, nil
}

func (f *fakeActivities) SetPending(ctx context.Context, step activities.RotationStep) (activities.SetResult, error) {
	if err := f.record(ctx, "SetPending", step.SecretID, step); err != nil {
		return activities.SetResult{}, err
	}
	res := activities.SetResult{Username: "app"}
	if step.Strategy == activities.StrategyAlternatingUsers && f.drainSessions > 0 {
		res.Drain = &activities.DrainReport{Mode: activities.DrainWarn, Sessions: activities.Sessions{Role: "app_clone", Count: f.drainSessions,
			Clients: []activities.SessionClient{{Address: "10.0.0.7", ApplicationName: "billing", Sessions: f.drainSessions}}}}
	}
	return res, nil
}

// CountConsumers reports consumers moving over: each sample has one more
// session on the new credentials and one fewer on the old.
func (f *fakeActivities) CountConsumers(ctx context.Context, in activities.CountConsumersInput) (activities.ConsumerCounts, error) {
	if err := f.record(ctx, "CountConsumers", "", in); err != nil {
		return activities.ConsumerCounts{}, err
	}
	n := len(f.called("CountConsumers"))
	return activities.ConsumerCounts{Secrets: len(in.Targets), OnCurrent: n, OnPrevious: max(0, 10-n)}, nil
}

func (f *fakeActivities) RevokePrevious(ctx context.Context, in activities.RevokeInput) (activities.RevokeResult, error) {
	if err := f.record(ctx, "RevokePrevious", in.SecretID, in); err != nil {
		return activities.RevokeResult{}, err
	}
	return activities.RevokeResult{Role: "app_clone", VersionID: in.VersionID, OpenSessions: 2, Terminated: 2}, nil
}

func (f *fakeActivities) TestPending(ctx context.Context, step activities.RotationStep) (activities.TestResult, error) {
	if err := f.record(ctx, "TestPending", step.SecretID, step); err != nil {
		return activities.TestResult{}, err
	}
	return activities.TestResult{Username: "app", Probes: []string{"select 1"}}, nil
}

func (f *fakeActivities) Promote(ctx context.Context, in activities.PromoteInput) (activities.PromoteResult, error) {
	if err := f.record(ctx, "Promote", in.Step.SecretID, in); err != nil {
		return activities.PromoteResult{}, err
	}
	return activities.PromoteResult{PreviousVersionID: in.CurrentVersionID}, nil
}

func (f *fakeActivities) Verify(ctx context.Context, in activities.VerifyInput) (activities.VerifyResult, error) {
	if err := f.record(ctx, "Verify", in.SecretID, in); err != nil {
		return activities.VerifyResult{}, err
	}
	res := activities.VerifyResult{Checks: []activities.CheckResult{{Name: "login as app", Passed: true, Detail: "ok"}}}
	if f.failedCheck {
		res.Checks = append(res.Checks, activities.CheckResult{Name: "http health", Detail: "status 503"})
	}
	return res, nil
}

func (f *fakeActivities) Rollback(ctx context.Context, in activities.RollbackInput) (activities.RollbackResult, error) {
	if err := f.record(ctx, "Rollback", in.Step.SecretID, in); err != nil {
		return activities.RollbackResult{}, err
	}
	return activities.RollbackResult{RemovedPending: !in.Promoted, RestoredPassword: in.PasswordSet,
		RestoredCurrent: in.Promoted, CurrentVersionID: in.CurrentVersionID, CurrentLoginCheck: true}, nil
}

func (f *fakeActivities) RestorePrevious(ctx context.Context, in activities.RestoreInput) (activities.RestoreResult, error) {
	if err := f.record(ctx, "RestorePrevious", in.SecretID, in); err != nil {
		return activities.RestoreResult{}, err
	}
	return activities.RestoreResult{RestoredVersionID: "old-" + in.SecretID, ReplacedVersionID: in.ExpectCurrentVersionID}, nil
}

func (f *fakeActivities) RotateManagedMaster(ctx context.Context, in activities.ManagedMasterInput) (activities.ManagedMasterResult, error) {
	if err := f.record(ctx, "RotateManagedMaster", in.SecretID, in); err != nil {
		return activities.ManagedMasterResult{}, err
	}
	return activities.ManagedMasterResult{SecretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf",
		PreviousVersionID: "master-old", CurrentVersionID: "master-new"}, nil
}

func (f *fakeActivities) VerifyLogin(ctx context.Context, in activities.LoginCheckInput) error {
	return f.record(ctx, "VerifyLogin", in.SecretID, in)
}

func (f *fakeActivities) PublishMetrics(ctx context.Context, in activities.PublishInput) (activities.PublishResult, error) {
	if err := f.record(ctx, "PublishMetrics", in.Namespace, in); err != nil {
		return activities.PublishResult{}, err
	}
	return activities.PublishResult{Published: len(in.Datums)}, nil
}

func (f *fakeActivities) CreateDBInstance(ctx context.Context, req activities.ProvisionRequest) (activities.CreateInstanceResult, error) {
	if err := f.record(ctx, "CreateDBInstance", req.Identifier, req); err != nil {
		return activities.CreateInstanceResult{}, err
	}
	res := activities.CreateInstanceResult{ARN: "arn:aws:rds:us-east-1:123456789012:db:" + req.Identifier, Outcome: activities.OutcomeCreated}
	if f.adoptInstance {
		res.Adopted, res.Outcome = true, activities.OutcomeAdopted
	}
	return res, nil
}

func (f *fakeActivities) WaitInstanceAvailable(ctx context.Context, in activities.WaitInstanceInput) (activities.InstanceInfo, error) {
	if err := f.record(ctx, "WaitInstanceAvailable", in.Identifier, in); err != nil {
		return activities.InstanceInfo{}, err
	}
	return activities.InstanceInfo{Identifier: in.Identifier, ARN: "arn:aws:rds:us-east-1:123456789012:db:" + in.Identifier,
		Address: "127.0.0.1", Port: 5432, DBName: "app", MasterUsername: "postgres",
		MasterSecretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf", Status: "available"}, nil
}

func (f *fakeActivities) CreateAppUser(ctx context.Context, in activities.AppUserInput) (activities.AppUserResult, error) {
	if err := f.record(ctx, "CreateAppUser", in.User.Name, in); err != nil {
		return activities.AppUserResult{}, err
	}
	name := in.Environment + "/" + in.Instance.Identifier + "/" + in.User.Name
	roles := []string{in.User.Name}
	if in.User.Strategy == activities.StrategyAlternatingUsers {
		roles = append(roles, in.User.Name+"_clone")
	}
	res := activities.AppUserResult{SecretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:" + name + "-AbCdEf",
		SecretName: name, Roles: roles, Secret: activities.OutcomeCreated, Role: activities.OutcomeCreated}
	if f.adoptUsers[in.User.Name] {
		res.Adopted, res.Secret, res.Role = true, activities.OutcomeAdopted, activities.OutcomeAdopted
	}
	return res, nil
}

func (f *fakeActivities) DeleteAppUser(ctx context.Context, in activities.AppUserInput) (activities.UndoResult, error) {
	if err := f.record(ctx, "DeleteAppUser", in.User.Name, in); err != nil {
		return activities.UndoResult{}, err
	}
	return activities.UndoResult{Deleted: []string{"secret of " + in.User.Name}}, nil
}

func (f *fakeActivities) DeleteDBInstance(ctx context.Context, in activities.DeleteInstanceInput) (activities.UndoResult, error) {
	if err := f.record(ctx, "DeleteDBInstance", in.Identifier, in); err != nil {
		return activities.UndoResult{}, err
	}
	return activities.UndoResult{Deleted: []string{"instance " + in.Identifier}}, nil
}

// activityDelays delays every call of an activity, in test time.
type activityDelays map[string]time.Duration

// newTestEnv is a test environment whose activities are mocks delegating
// to f, with every workflow registered.
func newTestEnv(t *testing.T, f *fakeActivities, delays activityDelays) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var ts testsuite.WorkflowTestSuite
	ts.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))))
	env := ts.NewTestWorkflowEnvironment()
	env.SetTestTimeout(30 * time.Second)
	f.now = env.Now
	var a *activities.Activities
	mocks := []struct {
		name string
		fn   any
		impl any
	}{
		{"CreatePending", a.CreatePending, f.CreatePending},
		{"SetPending", a.SetPending, f.SetPending},
		{"TestPending", a.TestPending, f.TestPending},
		{"Promote", a.Promote, f.Promote},
		{"Verify", a.Verify, f.Verify},
		{"Rollback", a.Rollback, f.Rollback},
		{"RestorePrevious", a.RestorePrevious, f.RestorePrevious},
		{"RotateManagedMaster", a.RotateManagedMaster, f.RotateManagedMaster},
		{"VerifyLogin", a.VerifyLogin, f.VerifyLogin},
		{"PublishMetrics", a.PublishMetrics, f.PublishMetrics},
		{"CreateDBInstance", a.CreateDBInstance, f.CreateDBInstance},
		{"WaitInstanceAvailable", a.WaitInstanceAvailable, f.WaitInstanceAvailable},
		{"CreateAppUser", a.CreateAppUser, f.CreateAppUser},
		{"DeleteAppUser", a.DeleteAppUser, f.DeleteAppUser},
		{"DeleteDBInstance", a.DeleteDBInstance, f.DeleteDBInstance},
		{"CountConsumers", a.CountConsumers, f.CountConsumers},
		{"RevokePrevious", a.RevokePrevious, f.RevokePrevious},
	}
	for _, m := range mocks {
		call := env.OnActivity(m.fn, mock.Anything, mock.Anything).Return(m.impl).Maybe()
		if d := delays[m.name]; d > 0 {
			call.After(d)
		}
	}
	for _, wf := range Workflows() {
		env.RegisterWorkflow(wf)
	}
	return env
}
