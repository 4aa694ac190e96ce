package workflows

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
)

// How a stage rotates its targets (Stage.BatchSize).
const (
	// BatchSizeAuto: one child per target up to AutoBatchThreshold
	// targets, batches of DefaultBatchSize above.
	BatchSizeAuto = 0
	// BatchSizeNever: one RotateSecret child per target, whatever the size.
	BatchSizeNever = -1
	// AutoBatchThreshold is the largest stage BatchSizeAuto rotates with
	// one child per target.
	AutoBatchThreshold = 20
	// DefaultBatchSize is the batch size BatchSizeAuto picks.
	DefaultBatchSize = 100
	// batchesInFlight is how many batches of a stage run at once; the
	// stage's MaxParallel is shared between them.
	batchesInFlight = 2
)

// Batched stages (docs/architecture.md §4). One RotateSecret child and six
// activities per secret make Temporal, not the work, the bottleneck of a
// fleet rotation: about a dozen workflow tasks and activities per secret
// on a server that completes a few such workflows a second. A large stage
// therefore rotates its targets in batches: one RotateBatch activity
// takes up to BatchSize secrets each through create, set, test, promote
// and verify, and reports every secret's outcome; the stage's progress
// shows them per target as each batch reports.
//
// Every property of a child per target holds:
//
//   - One rotation per secret at a time: the batch takes a lease on each
//     secret (activities/lease.go), a staging label naming this run,
//     checked against every other run's lease and against an open
//     rotate/<secret> run (RotateSecret, RollbackSecret, the CLI), while
//     RotateSecret's create and RollbackSecret's restore keep away from a
//     live lease. The leases are held until the stage is decided and
//     released by FinishBatch.
//   - Rollback of exactly what was done: a secret that fails is rolled
//     back inside its batch as far as it got (the steps' own rule); when
//     the stage fails or is aborted, RollbackBatch rolls back every
//     secret of the stage this run promoted, under its lease. A batch whose
//     outcomes were lost (its activity failed as a whole) has every secret
//     rolled back with everything assumed done, which rollback handles by
//     reading the labels, and which leaves alone any secret this run never
//     took.
//   - Metrics: FinishBatch publishes each secret's rotation datums once
//     its stage is decided (so a secret rolled back by the stage counts as
//     rolled back), the last batch the stage's own.
//   - Abort and cancel: cancelling the stage cancels the running batches,
//     which roll back the secrets in flight, then the stage rolls back the
//     rest, in a disconnected context.
//
// RDS-managed master targets keep a child each: RDS rotates them.

// StageBatchSize is how many secrets each batch of the stage rotates, or
// 0 when the stage gives each target its own RotateSecret child (few
// targets, BatchSizeNever, or only RDS-managed masters, which RDS rotates).
func StageBatchSize(stage Stage) int {
	n := 0
	for _, t := range stage.Targets {
		if t.Strategy != activities.StrategyManagedMaster {
			n++
		}
	}
	switch {
	case n == 0, stage.BatchSize == BatchSizeNever, stage.BatchSize == BatchSizeAuto && n <= AutoBatchThreshold:
		return 0
	case stage.BatchSize > 0:
		return stage.BatchSize
	}
	return DefaultBatchSize
}

// batched reports whether stage i rotates in batches, recording the
// version marker only for a stage that would.
func (s *stagedRun) batched(ctx workflow.Context, i int) bool {
	stage := s.plan.Stages[i]
	if StageBatchSize(stage) == 0 {
		return false
	}
	info := workflow.GetInfo(ctx).WorkflowExecution
	if !activities.LeaseLabelFits(info.ID, info.RunID) {
		workflow.GetLogger(ctx).Warn("workflow id too long for a lease label: rotating the stage with one child per target",
			"stage", stage.Name, "workflowID", info.ID)
		return false
	}
	return workflow.GetVersion(ctx, changeStagedBatches, workflow.DefaultVersion, stagedBatchesV1) >= stagedBatchesV1
}

// stageBatch is one batch of a stage: indices into its targets.
type stageBatch struct {
	idx     []int
	started bool
}

