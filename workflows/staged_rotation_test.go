package workflows

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
)

func twoStagePlan() Plan {
	return Plan{
		Name: "nightly",
		Stages: []Stage{
			{
				Name: "staging",
				Targets: []Target{
					{SecretID: "staging/a", Strategy: activities.StrategySingleUser},
					{SecretID: "staging/b", Strategy: activities.StrategyAlternatingUsers},
				},
				Validators: []activities.Validator{{Name: "health", HTTP: &activities.HTTPCheck{URL: "http://127.0.0.1:8080/healthz"}}},
			},
			{
				Name:    "production",
				Targets: []Target{{SecretID: "production/a", Strategy: activities.StrategySingleUser}},
			},
		},
	}
}

func resultOf(t *testing.T, env *testsuite.TestWorkflowEnvironment) StagedRotationResult {
	t.Helper()
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res StagedRotationResult
	require.NoError(t, env.GetWorkflowResult(&res))
	return res
}

func targetStatuses(res StagedRotationResult) map[string]string {
	out := map[string]string{}
	for _, sp := range res.Stages {
		for _, t := range sp.Targets {
			out[t.SecretID] = t.Status
		}
	}
	return out
}

func stageStatuses(res StagedRotationResult) []string {
	var out []string
	for _, sp := range res.Stages {
		out = append(out, sp.Name+"="+sp.Status)
	}
	return out
}

func TestStagedRotationHappyPath(t *testing.T) {
	f := newFake()
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: twoStagePlan()})
	res := resultOf(t, env)

	assert.Equal(t, StatusSucceeded, res.Status)
	assert.Equal(t, []string{"staging=succeeded", "production=succeeded"}, stageStatuses(res))
	assert.Equal(t, map[string]string{"staging/a": StatusSucceeded, "staging/b": StatusSucceeded, "production/a": StatusSucceeded}, targetStatuses(res))
	assert.Contains(t, res.Summary, "plan nightly: succeeded")
	assert.Contains(t, res.Summary, "staging: succeeded (2 targets: 2 succeeded)")
	assert.Empty(t, f.rollbacks())
	assert.Empty(t, f.called("RestorePrevious"))

	// The stage's validators reach each child's verify step.
	for _, c := range f.called("Verify") {
		in := c.Arg.(activities.VerifyInput)
		if in.Environment == "staging" {
			assert.Len(t, in.Validators, 1)
		} else {
			assert.Empty(t, in.Validators)
		}
	}
	// One batch per stage: 6 datums per target plus StageDuration.
	batches := f.called("PublishMetrics")
	require.Len(t, batches, 2)
	assert.Len(t, batches[0].Arg.(activities.PublishInput).Datums, 2*6+1)
	assert.Len(t, batches[1].Arg.(activities.PublishInput).Datums, 1*6+1)
	last := batches[0].Arg.(activities.PublishInput).Datums[12]
	assert.Equal(t, MetricStageDuration, last.Name)
	assert.Equal(t, []activities.Dimension{{Name: "Environment", Value: "staging"}}, last.Dimensions)
	// Staging finished before production started.
	prodStart := f.called("CreatePending")[2]
	assert.Equal(t, "production/a", prodStart.Subject)
}

