package workflows

import (
	"fmt"

	"go.temporal.io/sdk/workflow"
)

// registerHandlers installs the progress query and the approve and abort
// updates.
func (s *stagedRun) registerHandlers(ctx workflow.Context) error {
	if err := workflow.SetQueryHandler(ctx, QueryProgress, func() (Progress, error) { return s.progress, nil }); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateApprove, s.approve,
		workflow.UpdateHandlerOptions{Validator: s.validateApprove}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, UpdateAbort, s.abortRun,
		workflow.UpdateHandlerOptions{Validator: s.validateAbort})
}

// awaitApproval blocks stage i until it is approved (true) or the run is
// aborted or cancelled (false).
func (s *stagedRun) awaitApproval(ctx workflow.Context, i int) bool {
	s.awaiting = i
	s.progress.Stages[i].Status = StatusAwaitingApproval
	s.setStatus(ctx, StatusAwaitingApproval)
	err := workflow.Await(ctx, func() bool { return s.approvedStage == i || s.aborted })
	s.awaiting = -1
	if err != nil && !s.aborted {
		s.markAborted(ctx, AbortInput{Reason: "workflow cancelled"})
	}
	return !s.aborted
}

// validateApprove accepts an approval only while a stage awaits one, and,
// when the approval names a stage, only for that stage: an approval meant
// for staging must not let production through.
func (s *stagedRun) validateApprove(ctx workflow.Context, in ApproveInput) error {
	if s.awaiting < 0 || s.aborted || s.finished {
		return fmt.Errorf("no stage of plan %s is awaiting approval (status %s)", s.plan.Name, s.progress.Status)
	}
	if name := s.plan.Stages[s.awaiting].Name; in.Stage != "" && in.Stage != name {
		return fmt.Errorf("stage %s is awaiting approval, not %s", name, in.Stage)
	}
	return nil
}

func (s *stagedRun) approve(ctx workflow.Context, in ApproveInput) (string, error) {
	name := s.plan.Stages[s.awaiting].Name
	s.approvedStage = s.awaiting
	workflow.GetLogger(ctx).Info("stage approved", "plan", s.plan.Name, "stage", name, "approver", in.Approver, "comment", in.Comment)
	return "stage " + name + " approved", nil
}

// validateAbort accepts an abort any time before the run has finished.
func (s *stagedRun) validateAbort(ctx workflow.Context, in AbortInput) error {
	if s.finished {
		return fmt.Errorf("plan %s has already finished (status %s)", s.plan.Name, s.progress.Status)
	}
	return nil
}

func (s *stagedRun) abortRun(ctx workflow.Context, in AbortInput) (string, error) {
	if s.aborted {
		return "already aborting", nil
	}
	s.markAborted(ctx, in)
	return "aborting plan " + s.plan.Name, nil
}

// markAborted stops the run: a running stage is cancelled (its children
// roll themselves back) and later stages never start.
func (s *stagedRun) markAborted(ctx workflow.Context, in AbortInput) {
	s.aborted, s.abort = true, in
	workflow.GetLogger(ctx).Warn("run aborted", "plan", s.plan.Name, "by", in.By, "reason", in.Reason)
	if s.cancelStage != nil {
		s.cancelStage()
	}
}
