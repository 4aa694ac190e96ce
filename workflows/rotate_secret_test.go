package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
)

func rotateInput(secret string, strategy activities.Strategy) RotateSecretInput {
	return RotateSecretInput{
		Target:      Target{SecretID: secret, Strategy: strategy},
		Environment: "staging",
		Validators:  []activities.Validator{{Name: "sql", SQL: &activities.SQLProbe{Query: "SELECT 1", Expect: "1"}}},
	}
}

func runRotate(t *testing.T, f *fakeActivities, in RotateSecretInput) (TargetOutcome, error) {
	t.Helper()
	env := newTestEnv(t, f, nil)
	env.ExecuteWorkflow(RotateSecret, in)
	require.True(t, env.IsWorkflowCompleted())
	var out TargetOutcome
	err := env.GetWorkflowError()
	if err == nil {
		require.NoError(t, env.GetWorkflowResult(&out))
	}
	return out, err
}

func TestRotateSecretHappyPath(t *testing.T) {
	for _, strategy := range []activities.Strategy{activities.StrategySingleUser, activities.StrategyAlternatingUsers} {
		t.Run(string(strategy), func(t *testing.T) {
			f := newFake()
			in := rotateInput("staging/orders/app", strategy)
			in.PublishMetrics = true
			out, err := runRotate(t, f, in)
			require.NoError(t, err)

			assert.Equal(t, StatusSucceeded, out.Status)
			assert.Equal(t, activities.StepVerify, out.LastStep)
			assert.True(t, out.Promoted)
			assert.Equal(t, "old-staging/orders/app", out.PreviousVersionID)
			run, ok := engine.TokenRun(out.VersionID)
			assert.True(t, ok && run != "", "the token names the run: %s", out.VersionID)
			assert.Equal(t, f.tokenOf("staging/orders/app"), out.VersionID)
			assert.Equal(t, []string{
				"CreatePending:staging/orders/app", "SetPending:staging/orders/app", "TestPending:staging/orders/app",
				"Promote:staging/orders/app", "Verify:staging/orders/app", "PublishMetrics:" + DefaultMetricsNamespace,
			}, f.names())
			// Every step got the same token and the strategy.
			for _, name := range []string{"CreatePending", "SetPending", "TestPending"} {
				step := f.called(name)[0].Arg.(activities.RotationStep)
				assert.Equal(t, out.VersionID, step.Token, name)
				assert.Equal(t, strategy, step.Strategy, name)
				assert.Equal(t, "staging", step.Environment, name)
			}
			promote := f.called("Promote")[0].Arg.(activities.PromoteInput)
			assert.Equal(t, "old-staging/orders/app", promote.CurrentVersionID)
			verify := f.called("Verify")[0].Arg.(activities.VerifyInput)
			assert.Equal(t, in.Validators, verify.Validators)

			counts := map[string]float64{}
			for _, d := range f.datums() {
				counts[d.Name] = d.Value
				assert.Equal(t, []activities.Dimension{{Name: "Environment", Value: "staging"}, {Name: "SecretName", Value: "staging/orders/app"}}, d.Dimensions)
			}
			assert.Equal(t, map[string]float64{MetricRotationSucceeded: 1, MetricRotationRolledBack: 0, MetricRotationFailed: 0,
				MetricRotationUnverified: 0, MetricValidationFailed: 0, MetricRotationDuration: 0}, counts)
		})
	}
}

func TestRotateSecretWithoutPublishMetricsPublishesNothing(t *testing.T) {
	f := newFake()
	out, err := runRotate(t, f, rotateInput("s1", activities.StrategySingleUser))
	require.NoError(t, err)
	assert.Equal(t, StatusSucceeded, out.Status)
	assert.Empty(t, f.called("PublishMetrics"))
}

func TestRotateSecretManagedMaster(t *testing.T) {
	f := newFake()
	out, err := runRotate(t, f, rotateInput("orders-db", activities.StrategyManagedMaster))
	require.NoError(t, err)
	assert.Equal(t, StatusSucceeded, out.Status)
	assert.Equal(t, StepRotateMaster, out.LastStep)
	assert.Equal(t, "master-new", out.VersionID)
	assert.Equal(t, "master-old", out.PreviousVersionID)
	assert.Equal(t, []string{"RotateManagedMaster:orders-db"}, f.names(), "RDS owns the rotation: no other step, no rollback")
}

