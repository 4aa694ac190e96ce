package workflows

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
)

// Steps a StagedRotation shows for a target before its child reports.
const (
	stepStarting = "starting"
	stepRotating = "rotating"
)

// stageTarget is what the parent knows of one target of a running stage.
type stageTarget struct {
	ran     bool // a child was started (or refused)
	outcome TargetOutcome
	// attention: the target is in a state a human must look at (its
	// rollback failed, or its child ended in an unknown state).
	attention bool
}

// runStage waits for approval when asked, rotates the stage's targets,
// rolls the stage back when a target did not succeed or the run was
// aborted, publishes the stage's metrics, and returns its status.
func (s *stagedRun) runStage(ctx workflow.Context, i int) string {
	stage := s.plan.Stages[i]
	sp := &s.progress.Stages[i]
	s.progress.CurrentStage = stage.Name
	if stage.RequireApproval && !s.awaitApproval(ctx, i) {
		sp.Status = StatusAborted
		markPending(sp, StatusSkipped)
		return sp.Status
	}
	sp.Status, sp.StartedAt = StatusRunning, workflow.Now(ctx)
	s.setStatus(ctx, StatusRunning)

	stageCtx, cancel := workflow.WithCancel(ctx)
	s.cancelStage = cancel
	defer func() { s.cancelStage = nil; cancel() }()
	if s.batched(ctx, i) {
		return s.runBatchedStage(ctx, stageCtx, i) // batch.go
	}

	targets := make([]stageTarget, len(stage.Targets))
	stageFailed := false
	parallel := stage.MaxParallel
	if parallel == 0 {
		parallel = defaultMaxParallel
	}
	// Targets start in plan order, at most `parallel` at once; once one
	// has not succeeded, no further one starts.
	sem := workflow.NewSemaphore(ctx, int64(parallel))
	wg := workflow.NewWaitGroup(ctx)
	for j := range stage.Targets {
		if err := sem.Acquire(stageCtx, 1); err != nil {
			break
		}
		if stageFailed || s.aborted || stageCtx.Err() != nil {
			sem.Release(1)
			break
		}
		wg.Add(1)
		workflow.Go(stageCtx, func(gctx workflow.Context) {
			defer wg.Done()
			defer sem.Release(1)
			targets[j] = s.rotateTarget(gctx, i, j)
			if targets[j].outcome.Status != StatusSucceeded {
				stageFailed = true
			}
		})
	}
	wg.Wait(ctx)
	markPending(sp, StatusSkipped)
	if ctx.Err() != nil && !s.aborted {
		s.markAborted(ctx, AbortInput{Reason: "workflow cancelled"})
	}

	if stageFailed || s.aborted {
		s.rollbackStage(ctx, i, targets, s.rollbackReason(stage, targets))
	}
	sp.FinishedAt = workflow.Now(ctx)
	sp.Status = stageStatus(targets, s.aborted)
	for j := range targets {
		if targets[j].ran {
			s.outcomes = append(s.outcomes, targets[j].outcome)
		}
	}
	s.publishStageMetrics(ctx, i, targets)
	return sp.Status
}

// stageStatus: failed when a target needs a human, else aborted, else
// rolled-back when any target did not succeed, else succeeded.
func stageStatus(targets []stageTarget, aborted bool) string {
	status := StatusSucceeded
	for _, t := range targets {
		// promoted-unverified: the secret stays promoted but nobody has
		// seen it work; a human must look, as after a failed rollback.
		if t.attention || t.outcome.Status == StatusPromotedUnverified {
			return StatusFailed
		}
		if t.ran && t.outcome.Status != StatusSucceeded {
			status = StatusRolledBack
		}
	}
	if aborted {
		return StatusAborted
	}
	return status
}

// rotateTarget runs one target's RotateSecret child and reports how it
// ended.
func (s *stagedRun) rotateTarget(ctx workflow.Context, i, j int) stageTarget {
	stage := s.plan.Stages[i]
	t := stage.Targets[j]
	tp := &s.progress.Stages[i].Targets[j]
	tp.Status, tp.Step = StatusRunning, stepStarting
	base := TargetOutcome{SecretID: t.SecretID, Environment: stage.Name, Strategy: t.Strategy}

	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            SecretWorkflowID(t.SecretID),
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// A parent that dies (terminated, timed out) asks its children to
		// cancel, which rolls them back, rather than killing them mid-step.
		ParentClosePolicy: enumspb.PARENT_CLOSE_POLICY_REQUEST_CANCEL,
		// Wait for a cancelled child's own rollback and read its outcome.
		WaitForCancellation:   true,
		TypedSearchAttributes: startSearchAttrs(searchAttrs{Environment: stage.Name, Secret: t.SecretID, Status: StatusRunning}),
		StaticSummary:         fmt.Sprintf("rotate %s (%s) in stage %s of plan %s", t.SecretID, t.Strategy, stage.Name, s.plan.Name),
	})
	fut := workflow.ExecuteChildWorkflow(cctx, RotateSecret, RotateSecretInput{
		Target:           t,
		Environment:      stage.Name,
		Validators:       stage.Validators,
		PublishMetrics:   false, // the stage publishes one batch
		MetricsNamespace: s.plan.MetricsNamespace,
		StepTimeout:      stage.StepTimeout,
		OutageBudget:     s.plan.OutageBudget,
		Drain:            stage.Drain,
	})
	var res stageTarget
	if err := fut.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		res = startFailure(base, err)
	} else {
		tp.Step = stepRotating
		var out TargetOutcome
		res = childOutcome(base, out, fut.Get(ctx, &out))
	}
	tp.Status, tp.Step, tp.Error, tp.StaleCleared, tp.Drain = res.outcome.Status, res.outcome.LastStep, res.outcome.Error, res.outcome.StaleCleared, res.outcome.Drain
	return res
}

