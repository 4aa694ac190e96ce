package workflows

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
)

// StepRotateMaster is the single step of an rds-managed-master rotation,
// as progress and outcomes name it.
const StepRotateMaster = "rotate-master"

// RotateSecret rotates one secret (docs/architecture.md §2): create → set → test →
// promote → verify, each an idempotent activity keyed by a token fixed
// when the run starts (the new version's VersionId). When a step fails,
// or the run is cancelled, a rollback undoes exactly what was done, in a
// disconnected context so that cancelling still rolls back.
//
// How it ends (TargetOutcome.Status):
//
//   - succeeded: the new version is AWSCURRENT and passed verification.
//   - rolled-back: the rotation did not happen; the secret is as it was
//     (the rollback ran, or the failing step had changed nothing). The run
//     still COMPLETES, returning the outcome, so a parent reads it as a
//     result; the CLI reports it and exits non-zero.
//   - failed: a human must look: the rollback itself failed, or an
//     RDS-managed rotation ended in an unknown state. The run FAILS with a
//     non-retryable ApplicationError of type ErrRotationFailed whose
//     details hold the outcome, and the error is logged loudly.
//
// An rds-managed-master target is rotated by RDS itself
// (RotateManagedMaster) and is done when RDS is; its Target.SecretID is
// the managed master secret, which the activity resolves to its instance
// through the tag RDS puts on it. The run answers the progress query
// with a TargetProgress, keeps the Credstage* search attributes current,
// and publishes its metrics itself only when in.PublishMetrics is set.
func RotateSecret(ctx workflow.Context, in RotateSecretInput) (TargetOutcome, error) {
	if err := validateRotateInput(in); err != nil {
		return TargetOutcome{}, err
	}
	r := &rotation{
		in:      in,
		started: workflow.Now(ctx),
		outcome: TargetOutcome{SecretID: in.Target.SecretID, Environment: in.Environment, Strategy: in.Target.Strategy},
	}
	r.progress = TargetProgress{SecretID: in.Target.SecretID, Status: StatusRunning}
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (TargetProgress, error) { return r.progress, nil }); err != nil {
		return TargetOutcome{}, err
	}
	r.version = workflow.GetVersion(ctx, changeRotateSecret, workflow.DefaultVersion, rotateSecretV2)
	upsertSearchAttrs(ctx, searchAttrs{Environment: in.Environment, Secret: in.Target.SecretID, Status: StatusRunning})

	if in.Target.Strategy == activities.StrategyManagedMaster {
		r.rotateManagedMaster(ctx)
		return r.finish(ctx)
	}
	// The token names this run (engine.Token) and is the same on every
	// replay, retried workflow task and reset (the run id before any
	// reset), so every step stays idempotent. Runs of the first release
	// drew a random one, recorded in history.
	var token string
	if r.version >= rotateSecretV2 {
		token = engine.Token(originalRunID(ctx), SecretName(in.Target.SecretID))
	} else if err := workflow.SideEffect(ctx, func(workflow.Context) any { return uuid.NewString() }).Get(&token); err != nil {
		return TargetOutcome{}, err
	}
	r.rs = activities.RotationStep{
		SecretID:     in.Target.SecretID,
		Token:        token,
		Strategy:     in.Target.Strategy,
		Environment:  in.Environment,
		Probes:       in.Target.Probes,
		OutageBudget: in.OutageBudget,
		Drain:        in.Drain,
	}
	r.outcome.VersionID = token
	r.rotateSteps(ctx)
	return r.finish(ctx)
}

// rotation is one RotateSecret run's state: what the steps reported, and
// so what a rollback must undo.
type rotation struct {
	in       RotateSecretInput
	version  workflow.Version // see versions.go
	started  time.Time
	rs       activities.RotationStep
	outcome  TargetOutcome
	progress TargetProgress

	created     *activities.CreateResult
	passwordSet bool
	promoted    bool
	// attempted: the step that failed last was scheduled at all (a run
	// cancelled between steps never schedules the next).
	attempted bool
}

// step runs one rotation step, recording it as the current one.
func (r *rotation) step(ctx workflow.Context, name string, activity, arg, result any) error {
	r.progress.Step, r.outcome.LastStep = name, name
	if err := ctx.Err(); err != nil {
		r.attempted = false
		return err
	}
	r.attempted = true
	return workflow.ExecuteActivity(ctx, activity, arg).Get(ctx, result)
}

