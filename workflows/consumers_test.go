package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/activities"
)

func TestBakeSamplesConsumers(t *testing.T) {
	f := newFake()
	plan := twoStagePlan()
	plan.Stages[0].Bake = 100 * time.Second
	env := newTestEnv(t, f, nil)
	var baking Progress
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryProgress)
		require.NoError(t, err)
		require.NoError(t, v.Get(&baking))
	}, 55*time.Second)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)

	assert.Equal(t, StatusSucceeded, res.Status)
	samples := res.Stages[0].Consumers
	require.Len(t, samples, consumerSamplesPerBake, "one sample every tenth of the bake, none at its end")
	assert.Equal(t, 1, samples[0].OnCurrent)
	assert.Equal(t, 9, samples[0].OnPrevious)
	assert.Equal(t, 2, samples[0].Secrets, "both promoted targets of the stage")
	assert.Equal(t, 10, samples[9].OnCurrent, "consumers moved over")
	assert.Equal(t, 10*time.Second, samples[1].At.Sub(samples[0].At))
	assert.Len(t, baking.Stages[0].Consumers, 6, "status shows the samples while the stage bakes")
	assert.Empty(t, res.Stages[1].Consumers, "the last stage has no bake")
	in := f.called("CountConsumers")[0].Arg.(activities.CountConsumersInput)
	assert.Equal(t, []activities.ConsumerTarget{{SecretID: "staging/a", Strategy: activities.StrategySingleUser},
		{SecretID: "staging/b", Strategy: activities.StrategyAlternatingUsers}}, in.Targets)
}

func TestBakeGoesOnWhenCountsFail(t *testing.T) {
	f := newFake()
	f.fail["CountConsumers"] = temporal.NewNonRetryableApplicationError("no master", activities.ErrMasterAuthFailed, nil)
	plan := twoStagePlan()
	plan.Stages[0].Bake = time.Minute
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)
	assert.Equal(t, StatusSucceeded, res.Status)
	assert.Empty(t, res.Stages[0].Consumers)
	assert.NotEmpty(t, f.called("CountConsumers"))
}

func TestDrainReportReachesOutcomeAndSummary(t *testing.T) {
	f := newFake()
	f.drainSessions = 3
	plan := twoStagePlan()
	plan.Stages[0].Drain = &activities.Drain{Mode: activities.DrainWarn}
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)

	assert.Equal(t, StatusSucceeded, res.Status)
	b := res.Stages[0].Targets[1]
	require.NotNil(t, b.Drain)
	assert.Equal(t, 3, b.Drain.Sessions.Count)
	assert.Nil(t, res.Stages[0].Targets[0].Drain, "a single user has no drain check")
	assert.Contains(t, res.Summary, `staging/b: succeeded (drain warn: still logging in as the old role: 3 session(s) opened as role "app_clone"`)
	assert.Contains(t, res.Summary, `10.0.0.7 "billing" ×3`)
	for _, c := range f.called("SetPending") {
		assert.Equal(t, plan.Stages[0].Drain, c.Arg.(activities.RotationStep).Drain, "the stage's policy reaches the set step")
		break
	}
}

func TestDrainRefusalRollsBackWithoutRetry(t *testing.T) {
	f := newFake()
	f.fail["SetPending:staging/b"] = nonRetryable(activities.ErrConsumersActive)
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: twoStagePlan()})
	res := resultOf(t, env)
	assert.Equal(t, StatusRolledBack, res.Status)
	assert.Len(t, f.called("SetPending"), 2, "one set per target: ConsumersActive is never retried")
}

func TestPlanChecksDrain(t *testing.T) {
	p := twoStagePlan()
	p.Stages[0].Drain = &activities.Drain{Mode: "later", Timeout: -time.Second}
	p.Stages[1].Drain = &activities.Drain{Mode: activities.DrainWait, Timeout: 20 * time.Minute}
	p.Stages[1].StepTimeout = 10 * time.Minute
	var perr *PlanError
	require.ErrorAs(t, p.Validate(), &perr)
	assert.Len(t, perr.Problems, 3)
	assert.Contains(t, perr.Problems[0], `stages[0].drain.mode: unknown drain mode "later"`)
	assert.Contains(t, perr.Problems[2], "stages[1].drain.timeout: the wait (20m0s) must be shorter than the stage's stepTimeout (10m0s)")
}

func TestRevokeSecret(t *testing.T) {
	f := newFake()
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(RevokeSecret, RevokeSecretInput{SecretID: "prod/app", VersionID: "v-old", Terminate: true, Environment: "production"})
	require.NoError(t, env.GetWorkflowError())
	var res activities.RevokeResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, "app_clone", res.Role)
	assert.Equal(t, activities.RevokeInput{SecretID: "prod/app", VersionID: "v-old", Terminate: true}, f.called("RevokePrevious")[0].Arg)
	d := f.datums()
	require.Len(t, d, 1)
	assert.Equal(t, MetricPreviousRevoked, d[0].Name)

	f = newFake()
	f.fail["RevokePrevious"] = nonRetryable(activities.ErrInvalidInput)
	env = newTestEnv(t, f, nil)
	env.ExecuteWorkflow(RevokeSecret, RevokeSecretInput{SecretID: "prod/app", VersionID: "v-old"})
	var app *temporal.ApplicationError
	require.ErrorAs(t, env.GetWorkflowError(), &app)
	assert.Equal(t, activities.ErrInvalidInput, app.Type())
	assert.Equal(t, MetricRevokeFailed, f.datums()[0].Name)
}

func TestSlowConsumerCountDoesNotHoldTheBake(t *testing.T) {
	f := newFake()
	plan := twoStagePlan()
	plan.Stages[0].Bake = time.Minute
	env := newTestEnv(t, f, activityDelays{"CountConsumers": time.Hour})
	start := env.Now()
	env.ExecuteWorkflow(StagedRotation, StagedRotationInput{Plan: plan})
	res := resultOf(t, env)
	assert.Equal(t, StatusSucceeded, res.Status)
	assert.Empty(t, res.Stages[0].Consumers)
	prod := f.called("CreatePending")[2]
	assert.WithinDuration(t, start.Add(time.Minute), prod.At, time.Second, "production starts when the bake ends, not when the count does")
}