// TestStagedRotationFailedTargetRollsBackStage: staging/b fails
// validation; staging/a, already promoted, is rolled back by the plan;
// staging/c never starts; production never starts.
func TestStagedRotationFailedTargetRollsBackStage(t *testing.T) {
	f := newFake()
	f.fail["Verify:staging/b"] = nonRetryable(activities.ErrValidationFailed)
	plan := twoStagePlan()
	plan.Stages[0].MaxParallel = 1
	plan.Stages[0].Targets = append(plan.Stages[0].Targets, Target{SecretID: "staging/c", Strategy: activities.StrategySingleUser})
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)

	assert.Equal(t, StatusRolledBack, res.Status)
	assert.Equal(t, []string{"staging=rolled-back", "production=skipped"}, stageStatuses(res))
	assert.Equal(t, map[string]string{"staging/a": StatusRolledBack, "staging/b": StatusRolledBack,
		"staging/c": StatusSkipped, "production/a": StatusSkipped}, targetStatuses(res))

	// b rolled itself back; a was rolled back by a RollbackSecret child,
	// guarded by the version its rotation promoted, and told where
	// AWSPREVIOUS was before the run.
	require.Len(t, f.rollbacks(), 1)
	assert.Equal(t, "staging/b", f.rollbacks()[0].Step.SecretID)
	restores := f.called("RestorePrevious")
	require.Len(t, restores, 1)
	assert.Equal(t, activities.RestoreInput{SecretID: "staging/a", Strategy: activities.StrategySingleUser,
		ExpectCurrentVersionID: f.tokenOf("staging/a"), PreviousVersionID: "prev-staging/a", RestorePrevious: true}, restores[0].Arg)
	assert.Equal(t, []string{"VerifyLogin:staging/a"}, namesOf(f.called("VerifyLogin")))

	for _, c := range f.calls {
		assert.NotEqual(t, "staging/c", c.Subject, "no target starts after one failed")
		assert.NotEqual(t, "production/a", c.Subject, "production never starts")
	}
	assert.Contains(t, res.Summary, "staging/b: rolled-back at verify: refused: ValidationFailed")
	assert.Contains(t, res.Summary, "staging/a: rolled-back at rollback: rolled back: stage staging failed: staging/b rolled-back at verify")

	// The stage's batch counts a and b as rolled back, b as a failed validation.
	counts := map[string]float64{}
	for _, d := range f.datums() {
		counts[d.Name] += d.Value
	}
	assert.Equal(t, 2.0, counts[MetricRotationRolledBack])
	assert.Equal(t, 0.0, counts[MetricRotationSucceeded])
	assert.Equal(t, 1.0, counts[MetricValidationFailed])
}

func namesOf(calls []fakeCall) []string {
	var out []string
	for _, c := range calls {
		out = append(out, c.Name+":"+c.Subject)
	}
	return out
}

func TestStagedRotationFailedRollbackFailsRun(t *testing.T) {
	f := newFake()
	f.fail["Verify:staging/b"] = nonRetryable(activities.ErrValidationFailed)
	f.fail["RestorePrevious:staging/a"] = nonRetryable(activities.ErrVersionConflict)
	plan := twoStagePlan()
	plan.Stages[0].MaxParallel = 1
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	require.True(t, env.IsWorkflowCompleted())
	var app *temporal.ApplicationError
	require.ErrorAs(t, env.GetWorkflowError(), &app)
	assert.Equal(t, ErrRotationFailed, app.Type())
	var res StagedRotationResult
	require.NoError(t, app.Details(&res))
	assert.Equal(t, StatusFailed, res.Status)
	assert.Equal(t, []string{"staging=failed", "production=skipped"}, stageStatuses(res))
	assert.Equal(t, StatusFailed, targetStatuses(res)["staging/a"])
	assert.Contains(t, res.Summary, "ROLLBACK FAILED")
}

