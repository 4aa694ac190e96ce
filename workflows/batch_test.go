package workflows

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
)

// fakeBatches stands in for the batch activities: every secret succeeds
// unless listed in outcome (a status the batch reports for it) or the
// whole call fails (failCall, by call number from 1).
type fakeBatches struct {
	mu        sync.Mutex
	rotate    []activities.RotateBatchInput
	rollback  []activities.RollbackBatchInput
	finish    []activities.FinishBatchInput
	outcome   map[string]activities.BatchOutcome
	failCall  map[int]error
	rollbackE error
}

func newFakeBatches() *fakeBatches {
	return &fakeBatches{outcome: map[string]activities.BatchOutcome{}, failCall: map[int]error{}}
}

func (f *fakeBatches) RotateBatch(ctx context.Context, in activities.RotateBatchInput) (activities.RotateBatchResult, error) {
	f.mu.Lock()
	f.rotate = append(f.rotate, in)
	n := len(f.rotate)
	err := f.failCall[n]
	f.mu.Unlock()
	if err != nil {
		return activities.RotateBatchResult{}, err
	}
	var res activities.RotateBatchResult
	stopped := false
	for _, t := range in.Targets {
		o, ok := f.outcome[t.SecretID]
		switch {
		case stopped:
			o = activities.BatchOutcome{SecretID: t.SecretID, Status: activities.BatchSkipped, Error: "not started"}
		case !ok:
			o = activities.BatchOutcome{SecretID: t.SecretID, Status: activities.BatchSucceeded, LastStep: activities.StepVerify,
				PreviousVersionID: "old-" + t.SecretID, PasswordSet: true, Promoted: true, DurationMS: 42}
		default:
			o.SecretID = t.SecretID
			stopped = o.Status != activities.BatchSucceeded
		}
		res.Outcomes = append(res.Outcomes, o)
	}
	return res, nil
}

func (f *fakeBatches) RollbackBatch(ctx context.Context, in activities.RollbackBatchInput) (activities.RollbackBatchResult, error) {
	f.mu.Lock()
	f.rollback = append(f.rollback, in)
	f.mu.Unlock()
	if f.rollbackE != nil {
		return activities.RollbackBatchResult{}, f.rollbackE
	}
	var res activities.RollbackBatchResult
	for _, t := range in.Targets {
		res.Outcomes = append(res.Outcomes, activities.BatchOutcome{SecretID: t.SecretID, Status: activities.BatchRolledBack, LastStep: activities.StepRollback})
	}
	return res, nil
}

func (f *fakeBatches) FinishBatch(ctx context.Context, in activities.FinishBatchInput) (activities.FinishBatchResult, error) {
	f.mu.Lock()
	f.finish = append(f.finish, in)
	f.mu.Unlock()
	return activities.FinishBatchResult{Released: len(in.Release)}, nil
}

func (f *fakeBatches) rotated() []string {
	var out []string
	for _, in := range f.rotate {
		for _, t := range in.Targets {
			out = append(out, t.SecretID)
		}
	}
	return out
}

func (f *fakeBatches) rolledBack() map[string]activities.BatchRollbackTarget {
	out := map[string]activities.BatchRollbackTarget{}
	for _, in := range f.rollback {
		for _, t := range in.Targets {
			out[t.SecretID] = t
		}
	}
	return out
}

func (f *fakeBatches) released() map[string]string {
	out := map[string]string{}
	for _, in := range f.finish {
		for _, r := range in.Release {
			out[r.SecretID] = r.Token
		}
	}
	return out
}

func (f *fakeBatches) metrics() map[string]activities.RotationMetric {
	out := map[string]activities.RotationMetric{}
	for _, in := range f.finish {
		for _, m := range in.Metrics {
			out[m.SecretName] = m
		}
	}
	return out
}