func TestRotateSecretManagedMasterFailure(t *testing.T) {
	t.Run("refused before acting", func(t *testing.T) {
		f := newFake()
		f.fail["RotateManagedMaster"] = temporal.NewNonRetryableApplicationError("instance orders-db has no managed master", activities.ErrInvalidInput, nil)
		out, err := runRotate(t, f, rotateInput("orders-db", activities.StrategyManagedMaster))
		require.NoError(t, err)
		assert.Equal(t, StatusRolledBack, out.Status)
		assert.Equal(t, activities.ErrInvalidInput, out.ErrorType)
	})
	t.Run("unknown state", func(t *testing.T) {
		f := newFake()
		f.fail["RotateManagedMaster"] = errors.New("throttled")
		_, err := runRotate(t, f, rotateInput("orders-db", activities.StrategyManagedMaster))
		var app *temporal.ApplicationError
		require.ErrorAs(t, err, &app)
		assert.Equal(t, ErrRotationFailed, app.Type())
		var out TargetOutcome
		require.NoError(t, app.Details(&out))
		assert.Equal(t, StatusFailed, out.Status)
		assert.Contains(t, out.Error, "RDS may still be rotating")
	})
}

func nonRetryable(errType string) error {
	return temporal.NewNonRetryableApplicationError("refused: "+errType, errType, nil)
}