func TestStagedRotationApproval(t *testing.T) {
	f := newFake()
	plan := twoStagePlan()
	plan.Stages[1].RequireApproval = true
	env := newTestEnv(t, f, activityDelays{"SetPending": time.Minute})

	var early, wrongStage error
	var accepted string
	var waiting Progress
	env.RegisterDelayedCallback(func() {
		// Staging is still running: nothing awaits approval.
		env.UpdateWorkflow(UpdateApprove, "early", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { early = err }, OnAccept: func() {}, OnComplete: func(any, error) {},
		}, ApproveInput{Approver: "alice"})
	}, 10*time.Second)
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryProgress)
		require.NoError(t, err)
		require.NoError(t, v.Get(&waiting))
		env.UpdateWorkflow(UpdateApprove, "wrong", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { wrongStage = err }, OnAccept: func() {}, OnComplete: func(any, error) {},
		}, ApproveInput{Stage: "staging", Approver: "alice"})
		env.UpdateWorkflow(UpdateApprove, "right", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("approval rejected: %v", err) },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				require.NoError(t, err)
				accepted = v.(string)
			},
		}, ApproveInput{Stage: "production", Approver: "alice", Comment: "staging looks fine"})
	}, time.Hour)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)

	require.Error(t, early)
	assert.Contains(t, early.Error(), "no stage of plan nightly is awaiting approval")
	require.Error(t, wrongStage)
	assert.Contains(t, wrongStage.Error(), "stage production is awaiting approval, not staging")
	assert.Equal(t, "stage production approved", accepted)
	assert.Equal(t, StatusAwaitingApproval, waiting.Status)
	assert.Equal(t, "production", waiting.CurrentStage)
	assert.Equal(t, StatusAwaitingApproval, waiting.Stages[1].Status)
	assert.Equal(t, StatusSucceeded, res.Status)
	// Production started only after the approval, an hour in.
	prod := f.called("CreatePending")[2]
	assert.Equal(t, "production/a", prod.Subject)
	assert.GreaterOrEqual(t, prod.At.Sub(f.called("CreatePending")[0].At), time.Hour)
}

func TestStagedRotationAbortDuringApproval(t *testing.T) {
	f := newFake()
	plan := twoStagePlan()
	plan.Stages[1].RequireApproval = true
	env := newTestEnv(t, f, nil)
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflowNoRejection(UpdateAbort, "abort", t, AbortInput{Reason: "bad deploy", By: "bob"})
	}, time.Hour)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)

	assert.Equal(t, StatusAborted, res.Status)
	assert.Equal(t, []string{"staging=succeeded", "production=aborted"}, stageStatuses(res))
	assert.Equal(t, StatusSkipped, targetStatuses(res)["production/a"])
	assert.Contains(t, res.Summary, "(aborted by bob: bad deploy)")
	for _, c := range f.calls {
		assert.NotEqual(t, "production/a", c.Subject)
	}
	assert.Empty(t, f.called("RestorePrevious"), "staging had succeeded: an abort before production undoes nothing")
}

// TestStagedRotationAbortDuringStage: staging/a has finished, staging/b is
// in its set step when the abort arrives. b's child is cancelled and rolls
// itself back; a is rolled back by the plan.
func TestStagedRotationAbortDuringStage(t *testing.T) {
	f := newFake()
	plan := twoStagePlan()
	plan.Stages[0].MaxParallel = 1
	env := newTestEnv(t, f, activityDelays{"SetPending": 10 * time.Minute})
	var abortResult string
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflow(UpdateAbort, "abort", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("abort rejected: %v", err) },
			OnAccept: func() {},
			OnComplete: func(v any, err error) {
				require.NoError(t, err)
				abortResult = v.(string)
			},
		}, AbortInput{Reason: "alarm fired"})
	}, 15*time.Minute)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)

	assert.Equal(t, "aborting plan nightly", abortResult)
	assert.Equal(t, StatusAborted, res.Status)
	assert.Equal(t, []string{"staging=aborted", "production=skipped"}, stageStatuses(res))
	assert.Equal(t, map[string]string{"staging/a": StatusRolledBack, "staging/b": StatusRolledBack, "production/a": StatusSkipped}, targetStatuses(res))

	rbs := f.rollbacks()
	require.Len(t, rbs, 1)
	assert.Equal(t, "staging/b", rbs[0].Step.SecretID)
	assert.True(t, rbs[0].PasswordSet, "b was cancelled inside set")
	assert.False(t, rbs[0].Promoted)
	restores := f.called("RestorePrevious")
	require.Len(t, restores, 1)
	assert.Equal(t, "staging/a", restores[0].Subject)
	assert.Equal(t, f.tokenOf("staging/a"), restores[0].Arg.(activities.RestoreInput).ExpectCurrentVersionID)
	assert.NotContains(t, namesOf(f.called("TestPending")), "TestPending:staging/b", "b never got past set")
}