// batchedStage is a batched stage's state while it runs.
type batchedStage struct {
	i       int
	holder  activities.LeaseHolder
	tokens  []string
	batches []stageBatch
	targets []stageTarget
	// lost: the target's outcome never came back (its batch failed as a
	// whole); it is rolled back with everything assumed done.
	lost     []bool
	parallel int
}

// runBatchedStage is runStage for a batched stage, from the moment it
// starts to its status.
func (s *stagedRun) runBatchedStage(ctx, stageCtx workflow.Context, i int) string {
	stage := s.plan.Stages[i]
	sp := &s.progress.Stages[i]
	info := workflow.GetInfo(ctx).WorkflowExecution
	b := &batchedStage{
		i:        i,
		holder:   activities.LeaseHolder{WorkflowID: info.ID, RunID: info.RunID},
		tokens:   make([]string, len(stage.Targets)),
		targets:  make([]stageTarget, len(stage.Targets)),
		lost:     make([]bool, len(stage.Targets)),
		parallel: stage.MaxParallel,
	}
	if b.parallel == 0 {
		b.parallel = defaultMaxParallel
	}
	size := stage.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	// Every attempt of a batch, and a replay, rotates each secret to the
	// same version: the token names the run (engine.Token). It is the
	// current run's, like the lease's holder: a reset run is a new holder,
	// whose batches start afresh (the old run's leases are stale, its
	// pending versions cleared). Stages of runs started before that
	// derived it from a seed recorded in history.
	tokenFor := func(secretID string) string { return engine.Token(info.RunID, SecretName(secretID)) }
	if workflow.GetVersion(ctx, changeRunTokens, workflow.DefaultVersion, runTokensV1) == workflow.DefaultVersion {
		var seed string
		if err := workflow.SideEffect(ctx, func(workflow.Context) any { return uuid.NewString() }).Get(&seed); err != nil {
			seed = info.RunID
		}
		space := uuid.NewSHA1(uuid.NameSpaceOID, []byte(seed))
		tokenFor = func(secretID string) string { return uuid.NewSHA1(space, []byte(SecretName(secretID))).String() }
	}
	var masters []int
	for j, t := range stage.Targets {
		if t.Strategy == activities.StrategyManagedMaster {
			masters = append(masters, j)
			continue
		}
		b.tokens[j] = tokenFor(t.SecretID)
		if n := len(b.batches); n == 0 || len(b.batches[n-1].idx) == size {
			b.batches = append(b.batches, stageBatch{})
		}
		b.batches[len(b.batches)-1].idx = append(b.batches[len(b.batches)-1].idx, j)
	}

	stageFailed := s.rotateMasters(stageCtx, i, masters, b.targets, b.parallel)
	// Batches start in plan order, batchesInFlight at once, sharing the
	// stage's MaxParallel; once one has not succeeded, none further starts.
	inflight := max(1, min(batchesInFlight, b.parallel, len(b.batches)))
	per := max(1, b.parallel/inflight)
	sem := workflow.NewSemaphore(ctx, int64(inflight))
	wg := workflow.NewWaitGroup(ctx)
	for k := range b.batches {
		if stageFailed || s.aborted || stageCtx.Err() != nil {
			break
		}
		if err := sem.Acquire(stageCtx, 1); err != nil {
			break
		}
		if stageFailed || s.aborted || stageCtx.Err() != nil {
			sem.Release(1)
			break
		}
		b.batches[k].started = true
		wg.Add(1)
		workflow.Go(stageCtx, func(gctx workflow.Context) {
			defer wg.Done()
			defer sem.Release(1)
			if !s.rotateBatch(gctx, b, k, per) {
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
		s.rollbackBatched(ctx, b, s.rollbackReason(stage, b.targets))
	}
	sp.FinishedAt = workflow.Now(ctx)
	sp.Status = stageStatus(b.targets, s.aborted)
	for j := range b.targets {
		if b.targets[j].ran {
			s.outcomes = append(s.outcomes, b.targets[j].outcome)
		}
	}
	s.finishBatches(ctx, b, masters)
	return sp.Status
}

// rotateMasters rotates a batched stage's RDS-managed master targets, each
// with its own child as in an unbatched stage; false when all succeeded.
func (s *stagedRun) rotateMasters(ctx workflow.Context, i int, masters []int, targets []stageTarget, parallel int) (failed bool) {
	sem := workflow.NewSemaphore(ctx, int64(parallel))
	wg := workflow.NewWaitGroup(ctx)
	for _, j := range masters {
		if err := sem.Acquire(ctx, 1); err != nil {
			break
		}
		if failed || s.aborted || ctx.Err() != nil {
			sem.Release(1)
			break
		}
		wg.Add(1)
		workflow.Go(ctx, func(gctx workflow.Context) {
			defer wg.Done()
			defer sem.Release(1)
			targets[j] = s.rotateTarget(gctx, i, j)
			if targets[j].outcome.Status != StatusSucceeded {
				failed = true
			}
		})
	}
	wg.Wait(ctx)
	return failed
}

// rotateBatch runs batch k and records its targets' outcomes; false when
// any did not succeed.
func (s *stagedRun) rotateBatch(ctx workflow.Context, b *batchedStage, k, per int) bool {
	stage := s.plan.Stages[b.i]
	batch := b.batches[k]
	in := activities.RotateBatchInput{Holder: b.holder, Environment: stage.Name, Validators: stage.Validators,
		Concurrency: per, StepTimeout: stage.StepTimeout, OutageBudget: s.plan.OutageBudget, Drain: stage.Drain}
	step := fmt.Sprintf("batch %d/%d", k+1, len(b.batches))
	for _, j := range batch.idx {
		t := stage.Targets[j]
		in.Targets = append(in.Targets, activities.BatchTarget{SecretID: t.SecretID, Token: b.tokens[j], Strategy: t.Strategy,
			Probes: t.Probes, LockID: SecretWorkflowID(t.SecretID)})
		tp := &s.progress.Stages[b.i].Targets[j]
		tp.Status, tp.Step = StatusRunning, step
	}
	var a *activities.Activities
	var res activities.RotateBatchResult
	err := workflow.ExecuteActivity(withBatchOptions(ctx, len(in.Targets), per, stage), a.RotateBatch, in).Get(ctx, &res)
	if err == nil && len(res.Outcomes) != len(batch.idx) {
		err = fmt.Errorf("RotateBatch returned %d outcomes for %d targets", len(res.Outcomes), len(batch.idx))
	}
	if err != nil {
		msg, typ := describeError(err)
		workflow.GetLogger(ctx).Warn("a batch failed as a whole; its secrets will be rolled back", "stage", stage.Name, "batch", k+1, "error", err)
		for _, j := range batch.idx {
			b.lost[j] = true
			t := stage.Targets[j]
			b.targets[j] = stageTarget{ran: true, outcome: TargetOutcome{SecretID: t.SecretID, Environment: stage.Name, Strategy: t.Strategy,
				Status: StatusFailed, LastStep: step, VersionID: b.tokens[j], Error: "batch failed: " + msg, ErrorType: typ}}
			s.showTarget(b, j)
		}
		return false
	}
	ok := true
	for n, o := range res.Outcomes {
		j := batch.idx[n]
		b.targets[j] = batchTarget(stage, stage.Targets[j], b.tokens[j], o)
		s.showTarget(b, j)
		if o.Status != activities.BatchSucceeded {
			ok = false
		}
	}
	return ok
}

// batchTarget is what the stage knows of a target from its batch outcome.
func batchTarget(stage Stage, t Target, token string, o activities.BatchOutcome) stageTarget {
	out := TargetOutcome{SecretID: t.SecretID, Environment: stage.Name, Strategy: t.Strategy, Status: o.Status,
		LastStep: o.LastStep, VersionID: token, PreviousVersionID: o.PreviousVersionID, Promoted: o.Promoted,
		OriginalPreviousVersionID: o.OriginalPreviousVersionID, PreviousKnown: o.PreviousKnown,
		ValidationFailed: o.ValidationFailed, StaleCleared: o.StaleCleared, Error: o.Error, ErrorType: o.ErrorType, DurationMS: o.DurationMS}
	if o.Drain.Notable() {
		out.Drain = o.Drain
	}
	if o.ErrorType == activities.ErrAlreadyRotating {
		out.ErrorType = ErrAlreadyRotating
	}
	return stageTarget{ran: o.Status != activities.BatchSkipped, outcome: out, attention: o.Attention}
}

func (s *stagedRun) showTarget(b *batchedStage, j int) {
	tp := &s.progress.Stages[b.i].Targets[j]
	o := b.targets[j].outcome
	tp.Status, tp.Step, tp.Error, tp.StaleCleared, tp.Drain = o.Status, o.LastStep, o.Error, o.StaleCleared, o.Drain
}

// rollbackBatched rolls back, under this run's leases, every batched
// target the stage promoted and every target whose outcome was lost, in a
// disconnected context; managed-master targets are reported as in an
// unbatched stage.
func (s *stagedRun) rollbackBatched(ctx workflow.Context, b *batchedStage, reason string) {
	stage := s.plan.Stages[b.i]
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	size := stage.BatchSize
	if size <= 0 {
		size = DefaultBatchSize
	}
	var todo []int
	for j := range b.targets {
		t := &b.targets[j]
		tp := &s.progress.Stages[b.i].Targets[j]
		switch {
		case stage.Targets[j].Strategy == activities.StrategyManagedMaster:
			if t.ran && t.outcome.Status == StatusSucceeded {
				tp.Error = "not rolled back (" + reason + "): RDS rotated the master password itself and credstage cannot undo it"
			}
		case b.lost[j] || t.ran && t.outcome.Status == StatusSucceeded:
			todo = append(todo, j)
			tp.Status, tp.Step = StatusRunning, activities.StepRollback
		}
	}
	var a *activities.Activities
	for start := 0; start < len(todo); start += size {
		chunk := todo[start:min(start+size, len(todo))]
		in := activities.RollbackBatchInput{Holder: b.holder, Concurrency: b.parallel}
		for _, j := range chunk {
			o := b.targets[j].outcome
			rt := activities.BatchRollbackTarget{SecretID: o.SecretID, Token: b.tokens[j], Strategy: stage.Targets[j].Strategy,
				PreviousVersionID: o.PreviousVersionID, OriginalPreviousVersionID: o.OriginalPreviousVersionID,
				PreviousKnown: o.PreviousKnown, PasswordSet: true, Promoted: true}
			in.Targets = append(in.Targets, rt)
		}
		var res activities.RollbackBatchResult
		err := workflow.ExecuteActivity(withBatchUndoOptions(dctx, len(chunk), b.parallel), a.RollbackBatch, in).Get(dctx, &res)
		for n, j := range chunk {
			t := &b.targets[j]
			o := &t.outcome
			o.LastStep = activities.StepRollback
			switch {
			case err != nil:
				msg, typ := describeError(err)
				o.Status, o.ErrorType, o.Error = StatusFailed, typ, "ROLLBACK FAILED ("+reason+"): "+msg
				t.attention = true
			case res.Outcomes[n].Status == activities.BatchRolledBack:
				o.Status = StatusRolledBack
				if b.lost[j] {
					o.Error = "rolled back (" + reason + "): " + o.Error
				} else {
					o.Error = "rolled back: " + reason
				}
			default:
				o.Status, o.ErrorType = StatusFailed, res.Outcomes[n].ErrorType
				o.Error = "ROLLBACK FAILED (" + reason + "): " + res.Outcomes[n].Error
				t.attention = true
			}
			t.ran = true
			if t.attention {
				workflow.GetLogger(ctx).Error("ROLLBACK FAILED: a secret was not restored and needs a human",
					"secret", o.SecretID, "version", o.VersionID, "error", o.Error)
			}
			s.showTarget(b, j)
		}
	}
}

// finishBatches releases the stage's leases and publishes its metrics,
// batch by batch, in a disconnected context: every batch that started is
// finished, whatever happened to the run.
func (s *stagedRun) finishBatches(ctx workflow.Context, b *batchedStage, masters []int) {
	stage := s.plan.Stages[b.i]
	sp := s.progress.Stages[b.i]
	dctx, cancel := workflow.NewDisconnectedContext(ctx)
	defer cancel()
	now := workflow.Now(ctx)
	extra := []activities.MetricDatum{datum(MetricStageDuration, float64(sp.FinishedAt.Sub(sp.StartedAt).Milliseconds()),
		unitMilliseconds, now, activities.Dimension{Name: engine.DimEnvironment, Value: sp.Name})}
	var masterOutcomes []activities.SecretOutcome
	for _, j := range masters {
		if b.targets[j].ran {
			extra = append(extra, rotationDatums(b.targets[j].outcome, now)...)
			masterOutcomes = append(masterOutcomes, rotationOutcome(b.targets[j].outcome, now))
		}
	}
	var last = -1
	for k := range b.batches {
		if b.batches[k].started {
			last = k
		}
	}
	if last < 0 {
		publishMetrics(ctx, s.plan.MetricsNamespace, extra, masterOutcomes...)
		return
	}
	var a *activities.Activities
	wg := workflow.NewWaitGroup(dctx)
	for k := range b.batches {
		if !b.batches[k].started {
			continue
		}
		in := activities.FinishBatchInput{Holder: b.holder, MetricsNamespace: s.plan.MetricsNamespace, Environment: stage.Name}
		for _, j := range b.batches[k].idx {
			t := b.targets[j]
			if !t.ran && !b.lost[j] {
				continue
			}
			in.Release = append(in.Release, activities.BatchRelease{SecretID: t.outcome.SecretID, Token: b.tokens[j]})
			in.Metrics = append(in.Metrics, activities.RotationMetric{SecretName: SecretName(t.outcome.SecretID), Status: t.outcome.Status,
				ValidationFailed: t.outcome.ValidationFailed, DurationMS: t.outcome.DurationMS})
			o := rotationOutcome(t.outcome, now)
			o.VersionID = b.tokens[j]
			in.Outcomes = append(in.Outcomes, o)
		}
		if k == last {
			in.Extra = extra
			in.Outcomes = append(in.Outcomes, masterOutcomes...)
		}
		wg.Add(1)
		workflow.Go(dctx, func(gctx workflow.Context) {
			defer wg.Done()
			var res activities.FinishBatchResult
			if err := workflow.ExecuteActivity(withFinishOptions(gctx), a.FinishBatch, in).Get(gctx, &res); err != nil {
				// The leases stay until the run closes, then they are stale
				// and the next rotation of each secret removes them.
				workflow.GetLogger(ctx).Error("leases not released", "stage", stage.Name, "batch", k+1, "error", err)
				return
			}
			if res.Metrics.Failed > 0 {
				workflow.GetLogger(ctx).Warn("some metrics not published", "stage", stage.Name, "failed", res.Metrics.Failed, "error", res.Metrics.LastError)
			}
		})
	}
	wg.Wait(dctx)
}

// withBatchOptions: a batch runs each secret's steps with RotateSecret's
// per-step bounds (retries inside the activity), so an attempt may take a
// while; heartbeats every few seconds show it is alive, and an attempt
// whose worker died is retried (it resumes from its heartbeats).
func withBatchOptions(ctx workflow.Context, n, per int, stage Stage) workflow.Context {
	step := engine.StepTimeout(stage.StepTimeout)
	// Each wave of `per` secrets could spend every step's timeout.
	waves := (n + per - 1) / per
	attempt := time.Duration(waves)*(5*step+stage.drainWait()) + 30*time.Minute
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    attempt,
		ScheduleToCloseTimeout: 2 * attempt,
		// A batch heartbeats every few seconds (and fences itself before
		// this passes unanswered), so a worker that died is noticed and
		// its batch resumed elsewhere within half a minute.
		HeartbeatTimeout:    engine.StepHeartbeatTimeout,
		RetryPolicy:         retryPolicy(engine.RetryMax),
		WaitForCancellation: true,
	})
}

// withBatchUndoOptions: like withUndoOptions, for a batch of rollbacks.
func withBatchUndoOptions(ctx workflow.Context, n, per int) workflow.Context {
	waves := (n + per - 1) / per
	attempt := time.Duration(waves)*30*time.Minute + 30*time.Minute
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    attempt,
		ScheduleToCloseTimeout: 2 * attempt,
		HeartbeatTimeout:       2 * time.Minute,
		RetryPolicy:            retryPolicy(time.Minute),
		WaitForCancellation:    true,
	})
}

// withFinishOptions: releasing leases keeps trying, like an undo; the
// metrics part never fails.
func withFinishOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    5 * time.Minute,
		ScheduleToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:       2 * time.Minute,
		RetryPolicy:            retryPolicy(time.Minute),
	})
}