// newBatchEnv is newTestEnv with the batch activities mocked by b; delay
// holds every RotateBatch that long (test time).
func newBatchEnv(t *testing.T, f *fakeActivities, b *fakeBatches, delay time.Duration) *testsuite.TestWorkflowEnvironment {
	env := newTestEnv(t, f, nil)
	var a *activities.Activities
	call := env.OnActivity(a.RotateBatch, mock.Anything, mock.Anything).Return(b.RotateBatch).Maybe()
	if delay > 0 {
		call.After(delay)
	}
	env.OnActivity(a.RollbackBatch, mock.Anything, mock.Anything).Return(b.RollbackBatch).Maybe()
	env.OnActivity(a.FinishBatch, mock.Anything, mock.Anything).Return(b.FinishBatch).Maybe()
	return env
}

// fleetStage is a stage of n secrets named <stage>/NN.
func fleetStage(name string, n, batchSize int, strategy activities.Strategy) Stage {
	st := Stage{Name: name, BatchSize: batchSize, MaxParallel: 4}
	for i := range n {
		st.Targets = append(st.Targets, Target{SecretID: fmt.Sprintf("%s/%02d", name, i), Strategy: strategy})
	}
	return st
}

func fleetPlan(n, batchSize int) Plan {
	return Plan{Name: "fleet", Stages: []Stage{
		fleetStage("staging", n, batchSize, activities.StrategyAlternatingUsers),
		fleetStage("production", n, batchSize, activities.StrategySingleUser),
	}}
}

func TestBatchedStagesRotateEverySecretInBatches(t *testing.T) {
	f, b := newFake(), newFakeBatches()
	env := newBatchEnv(t, f, b, 0)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: fleetPlan(25, 10)})
	res := resultOf(t, env)

	assert.Equal(t, StatusSucceeded, res.Status, res.Summary)
	assert.Empty(t, f.called("CreatePending"), "no RotateSecret child in a batched stage")
	require.Len(t, b.rotate, 6, "25 targets in batches of 10, per stage")
	assert.ElementsMatch(t, []int{10, 10, 5, 10, 10, 5}, func() []int {
		var out []int
		for _, in := range b.rotate {
			out = append(out, len(in.Targets))
		}
		return out
	}())
	tokens := map[string]bool{}
	for _, in := range b.rotate {
		assert.Equal(t, "default-test-workflow-id", in.Holder.WorkflowID)
		assert.NotEmpty(t, in.Holder.RunID)
		assert.Equal(t, 2, in.Concurrency, "MaxParallel 4 shared by two batches in flight")
		for _, tg := range in.Targets {
			assert.Equal(t, engine.Token(in.Holder.RunID, SecretName(tg.SecretID)), tg.Token, "the token names the run")
			assert.False(t, tokens[tg.Token], "token %s used twice", tg.Token)
			tokens[tg.Token] = true
			assert.Equal(t, SecretWorkflowID(tg.SecretID), tg.LockID)
		}
	}
	assert.Empty(t, b.rollback)
	released := b.released()
	assert.Len(t, released, 50, "every lease released")
	for _, in := range b.rotate {
		for _, tg := range in.Targets {
			assert.Equal(t, tg.Token, released[tg.SecretID])
		}
	}
	m := b.metrics()
	assert.Len(t, m, 50)
	assert.Equal(t, activities.BatchSucceeded, m["production/07"].Status)
	for _, sp := range res.Stages {
		assert.Equal(t, StatusSucceeded, sp.Status)
		for _, tp := range sp.Targets {
			assert.Equal(t, StatusSucceeded, tp.Status, tp.SecretID)
			assert.Equal(t, activities.StepVerify, tp.Step)
		}
	}
	var stageDurations int
	for _, in := range b.finish {
		for _, d := range in.Extra {
			if d.Name == MetricStageDuration {
				stageDurations++
			}
		}
	}
	assert.Equal(t, 2, stageDurations, "one StageDuration per stage")
}