func (r *rotation) rotateSteps(ctx workflow.Context) {
	var a *activities.Activities
	sctx := withStepOptions(ctx, r.in.StepTimeout, r.in.OutageBudget)

	// create: the token's version exists, labelled AWSPENDING.
	var created activities.CreateResult
	if err := r.step(sctx, activities.StepCreate, a.CreatePending, r.rs, &created); err != nil {
		r.fail(ctx, err)
		return
	}
	r.created = &created
	r.outcome.PreviousVersionID = created.CurrentVersionID
	r.outcome.OriginalPreviousVersionID, r.outcome.PreviousKnown = created.PreviousVersionID, created.PreviousKnown
	if created.StaleCleared != "" {
		r.outcome.StaleCleared, r.progress.StaleCleared = created.StaleCleared, created.StaleCleared
		workflow.GetLogger(ctx).Warn("cleared a stale AWSPENDING left by an earlier run",
			"secret", r.rs.SecretID, "staleVersion", created.StaleCleared)
	}

	// set: the database accepts the pending password.
	var set activities.SetResult
	setCtx := withSetOptions(ctx, r.in.StepTimeout, r.in.OutageBudget, drainWait(r.in.Drain))
	if err := r.step(setCtx, activities.StepSet, a.SetPending, r.rs, &set); err != nil {
		r.fail(ctx, err)
		return
	}
	r.passwordSet = true
	if set.Drain.Notable() {
		r.outcome.Drain, r.progress.Drain = set.Drain, set.Drain
		workflow.GetLogger(ctx).Warn("consumer drain check", "secret", r.rs.SecretID, "drain", set.Drain.String())
	}

	// test: a fresh login with the pending credentials passes the probes.
	var tested activities.TestResult
	if err := r.step(sctx, activities.StepTest, a.TestPending, r.rs, &tested); err != nil {
		r.fail(ctx, err)
		return
	}

	// promote: the token is AWSCURRENT, the old version AWSPREVIOUS.
	var promoted activities.PromoteResult
	promote := activities.PromoteInput{Step: r.rs, CurrentVersionID: created.CurrentVersionID}
	if err := r.step(sctx, activities.StepPromote, a.Promote, promote, &promoted); err != nil {
		r.fail(ctx, err)
		return
	}
	r.promoted, r.outcome.Promoted = true, true
	if promoted.PreviousVersionID != "" {
		r.outcome.PreviousVersionID = promoted.PreviousVersionID
	}

	// verify: consumers log in through AWSCURRENT; validators pass.
	var verified activities.VerifyResult
	verify := activities.VerifyInput{SecretID: r.rs.SecretID, Environment: r.in.Environment, Validators: r.in.Validators, OutageBudget: r.in.OutageBudget}
	err := r.step(withVerifyOptions(ctx, r.in.Validators, r.in.StepTimeout, r.in.OutageBudget), activities.StepVerify, a.Verify, verify, &verified)
	if err == nil {
		err = failedChecks(verified)
	}
	if err != nil && r.version >= rotateSecretV2 && engine.Unverified(r.promoted, err) {
		// The database and AWSCURRENT agree (test proved the password
		// with a fresh login); rolling back into a database that cannot
		// be reached would be worse than leaving it promoted.
		r.outcome.Error, r.outcome.ErrorType = describeError(err)
		r.outcome.Status = StatusPromotedUnverified
		workflow.GetLogger(ctx).Error("promoted but not verified: the database stayed unreachable past the outage budget",
			"secret", r.rs.SecretID, "error", r.outcome.Error)
		return
	}
	if err != nil {
		r.fail(ctx, err)
		return
	}
	r.outcome.Status = StatusSucceeded
}

