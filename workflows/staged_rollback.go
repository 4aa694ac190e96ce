package workflows

import (
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
)

// rollbackStage rolls back every target of stage i that this run promoted
// and that is still succeeded, each with a RollbackSecret child under the
// target's lock ID, guarded by the version the rotation promoted (a
// secret someone changed since is left alone and reported). It runs in a
// disconnected context, so an abort or a cancellation of the run cannot
// stop it halfway. RDS-managed master rotations cannot be undone by
// credstage and are reported as such.
func (s *stagedRun) rollbackStage(ctx workflow.Context, i int, targets []stageTarget, reason string) {
	stage := s.plan.Stages[i]
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	parallel := stage.MaxParallel
	if parallel == 0 {
		parallel = defaultMaxParallel
	}
	sem := workflow.NewSemaphore(dctx, int64(parallel))
	wg := workflow.NewWaitGroup(dctx)
	for j := range targets {
		t := &targets[j]
		if !t.ran || t.outcome.Status != StatusSucceeded {
			continue
		}
		tp := &s.progress.Stages[i].Targets[j]
		if t.outcome.Strategy == activities.StrategyManagedMaster {
			tp.Error = "not rolled back (" + reason + "): RDS rotated the master password itself and credstage cannot undo it"
			continue
		}
		if err := sem.Acquire(dctx, 1); err != nil {
			break
		}
		wg.Add(1)
		workflow.Go(dctx, func(gctx workflow.Context) {
			defer wg.Done()
			defer sem.Release(1)
			s.rollbackTarget(gctx, stage, t, tp, reason)
		})
	}
	wg.Wait(dctx)
}

func (s *stagedRun) rollbackTarget(ctx workflow.Context, stage Stage, t *stageTarget, tp *TargetProgress, reason string) {
	tp.Status, tp.Step = StatusRunning, activities.StepRollback
	o := &t.outcome
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            SecretWorkflowID(o.SecretID),
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		// A rollback, once started, finishes even if the parent dies.
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		TypedSearchAttributes: startSearchAttrs(searchAttrs{Environment: stage.Name, Secret: o.SecretID, Status: StatusRunning}),
		StaticSummary:         "roll back " + o.SecretID + ": " + reason,
	})
	var res activities.RestoreResult
	err := workflow.ExecuteChildWorkflow(cctx, RollbackSecret, RollbackSecretInput{
		SecretID:               o.SecretID,
		Strategy:               o.Strategy,
		ExpectCurrentVersionID: o.VersionID,
		Environment:            stage.Name,
		Reason:                 reason,
		SkipMetrics:            true,
		PreviousVersionID:      o.OriginalPreviousVersionID,
		RestorePrevious:        o.PreviousKnown,
	}).Get(ctx, &res)
	o.LastStep = activities.StepRollback
	switch {
	case err == nil:
		o.Status, o.Error = StatusRolledBack, "rolled back: "+reason
	case isAlreadyRotating(err):
		o.Status, o.ErrorType = StatusFailed, ErrAlreadyRotating
		o.Error = "ROLLBACK NOT DONE (" + reason + "): " + alreadyRotatingMessage(o.SecretID)
		t.attention = true
	default:
		msg, typ := describeError(err)
		o.Status, o.ErrorType = StatusFailed, typ
		o.Error = "ROLLBACK FAILED (" + reason + "): " + msg
		t.attention = true
	}
	if t.attention {
		workflow.GetLogger(ctx).Error("ROLLBACK FAILED: a promoted secret was not restored and needs a human",
			"secret", o.SecretID, "version", o.VersionID, "error", o.Error)
	}
	tp.Status, tp.Step, tp.Error = o.Status, o.LastStep, o.Error
}