func TestStagedRotationCancelledRunRollsBackLikeAbort(t *testing.T) {
	f := newFake()
	plan := twoStagePlan()
	plan.Stages[0].MaxParallel = 1
	env := newTestEnv(t, f, activityDelays{"SetPending": 10 * time.Minute})
	env.RegisterDelayedCallback(env.CancelWorkflow, 15*time.Minute)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)
	assert.Equal(t, StatusAborted, res.Status)
	assert.Equal(t, map[string]string{"staging/a": StatusRolledBack, "staging/b": StatusRolledBack, "production/a": StatusSkipped}, targetStatuses(res))
	require.Len(t, f.called("RestorePrevious"), 1)
	require.Len(t, f.rollbacks(), 1)
}

func TestStagedRotationBake(t *testing.T) {
	f := newFake()
	plan := twoStagePlan()
	plan.Stages[0].Bake = 2 * time.Hour
	env := newTestEnv(t, f, nil)
	start := env.Now()
	var baking Progress
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryProgress)
		require.NoError(t, err)
		require.NoError(t, v.Get(&baking))
	}, time.Hour)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)

	assert.Equal(t, StatusSucceeded, res.Status)
	assert.Equal(t, StatusBaking, baking.Status)
	assert.Equal(t, StatusBaking, baking.Stages[0].Status)
	assert.WithinDuration(t, start.Add(2*time.Hour), baking.Stages[0].BakeUntil, 0)
	assert.Equal(t, StatusPending, baking.Stages[1].Status)
	prod := f.called("CreatePending")[2]
	assert.Equal(t, "production/a", prod.Subject)
	assert.WithinDuration(t, start.Add(2*time.Hour), prod.At, 0, "production starts when the bake timer fires")
	assert.GreaterOrEqual(t, res.DurationMS, (2 * time.Hour).Milliseconds())
}

func TestStagedRotationAbortDuringBake(t *testing.T) {
	f := newFake()
	plan := twoStagePlan()
	plan.Stages[0].Bake = 2 * time.Hour
	env := newTestEnv(t, f, nil)
	start := env.Now()
	env.RegisterDelayedCallback(func() {
		env.UpdateWorkflowNoRejection(UpdateAbort, "abort", t, AbortInput{Reason: "errors in staging"})
	}, 30*time.Minute)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)

	assert.Equal(t, StatusAborted, res.Status)
	assert.Equal(t, []string{"staging=succeeded", "production=skipped"}, stageStatuses(res))
	assert.Less(t, res.DurationMS, (time.Hour).Milliseconds(), "the abort ends the bake")
	assert.WithinDuration(t, start.Add(30*time.Minute), env.Now(), 0)
	assert.Empty(t, f.called("RestorePrevious"))
	for _, c := range f.calls {
		assert.NotEqual(t, "production/a", c.Subject)
	}
}

// TestStagedRotationSecretAlreadyRotating: another workflow holds
// rotate/staging/a (here: the plan's own run, started under that ID, the
// only way the test environment can hold an ID), so the target fails
// with a clear message and the stage fails.
func TestStagedRotationSecretAlreadyRotating(t *testing.T) {
	f := newFake()
	plan := twoStagePlan()
	plan.Stages[0].MaxParallel = 1
	env := newTestEnv(t, f, nil)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: SecretWorkflowID("staging/a")})
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)

	assert.Equal(t, StatusRolledBack, res.Status)
	assert.Equal(t, []string{"staging=rolled-back", "production=skipped"}, stageStatuses(res))
	a := res.Stages[0].Targets[0]
	assert.Equal(t, StatusFailed, a.Status)
	assert.Equal(t, "secret staging/a is already being rotated by workflow rotate/staging/a", a.Error)
	assert.Equal(t, StatusSkipped, res.Stages[0].Targets[1].Status)
	assert.Equal(t, []string{"PublishMetrics:" + DefaultMetricsNamespace}, f.names(), "nothing ran but the stage's metrics")
}