// failedChecks turns a VerifyResult with failed checks into the error the
// activity would have returned, in case it reported them as a result.
func failedChecks(res activities.VerifyResult) error {
	var failed []string
	for _, c := range res.Checks {
		if !c.Passed {
			failed = append(failed, c.Name+": "+c.Detail)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return temporal.NewNonRetryableApplicationError("validation failed: "+strings.Join(failed, "; "),
		activities.ErrValidationFailed, nil, res)
}

// fail records the failed step and rolls back what was done: the steps
// that completed, plus the failed step itself when the engine's rule says
// it may have acted (engine.Undo).
func (r *rotation) fail(ctx workflow.Context, err error) {
	failedStep := r.outcome.LastStep
	r.outcome.Error, r.outcome.ErrorType = describeError(err)
	r.outcome.ValidationFailed = errorType(err) == activities.ErrValidationFailed
	workflow.GetLogger(ctx).Warn("rotation step failed; rolling back", "secret", r.rs.SecretID,
		"step", failedStep, "error", r.outcome.Error, "type", r.outcome.ErrorType)

	if !r.attempted {
		err = engine.ErrNotStarted // cancelled before the step was scheduled
	}
	undo, needed := engine.Undo(failedStep, err, engine.Done{PasswordSet: r.passwordSet, Promoted: r.promoted})
	if !needed {
		// Refused before writing anything (unknown secret, bad JSON,
		// invalid input), or never scheduled: nothing to undo.
		r.outcome.Status = StatusRolledBack
		return
	}
	in := activities.RollbackInput{Step: r.rs, PasswordSet: undo.PasswordSet, Promoted: undo.Promoted}
	if r.created != nil {
		in.CurrentVersionID = r.created.CurrentVersionID
		in.PreviousVersionID, in.RestorePrevious = r.created.PreviousVersionID, r.created.PreviousKnown
	}
	r.rollback(ctx, in)
}

// rollback runs the Rollback activity in a disconnected context, so it
// runs even when the workflow was cancelled.
func (r *rotation) rollback(ctx workflow.Context, in activities.RollbackInput) {
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	var a *activities.Activities
	r.progress.Step = activities.StepRollback
	var res activities.RollbackResult
	err := workflow.ExecuteActivity(withUndoOptions(dctx), a.Rollback, in).Get(dctx, &res)
	if err != nil {
		msg, typ := describeError(err)
		r.outcome.Status = StatusFailed
		r.outcome.Error = fmt.Sprintf("ROLLBACK FAILED (%s: %s) after step %s failed: %s", typ, msg, r.outcome.LastStep, r.outcome.Error)
		workflow.GetLogger(ctx).Error("ROLLBACK FAILED: the secret may be half-rotated and needs a human",
			"secret", r.rs.SecretID, "token", r.rs.Token, "rollbackInput", in, "error", err)
		return
	}
	r.outcome.Status = StatusRolledBack
	workflow.GetLogger(ctx).Info("rolled back", "secret", r.rs.SecretID, "token", r.rs.Token,
		"removedPending", res.RemovedPending, "restoredPassword", res.RestoredPassword,
		"restoredCurrent", res.RestoredCurrent, "current", res.CurrentVersionID)
}

// rotateManagedMaster asks RDS to rotate its managed master secret and
// waits for it. RDS changes the password and the secret together, so
// there is nothing for credstage to roll back; a failure whose effect is
// unknown (RDS may still be rotating) is reported as failed.
func (r *rotation) rotateManagedMaster(ctx workflow.Context) {
	var a *activities.Activities
	var res activities.ManagedMasterResult
	in := activities.ManagedMasterInput{SecretID: r.in.Target.SecretID}
	err := r.step(withManagedMasterOptions(ctx, r.in.StepTimeout), StepRotateMaster, a.RotateManagedMaster, in, &res)
	if err != nil {
		r.outcome.Error, r.outcome.ErrorType = describeError(err)
		if r.attempted && engine.MayHaveActed(err) {
			r.outcome.Status = StatusFailed
			r.outcome.Error = "RDS may still be rotating the master password (credstage cannot undo RDS's own rotation; check the instance and its secret): " + r.outcome.Error
			workflow.GetLogger(ctx).Error("RDS-managed master rotation ended in an unknown state", "instance", in.DBInstanceIdentifier, "error", err)
			return
		}
		r.outcome.Status = StatusRolledBack
		return
	}
	r.outcome.VersionID, r.outcome.PreviousVersionID = res.CurrentVersionID, res.PreviousVersionID
	r.outcome.Promoted = true
	r.outcome.Status = StatusSucceeded
}

// finish reports the outcome: progress, search attributes, metrics, and
// the run's result or (status failed) its error.
func (r *rotation) finish(ctx workflow.Context) (TargetOutcome, error) {
	now := workflow.Now(ctx)
	r.outcome.DurationMS = now.Sub(r.started).Milliseconds()
	r.progress.Step, r.progress.Status, r.progress.Error = r.outcome.LastStep, r.outcome.Status, r.outcome.Error
	upsertSearchAttrs(ctx, searchAttrs{Status: r.outcome.Status})
	if r.in.PublishMetrics {
		publishMetrics(ctx, r.in.MetricsNamespace, rotationDatums(r.outcome, now), rotationOutcome(r.outcome, now))
	}
	if r.outcome.Status == StatusFailed {
		return r.outcome, temporal.NewNonRetryableApplicationError(r.outcome.Error, ErrRotationFailed, nil, r.outcome)
	}
	return r.outcome, nil
}

func validateRotateInput(in RotateSecretInput) error {
	var problems planProblems
	checkTarget(&problems, "target", in.Target)
	checkValidators(&problems, "validators", in.Validators)
	checkStepTimeout(&problems, "stepTimeout", in.StepTimeout)
	checkDrain(&problems, "drain", in.Drain, in.StepTimeout)
	return problems.err("rotate secret")
}