// TestRotateSecretFailureAtEachStep checks, for a failure at every step,
// exactly what the rollback was told to undo.
func TestRotateSecretFailureAtEachStep(t *testing.T) {
	const secret = "staging/orders/app"
	transient := errors.New("connection reset (transient)")
	tests := []struct {
		name      string
		activity  string
		err       error
		lastStep  string
		errType   string
		rollback  *activities.RollbackInput // nil: no rollback at all
		validFail bool
	}{
		{name: "create refused", activity: "CreatePending", err: nonRetryable(activities.ErrSecretNotFound),
			lastStep: activities.StepCreate, errType: activities.ErrSecretNotFound},
		{name: "create unknown", activity: "CreatePending", err: transient,
			lastStep: activities.StepCreate, rollback: &activities.RollbackInput{}},
		{name: "set refused", activity: "SetPending", err: nonRetryable(activities.ErrMasterAuthFailed),
			lastStep: activities.StepSet, errType: activities.ErrMasterAuthFailed,
			rollback: &activities.RollbackInput{CurrentVersionID: "old-" + secret, PreviousVersionID: "prev-" + secret, RestorePrevious: true}},
		{name: "set unknown", activity: "SetPending", err: transient,
			lastStep: activities.StepSet, rollback: &activities.RollbackInput{CurrentVersionID: "old-" + secret, PreviousVersionID: "prev-" + secret, RestorePrevious: true, PasswordSet: true}},
		// A set whose last attempt was refused, after an earlier attempt
		// that may have run ALTER ROLE and lost the reply: the refusal
		// says nothing about the earlier attempt, so the password is
		// restored.
		{name: "set refused after an earlier attempt", activity: "SetPending", err: engine.AfterAttempts(nonRetryable(activities.ErrDatabaseUnreachable), 1),
			lastStep: activities.StepSet, errType: activities.ErrDatabaseUnreachable,
			rollback: &activities.RollbackInput{CurrentVersionID: "old-" + secret, PreviousVersionID: "prev-" + secret, RestorePrevious: true, PasswordSet: true}},
		{name: "set outage past the budget", activity: "SetPending", err: nonRetryable(activities.ErrDatabaseOutage),
			lastStep: activities.StepSet, errType: activities.ErrDatabaseOutage,
			rollback: &activities.RollbackInput{CurrentVersionID: "old-" + secret, PreviousVersionID: "prev-" + secret, RestorePrevious: true, PasswordSet: true}},
		{name: "test outage past the budget", activity: "TestPending", err: nonRetryable(activities.ErrDatabaseOutage),
			lastStep: activities.StepTest, errType: activities.ErrDatabaseOutage,
			rollback: &activities.RollbackInput{CurrentVersionID: "old-" + secret, PreviousVersionID: "prev-" + secret, RestorePrevious: true, PasswordSet: true}},
		{name: "test", activity: "TestPending", err: nonRetryable(activities.ErrLoginFailed),
			lastStep: activities.StepTest, errType: activities.ErrLoginFailed,
			rollback: &activities.RollbackInput{CurrentVersionID: "old-" + secret, PreviousVersionID: "prev-" + secret, RestorePrevious: true, PasswordSet: true}},
		{name: "test probe", activity: "TestPending", err: nonRetryable(activities.ErrValidationFailed),
			lastStep: activities.StepTest, errType: activities.ErrValidationFailed, validFail: true,
			rollback: &activities.RollbackInput{CurrentVersionID: "old-" + secret, PreviousVersionID: "prev-" + secret, RestorePrevious: true, PasswordSet: true}},
		{name: "promote refused", activity: "Promote", err: nonRetryable(activities.ErrVersionConflict),
			lastStep: activities.StepPromote, errType: activities.ErrVersionConflict,
			rollback: &activities.RollbackInput{CurrentVersionID: "old-" + secret, PreviousVersionID: "prev-" + secret, RestorePrevious: true, PasswordSet: true}},
		{name: "promote unknown", activity: "Promote", err: transient,
			lastStep: activities.StepPromote,
			rollback: &activities.RollbackInput{CurrentVersionID: "old-" + secret, PreviousVersionID: "prev-" + secret, RestorePrevious: true, PasswordSet: true, Promoted: true}},
		{name: "verify validator", activity: "Verify", err: nonRetryable(activities.ErrValidationFailed),
			lastStep: activities.StepVerify, errType: activities.ErrValidationFailed, validFail: true,
			rollback: &activities.RollbackInput{CurrentVersionID: "old-" + secret, PreviousVersionID: "prev-" + secret, RestorePrevious: true, PasswordSet: true, Promoted: true}},
		{name: "verify login", activity: "Verify", err: nonRetryable(activities.ErrLoginFailed),
			lastStep: activities.StepVerify, errType: activities.ErrLoginFailed,
			rollback: &activities.RollbackInput{CurrentVersionID: "old-" + secret, PreviousVersionID: "prev-" + secret, RestorePrevious: true, PasswordSet: true, Promoted: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.fail[tt.activity] = tt.err
			in := rotateInput(secret, activities.StrategySingleUser)
			in.PublishMetrics = true
			out, err := runRotate(t, f, in)
			require.NoError(t, err, "a rolled-back rotation completes with its outcome")
			assert.Equal(t, StatusRolledBack, out.Status)
			assert.Equal(t, tt.lastStep, out.LastStep)
			assert.NotEmpty(t, out.Error)
			if tt.errType != "" {
				assert.Equal(t, tt.errType, out.ErrorType)
			}
			assert.Equal(t, tt.validFail, out.ValidationFailed)

			rbs := f.rollbacks()
			if tt.rollback == nil {
				assert.Empty(t, rbs, "nothing was done, nothing to undo")
			} else {
				require.Len(t, rbs, 1)
				want := *tt.rollback
				want.Step = activities.RotationStep{SecretID: secret, Token: out.VersionID, Strategy: activities.StrategySingleUser, Environment: "staging"}
				assert.Equal(t, want, rbs[0])
			}
			// No step after the failed one ran.
			steps := []string{"CreatePending", "SetPending", "TestPending", "Promote", "Verify"}
			after := false
			for _, s := range steps {
				if after {
					assert.Empty(t, f.called(s), "%s ran after %s failed", s, tt.activity)
				}
				after = after || s == tt.activity
			}
			counts := map[string]float64{}
			for _, d := range f.datums() {
				counts[d.Name] = d.Value
			}
			assert.Equal(t, 1.0, counts[MetricRotationRolledBack])
			assert.Equal(t, 0.0, counts[MetricRotationSucceeded])
			assert.Equal(t, 0.0, counts[MetricRotationFailed])
			assert.Equal(t, map[bool]float64{true: 1, false: 0}[tt.validFail], counts[MetricValidationFailed])
		})
	}
}

func TestRotateSecretValidatorFailedAfterPromotion(t *testing.T) {
	f := newFake()
	f.failedCheck = true // Verify reports a failed check as a result
	out, err := runRotate(t, f, rotateInput("s1", activities.StrategyAlternatingUsers))
	require.NoError(t, err)
	assert.Equal(t, StatusRolledBack, out.Status)
	assert.True(t, out.Promoted, "it was promoted before verification failed")
	assert.True(t, out.ValidationFailed)
	assert.Equal(t, activities.ErrValidationFailed, out.ErrorType)
	assert.Contains(t, out.Error, "http health: status 503")
	rbs := f.rollbacks()
	require.Len(t, rbs, 1)
	assert.True(t, rbs[0].Promoted)
	assert.True(t, rbs[0].PasswordSet)
	assert.Equal(t, "old-s1", rbs[0].CurrentVersionID)
}