func TestIsAlreadyRotating(t *testing.T) {
	// The server reports a ChildWorkflowExecutionError (which the SDK does
	// not let tests build) whose cause is this error.
	fromServer := fmt.Errorf("child workflow execution error: %w", &temporal.ChildWorkflowExecutionAlreadyStartedError{})
	assert.True(t, isAlreadyRotating(fromServer))
	assert.True(t, isAlreadyRotating(&temporal.ChildWorkflowExecutionAlreadyStartedError{}))
	assert.False(t, isAlreadyRotating(errors.New("boom")))
	assert.False(t, isAlreadyRotating(temporal.NewCanceledError()))
	res := startFailure(TargetOutcome{SecretID: "s1"}, fromServer)
	assert.Equal(t, StatusFailed, res.outcome.Status)
	assert.Equal(t, ErrAlreadyRotating, res.outcome.ErrorType)
	assert.Equal(t, "secret s1 is already being rotated by workflow rotate/s1", res.outcome.Error)
	assert.False(t, res.attention, "nothing was changed")
}

func TestStagedRotationInvalidPlan(t *testing.T) {
	f := newFake()
	plan := twoStagePlan()
	plan.Stages[1].Targets[0].SecretID = "staging/a"
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	require.True(t, env.IsWorkflowCompleted())
	var app *temporal.ApplicationError
	require.ErrorAs(t, env.GetWorkflowError(), &app)
	assert.Equal(t, activities.ErrInvalidInput, app.Type())
	assert.True(t, app.NonRetryable())
	assert.Contains(t, app.Message(), "stages[1].targets[0].secretId")
	assert.Empty(t, f.names())
}

func TestStagedRotationStalePendingInProgress(t *testing.T) {
	f := newFake()
	f.staleCleared = "stale-1"
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: twoStagePlan()})
	res := resultOf(t, env)
	assert.Equal(t, "stale-1", res.Stages[0].Targets[0].StaleCleared)
	assert.Contains(t, res.Summary, "staging/a: succeeded (cleared a stale AWSPENDING on version stale-1)")
}

func TestStagedRotationContinuesAsNewBetweenStages(t *testing.T) {
	f := newFake()
	env := newTestEnv(t, f, nil)
	env.SetContinueAsNewSuggested(true)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: twoStagePlan()})
	require.True(t, env.IsWorkflowCompleted())
	var can *workflow.ContinueAsNewError
	require.ErrorAs(t, env.GetWorkflowError(), &can)
	var next StagedRotationInput
	require.NoError(t, converter.GetDefaultDataConverter().FromPayloads(can.Input, &next))
	require.NotNil(t, next.Resume)
	assert.Equal(t, 1, next.Resume.NextStage)
	assert.Equal(t, StatusSucceeded, next.Resume.Progress.Stages[0].Status)
	assert.Empty(t, next.Resume.Summary, "finished stages' outcomes stay behind (resumeInput)")
	for _, c := range f.calls {
		assert.NotEqual(t, "production/a", c.Subject)
	}

	// The continued run picks up at production.
	f2 := newFake()
	env2 := newTestEnv(t, f2, nil)
	env2.ExecuteWorkflow(StagedRotation, next)
	res := resultOf(t, env2)
	assert.Equal(t, StatusSucceeded, res.Status)
	assert.Equal(t, []string{"CreatePending:production/a"}, namesOf(f2.called("CreatePending")))
	assert.Equal(t, []string{"staging=succeeded", "production=succeeded"}, stageStatuses(res))
}
