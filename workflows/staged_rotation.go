package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// defaultMaxParallel applies when a stage's MaxParallel is 0.
const defaultMaxParallel = 4

// StagedRotation runs a rotation plan (docs/architecture.md §4): stages in order,
// each after the one before succeeded, baked and (when it asks) was
// approved (a Bake runs only between stages: nothing follows the last).
// A stage rotates its targets as RotateSecret children, in plan order, at
// most MaxParallel (default 4) at once, each under the workflow ID
// rotate/<secret> (the one-run-per-secret lock; a target whose lock is
// held fails with "secret X is already being rotated by workflow
// rotate/X"). An abort during a bake ends the run without undoing the
// stage that baked (it succeeded and was verified). When a
// target of a stage does not succeed, no further target of the stage
// starts; once the running ones end, every target of the stage promoted
// in this run is rolled back (RollbackSecret children) and later stages
// never start. The abort update cancels the running stage (its children
// roll themselves back), rolls back its promoted targets, and ends the
// run; cancelling the workflow does the same.
//
// The run answers the progress query (Progress), and keeps its search
// attributes current: CredstageEnvironment = the current stage's name,
// CredstageSecret = the plan's name (a plan is what a staged run rotates),
// CredstageStatus = running, awaiting-approval, baking, then succeeded,
// rolled-back, aborted or failed. It ends with a readable summary in its
// result and memo ("summary").
//
// Like RotateSecret it COMPLETES with its result whatever the status,
// except status failed (a rollback failed: a human must look), where it
// FAILS with a non-retryable ApplicationError of type ErrRotationFailed
// whose details hold the result. An invalid plan fails at once with type
// InvalidInput naming the fields. Between stages, when the server
// suggests it, the run continues as new with its state in Resume.
func StagedRotation(ctx workflow.Context, in StagedRotationInput) (StagedRotationResult, error) {
	if err := in.Plan.Validate(); err != nil {
		return StagedRotationResult{}, invalidPlan(err)
	}
	s, err := newStagedRun(ctx, in)
	if err != nil {
		return StagedRotationResult{}, err
	}
	if err := s.registerHandlers(ctx); err != nil {
		return StagedRotationResult{}, err
	}
	return s.run(ctx)
}

// stagedRun is a StagedRotation's state. Update handlers and the stage
// coroutines change it; workflow code runs one coroutine at a time, so no
// locking is needed.
type stagedRun struct {
	plan     Plan
	started  time.Time
	progress Progress
	// outcomes of every target that ran, stage by stage, in target order.
	outcomes []TargetOutcome
	// first is the stage this run (of a continue-as-new chain) began at.
	first int

	awaiting      int // stage index awaiting approval, -1 if none
	approvedStage int // last stage approved, -1 if none
	aborted       bool
	abort         AbortInput
	cancelStage   workflow.CancelFunc // cancels the running stage, nil between stages
	finished      bool
}

func newStagedRun(ctx workflow.Context, in StagedRotationInput) (*stagedRun, error) {
	s := &stagedRun{plan: in.Plan, awaiting: -1, approvedStage: -1}
	if r := in.Resume; r != nil {
		if r.NextStage < 0 || r.NextStage > len(in.Plan.Stages) || len(r.Progress.Stages) != len(in.Plan.Stages) {
			return nil, invalidInput("resume: next stage %d and %d stages of progress do not fit a plan of %d stages",
				r.NextStage, len(r.Progress.Stages), len(in.Plan.Stages))
		}
		s.started, s.progress, s.outcomes, s.first = r.Started, r.Progress, r.Summary, r.NextStage
		return s, nil
	}
	s.started = workflow.Now(ctx)
	s.progress = Progress{Plan: in.Plan.Name, Status: StatusRunning}
	for _, st := range in.Plan.Stages {
		sp := StageProgress{Name: st.Name, Status: StatusPending, Targets: make([]TargetProgress, len(st.Targets))}
		for j, t := range st.Targets {
			sp.Targets[j] = TargetProgress{SecretID: t.SecretID, Status: StatusPending}
		}
		s.progress.Stages = append(s.progress.Stages, sp)
	}
	return s, nil
}