func TestRotateSecretRollbackFailureFailsLoudly(t *testing.T) {
	f := newFake()
	f.fail["Verify"] = nonRetryable(activities.ErrValidationFailed)
	f.fail["Rollback"] = nonRetryable(activities.ErrMasterAuthFailed)
	in := rotateInput("s1", activities.StrategySingleUser)
	in.PublishMetrics = true
	_, err := runRotate(t, f, in)
	var app *temporal.ApplicationError
	require.ErrorAs(t, err, &app)
	assert.Equal(t, ErrRotationFailed, app.Type())
	assert.True(t, app.NonRetryable())
	var out TargetOutcome
	require.NoError(t, app.Details(&out))
	assert.Equal(t, StatusFailed, out.Status)
	assert.Contains(t, out.Error, "ROLLBACK FAILED")
	assert.Contains(t, out.Error, activities.ErrMasterAuthFailed)
	counts := map[string]float64{}
	for _, d := range f.datums() {
		counts[d.Name] = d.Value
	}
	assert.Equal(t, 1.0, counts[MetricRotationFailed])
	assert.Equal(t, 0.0, counts[MetricRotationRolledBack])
}

func TestRotateSecretReportsStalePending(t *testing.T) {
	f := newFake()
	f.staleCleared = "stale-version-1"
	env := newTestEnv(t, f, activityDelays{"Verify": time.Minute})
	var mid TargetProgress
	env.RegisterDelayedCallback(func() {
		v, err := env.QueryWorkflow(QueryProgress)
		require.NoError(t, err)
		require.NoError(t, v.Get(&mid))
	}, 30*time.Second)
	env.ExecuteWorkflow(RotateSecret, rotateInput("s1", activities.StrategySingleUser))
	require.NoError(t, env.GetWorkflowError())
	var out TargetOutcome
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Equal(t, StatusSucceeded, out.Status)
	assert.Equal(t, "stale-version-1", out.StaleCleared)
	assert.Equal(t, TargetProgress{SecretID: "s1", Step: activities.StepVerify, Status: StatusRunning, StaleCleared: "stale-version-1"}, mid)
}

func TestRotateSecretCancelledMidStepStillRollsBack(t *testing.T) {
	f := newFake()
	env := newTestEnv(t, f, activityDelays{"SetPending": 5 * time.Minute})
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	env.ExecuteWorkflow(RotateSecret, rotateInput("s1", activities.StrategySingleUser))
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var out TargetOutcome
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Equal(t, StatusRolledBack, out.Status)
	assert.Equal(t, activities.StepSet, out.LastStep)
	rbs := f.rollbacks()
	require.Len(t, rbs, 1, "the rollback runs in a disconnected context")
	assert.True(t, rbs[0].PasswordSet, "a cancelled set may have changed the password")
	assert.False(t, rbs[0].Promoted)
	assert.Empty(t, f.called("TestPending"))
}

func TestRotateSecretInvalidInput(t *testing.T) {
	f := newFake()
	_, err := runRotate(t, f, RotateSecretInput{Target: Target{SecretID: "s1", Strategy: "weird"}})
	var app *temporal.ApplicationError
	require.ErrorAs(t, err, &app)
	assert.Equal(t, activities.ErrInvalidInput, app.Type())
	assert.Contains(t, app.Message(), "target.strategy")
	assert.Empty(t, f.names())
}

// TestRotateSecretOutageAfterPromotion: the database stayed away past the
// outage budget during verify. The secret and the database agree (test
// logged in with the new password), so the run leaves it promoted,
// reports promoted-unverified and counts it, and does not roll back into
// a database it cannot reach.
func TestRotateSecretOutageAfterPromotion(t *testing.T) {
	const secret = "staging/orders/app"
	f := newFake()
	f.fail["Verify"] = nonRetryable(activities.ErrDatabaseOutage)
	in := rotateInput(secret, activities.StrategySingleUser)
	in.PublishMetrics = true
	out, err := runRotate(t, f, in)
	require.NoError(t, err)
	assert.Equal(t, StatusPromotedUnverified, out.Status)
	assert.True(t, out.Promoted)
	assert.Equal(t, activities.ErrDatabaseOutage, out.ErrorType)
	assert.Empty(t, f.rollbacks(), "no rollback into an unreachable database")
	counts := map[string]float64{}
	for _, d := range f.datums() {
		counts[d.Name] = d.Value
	}
	assert.Equal(t, 1.0, counts[MetricRotationUnverified])
	assert.Equal(t, 0.0, counts[MetricRotationRolledBack]+counts[MetricRotationSucceeded]+counts[MetricRotationFailed])
}
