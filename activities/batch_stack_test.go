package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
)

// fakeRuns is a RunChecker over a set of open workflow ids (any run) and
// open run ids.
type fakeRuns struct {
	mu        sync.Mutex
	workflows map[string]bool
	runs      map[string]bool
}

func newFakeRuns() *fakeRuns { return &fakeRuns{workflows: map[string]bool{}, runs: map[string]bool{}} }

func (f *fakeRuns) RunOpen(_ context.Context, workflowID, runID string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if runID != "" {
		return f.runs[runID], nil
	}
	return f.workflows[workflowID], nil
}

func (f *fakeRuns) set(h LeaseHolder, open bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runs[h.RunID] = open
}

func (f *fakeRuns) setWorkflow(id string, open bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.workflows[id] = open
}

// batchActs are activities on the shared stack that can judge leases.
func batchActs(t *testing.T, st *stack) (*Activities, *fakeRuns) {
	t.Helper()
	runs := newFakeRuns()
	a := st.newActs(Options{Runs: runs, MetricsBackoff: st.acts.opts.MetricsBackoff})
	t.Cleanup(a.Close)
	return a, runs
}

func newHolder(runs *fakeRuns) LeaseHolder {
	h := LeaseHolder{WorkflowID: "staged/test/" + uuid.NewString()[:8], RunID: uuid.NewString()}
	runs.set(h, true)
	return h
}

func batchOf(strategy Strategy, secrets ...string) []BatchTarget {
	var out []BatchTarget
	for _, s := range secrets {
		out = append(out, BatchTarget{SecretID: s, Token: uuid.NewString(), Strategy: strategy, LockID: "rotate/" + s})
	}
	return out
}

// oneTarget is a fresh single-user secret as the one target of a batch,
// with activities that judge leases and a holder whose run is open.
type oneTarget struct {
	a      *Activities
	secret string
	h      LeaseHolder
	tb     []BatchTarget
	step   RotationStep
}

func newOneTarget(t *testing.T, st *stack) oneTarget {
	t.Helper()
	a, runs := batchActs(t, st)
	x := st.newUser(t, StrategySingleUser)
	tb := batchOf(StrategySingleUser, x)
	return oneTarget{a: a, secret: x, h: newHolder(runs), tb: tb, step: tb[0].step(stackEnv)}
}

func (st *stack) leases(t *testing.T, secret string) []string {
	var out []string
	for v, labels := range st.stages(t, secret) {
		for _, l := range labels {
			if strings.HasPrefix(l, leaseLabelPrefix) {
				out = append(out, v+" "+l)
			}
		}
	}
	return out
}

func statuses(res RotateBatchResult) []string {
	var out []string
	for _, o := range res.Outcomes {
		out = append(out, o.Status)
	}
	return out
}