// TestBatchedStageRollsBackWhenASecretFails: staging/13 fails in the
// second batch (its batch rolled it back and stopped); the stage rolls
// back every secret it promoted, the third batch never starts and
// production is skipped.
func TestBatchedStageRollsBackWhenASecretFails(t *testing.T) {
	f, b := newFake(), newFakeBatches()
	b.outcome["staging/13"] = activities.BatchOutcome{Status: activities.BatchRolledBack, LastStep: activities.StepTest,
		PreviousVersionID: "old-staging/13", PasswordSet: true, Error: "login refused", ErrorType: activities.ErrLoginFailed}
	plan := fleetPlan(25, 10)
	plan.Stages[0].MaxParallel = 1 // one batch at a time
	env := newBatchEnv(t, f, b, 0)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)

	assert.Equal(t, StatusRolledBack, res.Status, res.Summary)
	assert.Equal(t, []string{"staging=rolled-back", "production=skipped"}, stageStatuses(res))
	require.Len(t, b.rotate, 2, "the third batch never starts")
	rb := b.rolledBack()
	assert.Len(t, rb, 13, "staging/00-12 were promoted; 13 rolled itself back; 14-19 never ran")
	assert.Contains(t, rb, "staging/00")
	assert.Contains(t, rb, "staging/12")
	assert.NotContains(t, rb, "staging/13")
	assert.Equal(t, "old-staging/05", rb["staging/05"].PreviousVersionID)
	assert.True(t, rb["staging/05"].Promoted)
	st := targetStatuses(res)
	assert.Equal(t, StatusRolledBack, st["staging/00"])
	assert.Equal(t, StatusRolledBack, st["staging/13"])
	assert.Equal(t, StatusSkipped, st["staging/14"])
	assert.Equal(t, StatusSkipped, st["staging/24"])
	assert.Equal(t, StatusSkipped, st["production/00"])
	assert.Len(t, b.released(), 14, "leases of every secret that ran are released")
	m := b.metrics()
	assert.Equal(t, activities.BatchRolledBack, m["staging/00"].Status, "a secret the stage rolled back counts as rolled back")
	assert.Equal(t, activities.BatchRolledBack, m["staging/13"].Status)
	assert.NotContains(t, m, "staging/14")
	assert.Contains(t, res.Summary, "staging/13: rolled-back at test: login refused")
}

// TestBatchedStageLostBatchIsRolledBackWhole: a batch whose activity
// failed as a whole reported nothing, so every secret of it is rolled
// back with everything assumed done (the activity leaves alone a secret
// this run never took).
func TestBatchedStageLostBatchIsRolledBackWhole(t *testing.T) {
	f, b := newFake(), newFakeBatches()
	b.failCall[2] = temporal.NewNonRetryableApplicationError("worker lost", "Boom", nil)
	plan := fleetPlan(25, 10)
	plan.Stages[0].MaxParallel = 1
	env := newBatchEnv(t, f, b, 0)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)

	assert.Equal(t, StatusRolledBack, res.Status, res.Summary)
	rb := b.rolledBack()
	assert.Len(t, rb, 20, "the first batch (promoted) and the lost second one")
	lost := rb["staging/15"]
	assert.True(t, lost.PasswordSet)
	assert.True(t, lost.Promoted)
	assert.Empty(t, lost.PreviousVersionID, "unknown: rollback reads the labels")
	run, ok := engine.TokenRun(lost.Token)
	assert.True(t, ok && run != "", "the token names the run: %s", lost.Token)
	st := targetStatuses(res)
	assert.Equal(t, StatusRolledBack, st["staging/15"])
	assert.Equal(t, StatusSkipped, st["staging/20"])
	assert.Len(t, b.released(), 20)
}

func TestBatchedStageFailedRollbackNeedsAHuman(t *testing.T) {
	f, b := newFake(), newFakeBatches()
	b.outcome["staging/03"] = activities.BatchOutcome{Status: activities.BatchRolledBack, LastStep: activities.StepVerify,
		Error: "validation failed", ErrorType: activities.ErrValidationFailed, ValidationFailed: true}
	b.rollbackE = temporal.NewNonRetryableApplicationError("secrets manager down", activities.ErrAWSRequestRefused, nil)
	env := newBatchEnv(t, f, b, 0)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: fleetPlan(25, 10)})
	require.True(t, env.IsWorkflowCompleted())
	err := env.GetWorkflowError()
	require.Error(t, err)
	var app *temporal.ApplicationError
	require.ErrorAs(t, err, &app)
	assert.Equal(t, ErrRotationFailed, app.Type())
	var res StagedRotationResult
	require.NoError(t, app.Details(&res))
	assert.Equal(t, StatusFailed, res.Status)
	assert.Equal(t, StatusFailed, targetStatuses(res)["staging/00"])
	assert.Contains(t, res.Summary, "ROLLBACK FAILED")
	assert.True(t, b.metrics()["staging/03"].ValidationFailed)
	assert.Equal(t, activities.BatchFailed, b.metrics()["staging/00"].Status)
}