func (s *stagedRun) run(ctx workflow.Context) (StagedRotationResult, error) {
	s.setStatus(ctx, StatusRunning)
	for i := s.first; i < len(s.plan.Stages); i++ {
		if i > s.first && !s.aborted && ctx.Err() == nil && workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return s.continueAsNew(ctx, i)
		}
		if ctx.Err() != nil && !s.aborted {
			s.markAborted(ctx, AbortInput{Reason: "workflow cancelled"})
		}
		if s.aborted {
			break
		}
		if s.runStage(ctx, i) != StatusSucceeded {
			break
		}
		if i+1 < len(s.plan.Stages) && s.plan.Stages[i].Bake > 0 && !s.bake(ctx, i) {
			break
		}
	}
	for i := range s.progress.Stages {
		if s.progress.Stages[i].Status == StatusPending {
			s.progress.Stages[i].Status = StatusSkipped
			markPending(&s.progress.Stages[i], StatusSkipped)
		}
	}
	return s.finish(ctx)
}

// bake waits the stage's bake time on a durable timer; false when the run
// was aborted (or cancelled) meanwhile.
func (s *stagedRun) bake(ctx workflow.Context, i int) bool {
	sp := &s.progress.Stages[i]
	d := s.plan.Stages[i].Bake
	sp.Status, sp.BakeUntil = StatusBaking, workflow.Now(ctx).Add(d)
	s.setStatus(ctx, StatusBaking)
	timerCtx, cancelTimer := workflow.WithCancel(ctx)
	defer cancelTimer()
	timer := workflow.NewTimer(timerCtx, d)
	if workflow.GetVersion(ctx, changeConsumerWatch, workflow.DefaultVersion, consumerWatchV1) >= consumerWatchV1 {
		s.watchConsumers(ctx, i, d, timer)
	}
	err := workflow.Await(ctx, func() bool { return timer.IsReady() || s.aborted })
	sp.Status = StatusSucceeded
	if err != nil && !s.aborted {
		s.markAborted(ctx, AbortInput{Reason: "workflow cancelled"})
	}
	if s.aborted {
		return false
	}
	s.setStatus(ctx, StatusRunning)
	return true
}

// continueAsNew hands the run's state to a fresh run before stage next.
func (s *stagedRun) continueAsNew(ctx workflow.Context, next int) (StagedRotationResult, error) {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return StagedRotationResult{}, err
	}
	workflow.GetLogger(ctx).Info("continuing as new", "plan", s.plan.Name, "nextStage", next)
	return StagedRotationResult{}, workflow.NewContinueAsNewError(ctx, StagedRotation, s.resumeInput(next))
}

// resumeInput is what the next run of the chain starts from. The outcomes
// of finished stages stay behind: nothing after them reads them (a bake
// watches its own stage's, before this), and at about 400 bytes a secret
// they would take a 10,000-secret plan's input past Temporal's 2 MB
// payload limit.
func (s *stagedRun) resumeInput(next int) StagedRotationInput {
	return StagedRotationInput{Plan: s.plan, Resume: &StagedRotationResume{NextStage: next, Progress: s.progress, Started: s.started}}
}

// setStatus records the run's status in progress and search attributes.
func (s *stagedRun) setStatus(ctx workflow.Context, status string) {
	s.progress.Status = status
	upsertSearchAttrs(ctx, searchAttrs{Environment: s.progress.CurrentStage, Secret: s.plan.Name, Status: status})
}

// runStatus is the whole run's status from its stages': failed when any
// stage needs a human, else aborted, else rolled-back, else succeeded.
func (s *stagedRun) runStatus() string {
	status := StatusSucceeded
	for _, sp := range s.progress.Stages {
		switch sp.Status {
		case StatusFailed:
			return StatusFailed
		case StatusRolledBack:
			status = StatusRolledBack
		}
	}
	if s.aborted {
		return StatusAborted
	}
	return status
}

func (s *stagedRun) finish(ctx workflow.Context) (StagedRotationResult, error) {
	s.finished = true
	status := s.runStatus()
	s.setStatus(ctx, status)
	res := StagedRotationResult{
		Plan:       s.plan.Name,
		Status:     status,
		Stages:     s.progress.Stages,
		DurationMS: workflow.Now(ctx).Sub(s.started).Milliseconds(),
	}
	res.Summary = s.summary(res)
	if err := workflow.UpsertMemo(ctx, map[string]any{"summary": res.Summary, "status": status}); err != nil {
		workflow.GetLogger(ctx).Warn("memo not updated", "error", err)
	}
	if status == StatusFailed {
		workflow.GetLogger(ctx).Error("STAGED ROTATION FAILED: a rollback failed; secrets need a human", "plan", s.plan.Name, "summary", res.Summary)
		return res, temporal.NewNonRetryableApplicationError(res.Summary, ErrRotationFailed, nil, res)
	}
	return res, nil
}

func markPending(sp *StageProgress, status string) {
	for j := range sp.Targets {
		if sp.Targets[j].Status == StatusPending {
			sp.Targets[j].Status = status
		}
	}
}