func TestRotateBatchRotatesHoldsAndReleases(t *testing.T) {
	st := localStack(t)
	a, runs := batchActs(t, st)
	ctx := context.Background()
	alt1, alt2 := st.newUser(t, StrategyAlternatingUsers), st.newUser(t, StrategyAlternatingUsers)
	single := st.newUser(t, StrategySingleUser)
	before := map[string]string{}
	for _, s := range []string{alt1, alt2, single} {
		before[s] = versionWith(st.stages(t, s), stageCurrent)
	}
	h := newHolder(runs)
	targets := append(batchOf(StrategyAlternatingUsers, alt1, alt2), batchOf(StrategySingleUser, single)...)
	res, err := a.rotateBatch(ctx, RotateBatchInput{Holder: h, Environment: stackEnv, Targets: targets, Concurrency: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := statuses(res); strings.Join(got, ",") != "succeeded,succeeded,succeeded" {
		t.Fatalf("statuses %v: %+v", got, res.Outcomes)
	}
	for k, tg := range targets {
		stages := st.stages(t, tg.SecretID)
		if cur := versionWith(stages, stageCurrent); cur != tg.Token {
			t.Errorf("%s: AWSCURRENT on %s, want the token %s", tg.SecretID, cur, tg.Token)
		}
		if prev := versionWith(stages, stagePrevious); prev != before[tg.SecretID] || res.Outcomes[k].PreviousVersionID != prev {
			t.Errorf("%s: AWSPREVIOUS %s (outcome %s), want %s", tg.SecretID, prev, res.Outcomes[k].PreviousVersionID, before[tg.SecretID])
		}
		if !contains(strings.Join(stages[tg.Token], ","), h.Label()) {
			t.Errorf("%s: the lease is not held until the stage is decided: %v", tg.SecretID, stages[tg.Token])
		}
		st.assertInvariant(t, tg.SecretID)
	}
	if !st.logsIn(alt1, stagePrevious) {
		t.Errorf("%s: alternating users keep AWSPREVIOUS working", alt1)
	}
	// Another run keeps away while the lease is held.
	if _, err := a.createPending(ctx, newStep(alt1, StrategyAlternatingUsers)); !isErrorType(err, ErrAlreadyRotating) {
		t.Errorf("RotateSecret's create on a leased secret: %v, want %s", err, ErrAlreadyRotating)
	}
	if _, err := a.restorePrevious(ctx, RestoreInput{SecretID: alt1, Strategy: StrategyAlternatingUsers}); !isErrorType(err, ErrAlreadyRotating) {
		t.Errorf("RollbackSecret's restore on a leased secret: %v, want %s", err, ErrAlreadyRotating)
	}

	var release []BatchRelease
	var metrics []RotationMetric
	var outcomes []SecretOutcome
	var datums []MetricDatum
	now := time.Now()
	for _, tg := range targets {
		release = append(release, BatchRelease{SecretID: tg.SecretID, Token: tg.Token})
		m := RotationMetric{SecretName: tg.SecretID, Status: BatchSucceeded, DurationMS: 10}
		metrics = append(metrics, m)
		datums = append(datums, RotationDatums(stackEnv, m, now)...)
		outcomes = append(outcomes, SecretOutcome{SecretID: tg.SecretID, VersionID: tg.Token, Status: BatchSucceeded, Time: now})
	}
	fin, err := a.finishBatch(ctx, FinishBatchInput{Holder: h, Release: release, Environment: stackEnv, Metrics: metrics, Outcomes: outcomes})
	if err != nil {
		t.Fatal(err)
	}
	// Each secret's datums, and the environment's roll-ups beside them.
	if want := len(withRollups(datums)); fin.Released != 3 || fin.Metrics.Published != want || fin.Metrics.Recorded != 3 {
		t.Errorf("finish: %+v, want 3 released, %d datums, 3 outcomes recorded", fin, want)
	}
	for _, tg := range targets {
		if l := st.leases(t, tg.SecretID); len(l) > 0 {
			t.Errorf("%s: leases left after FinishBatch: %v", tg.SecretID, l)
		}
	}
	// Releasing again is harmless.
	if _, err := a.finishBatch(ctx, FinishBatchInput{Holder: h, Release: release}); err != nil {
		t.Errorf("second release: %v", err)
	}
	st.assertNoPasswords(t, st.logs.String())
}

func TestRotateBatchKeepsAwayFromALiveLease(t *testing.T) {
	st := localStack(t)
	a, runs := batchActs(t, st)
	ctx := context.Background()
	x, y := st.newUser(t, StrategySingleUser), st.newUser(t, StrategySingleUser)
	holderA := newHolder(runs)
	ta := batchOf(StrategySingleUser, x)
	if _, err := a.acquireAndCreate(ctx, ta[0].step(stackEnv), ta[0].LockID, holderA); err != nil {
		t.Fatal(err)
	}
	current := versionWith(st.stages(t, x), stageCurrent)

	holderB := newHolder(runs)
	tb := batchOf(StrategySingleUser, x, y)
	res, err := a.rotateBatch(ctx, RotateBatchInput{Holder: holderB, Targets: tb})
	if err != nil {
		t.Fatal(err)
	}
	o := res.Outcomes[0]
	if o.Status != BatchFailed || o.ErrorType != ErrAlreadyRotating || !contains(o.Error, holderA.WorkflowID) {
		t.Fatalf("outcome %+v, want failed AlreadyRotating naming %s", o, holderA.WorkflowID)
	}
	if res.Outcomes[1].Status != BatchSkipped {
		t.Errorf("the next secret %+v, want skipped", res.Outcomes[1])
	}
	stages := st.stages(t, x)
	if versionWith(stages, stageCurrent) != current || versionWith(stages, stagePending) != ta[0].Token {
		t.Errorf("B changed the secret A holds: %v", stages)
	}
	if l := st.leases(t, x); len(l) != 1 || !contains(l[0], holderA.Label()) {
		t.Errorf("leases %v, want A's alone", l)
	}
	if _, exists := stages[tb[0].Token]; exists && len(stages[tb[0].Token]) > 0 {
		t.Errorf("B's version keeps labels %v after backing off", stages[tb[0].Token])
	}
	// A rolls back and releases: the secret is as before.
	if _, err := a.rollbackLeased(ctx, holderA, RollbackInput{Step: ta[0].step(stackEnv), CurrentVersionID: current}, 0); err != nil {
		t.Fatal(err)
	}
	if err := a.releaseLease(ctx, x, ta[0].Token, holderA); err != nil {
		t.Fatal(err)
	}
	st.assertInvariant(t, x)
	if l := st.leases(t, x); len(l) > 0 {
		t.Errorf("leases left: %v", l)
	}
}

func TestRotateBatchClearsAStaleLease(t *testing.T) {
	st := localStack(t)
	a, runs := batchActs(t, st)
	ctx := context.Background()
	x := st.newUser(t, StrategySingleUser)
	dead := newHolder(runs)
	td := batchOf(StrategySingleUser, x)
	if _, err := a.acquireAndCreate(ctx, td[0].step(stackEnv), td[0].LockID, dead); err != nil {
		t.Fatal(err)
	}
	runs.set(dead, false) // terminated while holding the lease

	h := newHolder(runs)
	tb := batchOf(StrategySingleUser, x)
	res, err := a.rotateBatch(ctx, RotateBatchInput{Holder: h, Targets: tb})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != BatchSucceeded || o.StaleCleared != td[0].Token {
		t.Fatalf("outcome %+v, want succeeded, StaleCleared %s", o, td[0].Token)
	}
	for _, l := range st.leases(t, x) {
		if contains(l, dead.Label()) {
			t.Errorf("the dead run's lease is still there: %s", l)
		}
	}
	st.assertInvariant(t, x)
}

func TestRotateBatchKeepsAwayFromARotateSecretRun(t *testing.T) {
	st := localStack(t)
	a, runs := batchActs(t, st)
	ctx := context.Background()
	x := st.newUser(t, StrategyAlternatingUsers)
	before := st.stages(t, x)
	tb := batchOf(StrategyAlternatingUsers, x)
	runs.setWorkflow(tb[0].LockID, true)
	res, err := a.rotateBatch(ctx, RotateBatchInput{Holder: newHolder(runs), Targets: tb})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != BatchFailed || o.ErrorType != ErrAlreadyRotating || !contains(o.Error, tb[0].LockID) {
		t.Fatalf("outcome %+v, want AlreadyRotating naming %s", o, tb[0].LockID)
	}
	after := st.stages(t, x)
	if versionWith(after, stageCurrent) != versionWith(before, stageCurrent) || versionWith(after, stagePending) != "" || len(st.leases(t, x)) > 0 {
		t.Errorf("labels changed: %v -> %v", before, after)
	}
}

// TestRotateBatchRollsBackAFailingSecret: the second secret's probe fails
// at test: it is rolled back at once, the third never starts, the first
// stays promoted under the lease until the stage rolls it back.
func TestRotateBatchRollsBackAFailingSecret(t *testing.T) {
	st := localStack(t)
	a, runs := batchActs(t, st)
	ctx := context.Background()
	x, y, z := st.newUser(t, StrategySingleUser), st.newUser(t, StrategySingleUser), st.newUser(t, StrategySingleUser)
	before := map[string]string{}
	for _, s := range []string{x, y, z} {
		before[s] = versionWith(st.stages(t, s), stageCurrent)
	}
	h := newHolder(runs)
	tb := batchOf(StrategySingleUser, x, y, z)
	tb[1].Probes = []SQLProbe{{Name: "orders", Query: "SELECT count(*) FROM no_such_table_here"}}
	res, err := a.rotateBatch(ctx, RotateBatchInput{Holder: h, Targets: tb, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(statuses(res), ","); got != "succeeded,rolled-back,skipped" {
		t.Fatalf("statuses %s: %+v", got, res.Outcomes)
	}
	if o := res.Outcomes[1]; o.LastStep != StepTest || o.ErrorType != ErrValidationFailed || !o.PasswordSet || o.Promoted {
		t.Errorf("failed secret's outcome %+v", o)
	}
	st.assertInvariant(t, y)
	if cur := versionWith(st.stages(t, y), stageCurrent); cur != before[y] {
		t.Errorf("%s: AWSCURRENT %s after its rollback, want %s", y, cur, before[y])
	}
	if cur := versionWith(st.stages(t, z), stageCurrent); cur != before[z] || len(st.leases(t, z)) > 0 {
		t.Errorf("%s was touched though skipped", z)
	}

	rb, err := a.rollbackBatch(ctx, RollbackBatchInput{Holder: h, Concurrency: 2, Targets: []BatchRollbackTarget{
		{SecretID: x, Token: tb[0].Token, Strategy: StrategySingleUser, PreviousVersionID: res.Outcomes[0].PreviousVersionID, PasswordSet: true, Promoted: true},
		// z was never taken by this run: rollback leaves it alone.
		{SecretID: z, Token: tb[2].Token, Strategy: StrategySingleUser, PasswordSet: true, Promoted: true},
	}})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range rb.Outcomes {
		if o.Status != BatchRolledBack {
			t.Errorf("rollback %+v", o)
		}
	}
	for _, s := range []string{x, y, z} {
		st.assertInvariant(t, s)
		if cur := versionWith(st.stages(t, s), stageCurrent); cur != before[s] {
			t.Errorf("%s: AWSCURRENT %s, want %s", s, cur, before[s])
		}
	}
	if _, err := a.finishBatch(ctx, FinishBatchInput{Holder: h, Release: []BatchRelease{{x, tb[0].Token}, {y, tb[1].Token}}}); err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{x, y} {
		if l := st.leases(t, s); len(l) > 0 {
			t.Errorf("%s: leases left %v", s, l)
		}
	}
}

// TestRotateBatchResumes: an attempt died after taking the lease and
// setting the password; the next attempt finishes the rotation with the
// password already written, not a second one.
func TestRotateBatchResumes(t *testing.T) {
	st := localStack(t)
	a, runs := batchActs(t, st)
	ctx := context.Background()
	x := st.newUser(t, StrategyAlternatingUsers)
	h := newHolder(runs)
	tb := batchOf(StrategyAlternatingUsers, x)
	acq, err := a.acquireAndCreate(ctx, tb[0].step(stackEnv), tb[0].LockID, h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.setPendingPassword(ctx, tb[0].step(stackEnv), acq.pending); err != nil {
		t.Fatal(err)
	}
	res, err := a.rotateBatch(ctx, RotateBatchInput{Holder: h, Targets: tb})
	if err != nil {
		t.Fatal(err)
	}
	if o := res.Outcomes[0]; o.Status != BatchSucceeded {
		t.Fatalf("outcome %+v", o)
	}
	if got := st.secretJSON(t, x, stageCurrent); got.Password != acq.pending.Password {
		t.Error("the resumed attempt wrote another password")
	}
	// A repeat after promotion is harmless too.
	res, err = a.rotateBatch(ctx, RotateBatchInput{Holder: h, Targets: tb})
	if err != nil || res.Outcomes[0].Status != BatchSucceeded {
		t.Fatalf("repeat after promotion: %+v %v", res.Outcomes, err)
	}
	st.assertInvariant(t, x)
}

// TestBatchValidatorFailureRollsBackTheBatch: an HTTP validator runs once
// for the batch; when it fails every secret the batch promoted is rolled
// back with ValidationFailed.
func TestBatchValidatorFailureRollsBackTheBatch(t *testing.T) {
	st := localStack(t)
	a, runs := batchActs(t, st)
	ctx := context.Background()
	var calls sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := calls.LoadOrStore("n", new(int))
		*(n.(*int))++
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	x, y := st.newUser(t, StrategySingleUser), st.newUser(t, StrategyAlternatingUsers)
	before := map[string]string{x: versionWith(st.stages(t, x), stageCurrent), y: versionWith(st.stages(t, y), stageCurrent)}
	tb := append(batchOf(StrategySingleUser, x), batchOf(StrategyAlternatingUsers, y)...)
	res, err := a.rotateBatch(ctx, RotateBatchInput{Holder: newHolder(runs), Targets: tb, Concurrency: 2,
		Validators: []Validator{{Name: "health", HTTP: &HTTPCheck{URL: srv.URL}}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range res.Outcomes {
		if o.Status != BatchRolledBack || !o.ValidationFailed || !contains(o.Error, "health") {
			t.Errorf("outcome %+v, want rolled-back with the failed validator", o)
		}
	}
	if n, _ := calls.Load("n"); *(n.(*int)) != 1 {
		t.Errorf("health checked %d times, want once for the batch", *(n.(*int)))
	}
	for _, s := range []string{x, y} {
		st.assertInvariant(t, s)
		if cur := versionWith(st.stages(t, s), stageCurrent); cur != before[s] {
			t.Errorf("%s: AWSCURRENT %s, want %s", s, cur, before[s])
		}
	}
}

// TestLeasesWithoutRunChecker: without a way to judge leases, a batch
// refuses to start and RotateSecret treats every lease as live.
func TestLeasesWithoutRunChecker(t *testing.T) {
	st := localStack(t)
	ctx := context.Background()
	x := st.newUser(t, StrategySingleUser)
	if _, err := st.acts.rotateBatch(ctx, RotateBatchInput{Holder: LeaseHolder{WorkflowID: "w", RunID: uuid.NewString()},
		Targets: batchOf(StrategySingleUser, x)}); !isErrorType(err, ErrInvalidInput) {
		t.Fatalf("batch without RunChecker: %v, want InvalidInput", err)
	}
	a, runs := batchActs(t, st)
	h := newHolder(runs)
	tb := batchOf(StrategySingleUser, x)
	if _, err := a.acquireAndCreate(ctx, tb[0].step(stackEnv), tb[0].LockID, h); err != nil {
		t.Fatal(err)
	}
	runs.set(h, false)
	if _, err := st.acts.createPending(ctx, newStep(x, StrategySingleUser)); !isErrorType(err, ErrAlreadyRotating) {
		t.Errorf("create without RunChecker beside a lease: %v, want AlreadyRotating", err)
	}
	// With one, the stale lease is removed and the rotation proceeds.
	step := newStep(x, StrategySingleUser)
	res, err := a.createPending(ctx, step)
	if err != nil {
		t.Fatal(err)
	}
	if res.StaleCleared != tb[0].Token {
		t.Errorf("StaleCleared %q, want the dead run's %s", res.StaleCleared, tb[0].Token)
	}
	if l := st.leases(t, x); len(l) > 0 {
		t.Errorf("stale lease left: %v", l)
	}
	if _, err := a.rollback(ctx, RollbackInput{Step: step, CurrentVersionID: res.CurrentVersionID}); err != nil {
		t.Fatal(err)
	}
	st.assertInvariant(t, x)
}

func TestLeaseLabel(t *testing.T) {
	h := LeaseHolder{WorkflowID: "staged/nightly/2026-11-25T10:00:00Z", RunID: uuid.NewString()}
	got, ok := parseLeaseLabel(h.Label())
	if !ok || got != h {
		t.Fatalf("parse(%q) = %+v %v", h.Label(), got, ok)
	}
	if !LeaseLabelFits(h.WorkflowID, h.RunID) {
		t.Error("a CLI workflow id must fit")
	}
	if LeaseLabelFits(strings.Repeat("w", 250), h.RunID) {
		t.Error("a 250-character workflow id cannot fit a 256-character label")
	}
	for _, attempt := range []int32{0, 1, 7, fenceFinal} {
		got, at, ok := parseLeaseLabelAt(h.labelAt(attempt))
		if !ok || got != h || at != attempt {
			t.Errorf("parse(%q) = %+v attempt %d %v, want attempt %d", h.labelAt(attempt), got, at, ok, attempt)
		}
	}
	for _, l := range []string{"AWSCURRENT", "credstage-lease/", "credstage-lease/abc", "credstage-lease//wf",
		"credstage-lease/run@x/wf", "credstage-lease/@1/wf", "credstage-lease/run@-1/wf"} {
		if _, ok := parseLeaseLabel(l); ok {
			t.Errorf("parsed %q as a lease", l)
		}
	}
}

// TestRotateBatchResumesBetweenTheLabelMoves: an attempt died between
// promote's two label moves (AWSCURRENT on the token, AWSPENDING still on
// it too). The next attempt must finish the promotion, not only verify:
// no AWSPENDING may be left behind a run that reports success.
func TestRotateBatchResumesBetweenTheLabelMoves(t *testing.T) {
	st := localStack(t)
	ctx := context.Background()
	f := newOneTarget(t, st)
	a, x, h, tb, step := f.a, f.secret, f.h, f.tb, f.step
	acq, err := a.acquireAndCreate(ctx, step, tb[0].LockID, h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.setPendingPassword(ctx, step, acq.pending); err != nil {
		t.Fatal(err)
	}
	if err := a.moveStage(ctx, x, stageCurrent, step.Token, acq.res.CurrentVersionID); err != nil {
		t.Fatal(err)
	}
	res, err := a.rotateBatch(ctx, RotateBatchInput{Holder: h, Environment: stackEnv, Targets: tb})
	if err != nil || res.Outcomes[0].Status != BatchSucceeded {
		t.Fatalf("resumed after the first label move: %+v %v", res.Outcomes, err)
	}
	st.assertInvariant(t, x)
	_, _ = a.finishBatch(ctx, FinishBatchInput{Holder: h, Release: releases(tb)})
}