// startFailure is the outcome of a target whose child did not start.
func startFailure(base TargetOutcome, err error) stageTarget {
	o := base
	o.LastStep = stepStarting
	switch {
	case isAlreadyRotating(err):
		o.Status, o.Error, o.ErrorType = StatusFailed, alreadyRotatingMessage(base.SecretID), ErrAlreadyRotating
		return stageTarget{ran: true, outcome: o}
	case errors.As(err, new(*temporal.CanceledError)):
		o.Status, o.Error = StatusSkipped, "not started: the stage was stopped"
		return stageTarget{outcome: o}
	}
	msg, typ := describeError(err)
	o.Status, o.Error, o.ErrorType = StatusFailed, "could not start its rotation: "+msg, typ
	return stageTarget{ran: true, outcome: o}
}

// isAlreadyRotating reports whether a child could not start because a
// workflow with its ID (rotate/<secret>) is running: the server reports
// ChildWorkflowExecutionAlreadyStartedError, the test environment
// serviceerror.WorkflowExecutionAlreadyStarted.
func isAlreadyRotating(err error) bool {
	return temporal.IsWorkflowExecutionAlreadyStartedError(err)
}

// childOutcome reads a finished RotateSecret child: its result, or the
// outcome carried by its ErrRotationFailed, or else what its error says.
func childOutcome(base, out TargetOutcome, err error) stageTarget {
	if err == nil {
		return stageTarget{ran: true, outcome: out, attention: out.Status == StatusFailed}
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.Type() == ErrRotationFailed && app.HasDetails() {
		var o TargetOutcome
		if app.Details(&o) == nil {
			o.Status = StatusFailed
			return stageTarget{ran: true, outcome: o, attention: true}
		}
	}
	o := base
	o.Error, o.ErrorType = describeError(err)
	o.Status = StatusFailed
	switch {
	case o.ErrorType == activities.ErrInvalidInput:
		// Refused its input before doing anything.
		return stageTarget{ran: true, outcome: o}
	case errors.As(err, new(*temporal.CanceledError)):
		o.Status = StatusRolledBack
		return stageTarget{ran: true, outcome: o}
	}
	// Terminated, timed out, or failed unexpectedly: its state is unknown.
	o.Error = "rotation ended in an unknown state, check the secret: " + o.Error
	return stageTarget{ran: true, outcome: o, attention: true}
}

// rollbackReason says why a stage is rolled back.
func (s *stagedRun) rollbackReason(stage Stage, targets []stageTarget) string {
	if s.aborted {
		reason := "run aborted"
		if s.abort.By != "" {
			reason += " by " + s.abort.By
		}
		if s.abort.Reason != "" {
			reason += ": " + s.abort.Reason
		}
		return reason
	}
	for _, t := range targets {
		if t.ran && t.outcome.Status != StatusSucceeded {
			return fmt.Sprintf("stage %s failed: %s %s at %s", stage.Name, t.outcome.SecretID, t.outcome.Status, t.outcome.LastStep)
		}
	}
	return "stage " + stage.Name + " failed"
}

// publishStageMetrics sends one batch for the stage: every target's
// rotation datums and the stage's duration.
func (s *stagedRun) publishStageMetrics(ctx workflow.Context, i int, targets []stageTarget) {
	sp := s.progress.Stages[i]
	now := workflow.Now(ctx)
	var datums []activities.MetricDatum
	var outcomes []activities.SecretOutcome
	for _, t := range targets {
		if t.ran {
			datums = append(datums, rotationDatums(t.outcome, now)...)
			outcomes = append(outcomes, rotationOutcome(t.outcome, now))
		}
	}
	datums = append(datums, datum(MetricStageDuration, float64(sp.FinishedAt.Sub(sp.StartedAt).Milliseconds()),
		unitMilliseconds, now, activities.Dimension{Name: engine.DimEnvironment, Value: sp.Name}))
	publishMetrics(ctx, s.plan.MetricsNamespace, datums, outcomes...)
}