// TestBatchedStageAbort: the abort arrives while the second batch runs;
// it is cancelled (its outcomes lost), and the stage rolls back the first
// batch's secrets and the second's.
func TestBatchedStageAbort(t *testing.T) {
	f, b := newFake(), newFakeBatches()
	plan := fleetPlan(25, 10)
	plan.Stages[0].MaxParallel = 1
	env := newBatchEnv(t, f, b, 10*time.Minute)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflowNoRejection(UpdateAbort, "abort", t, AbortInput{Reason: "alarm fired", By: "alice"})
	}, 15*time.Minute)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)

	assert.Equal(t, StatusAborted, res.Status, res.Summary)
	assert.Equal(t, []string{"staging=aborted", "production=skipped"}, stageStatuses(res))
	rb := b.rolledBack()
	assert.Contains(t, rb, "staging/00")
	assert.Contains(t, rb, "staging/19", "the cancelled batch is rolled back whole")
	assert.NotContains(t, rb, "staging/20")
	st := targetStatuses(res)
	assert.Equal(t, StatusRolledBack, st["staging/00"])
	assert.Equal(t, StatusRolledBack, st["staging/10"])
	assert.Equal(t, StatusSkipped, st["staging/20"])
	assert.Contains(t, res.Summary, "aborted by alice: alarm fired")
}

func TestAlreadyRotatingSecretInABatch(t *testing.T) {
	f, b := newFake(), newFakeBatches()
	b.outcome["staging/02"] = activities.BatchOutcome{Status: activities.BatchFailed, LastStep: activities.StepCreate,
		Error: "secret staging/02 is already being rotated by workflow rotate/staging/02", ErrorType: activities.ErrAlreadyRotating}
	env := newBatchEnv(t, f, b, 0)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: fleetPlan(25, 10)})
	res := resultOf(t, env)
	assert.Equal(t, StatusRolledBack, res.Status)
	assert.Equal(t, StatusFailed, targetStatuses(res)["staging/02"])
	assert.NotContains(t, b.rolledBack(), "staging/02", "nothing of ours to undo")
	assert.Equal(t, StatusRolledBack, targetStatuses(res)["staging/01"])
}

// TestSmallAndNeverBatchedStagesKeepTheirChildren: the automatic mode
// leaves a small stage to RotateSecret children, and BatchSizeNever a
// large one.
func TestSmallAndNeverBatchedStagesKeepTheirChildren(t *testing.T) {
	f, b := newFake(), newFakeBatches()
	plan := Plan{Name: "mixed", Stages: []Stage{
		fleetStage("staging", AutoBatchThreshold, BatchSizeAuto, activities.StrategySingleUser),
		fleetStage("production", 25, BatchSizeNever, activities.StrategySingleUser),
	}}
	env := newBatchEnv(t, f, b, 0)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)
	assert.Equal(t, StatusSucceeded, res.Status)
	assert.Empty(t, b.rotate)
	assert.Len(t, f.called("CreatePending"), AutoBatchThreshold+25)
}

// TestBatchedStageWithManagedMaster: an RDS-managed master target of a
// batched stage still gets its own child.
func TestBatchedStageWithManagedMaster(t *testing.T) {
	f, b := newFake(), newFakeBatches()
	plan := fleetPlan(25, 0)
	plan.Stages[0].Targets = append(plan.Stages[0].Targets, Target{SecretID: "rds!db-1", Strategy: activities.StrategyManagedMaster})
	env := newBatchEnv(t, f, b, 0)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)
	assert.Equal(t, StatusSucceeded, res.Status, res.Summary)
	require.Len(t, f.called("RotateManagedMaster"), 1)
	assert.NotContains(t, b.rotated(), "rds!db-1")
	assert.Len(t, b.rotate, 2, "25 targets per stage, batches of the default size")
}

func TestBatchSizeIsValidated(t *testing.T) {
	p := fleetPlan(2, -2)
	err := p.Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "stages[0].batchSize")
}
