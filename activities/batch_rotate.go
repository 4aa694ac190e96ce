package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/engine"
)

// RotateBatch rotates a batch of a stage's secrets (docs/architecture.md
// §2, §4): one activity instead of a RotateSecret workflow
// and six activities per secret, so a fleet's orchestration costs a few
// Temporal actions per hundred secrets rather than a dozen per secret.
func (a *Activities) RotateBatch(ctx context.Context, in RotateBatchInput) (RotateBatchResult, error) {
	return a.rotateBatch(ctx, in)
}

// rotateBatch runs every target through the same steps as RotateSecret,
// each secret on its own, at most in.Concurrency at once, in input order:
//
//	create (acquireAndCreate: the lease, and a single user's AWSPENDING)
//	→ set → test (the one fresh login) → promote → verify
//
// Each step runs under the engine's rules (stepRun): transient failures
// retried with the engine's backoff for up to in.StepTimeout, a database
// outage waited out for up to in.OutageBudget; a secret whose step fails
// for good is rolled back at once, exactly as far as engine.Undo says it
// may have got. A secret promoted whose verify met an outage past the
// budget is left promoted (engine.StatusPromotedUnverified).
// Once one secret has not succeeded no further one starts (they are
// skipped), like a stage's children. The stage's HTTP and alarm
// validators run once for the batch after its secrets are promoted; when
// one fails, every secret the batch promoted is rolled back.
//
// Leases stay held when it returns: the workflow releases them
// (FinishBatch) once the whole stage is verified or rolled back, because
// a later failure in the stage rolls these secrets back too.
//
// Cancelling it (an abort) lets every secret in flight finish its current
// step, then rolls that secret back; the result still reports every
// outcome. Outcomes are heartbeated, so an attempt that follows a worker's
// death skips the secrets already settled and resumes the others from
// what their labels say.
func (a *Activities) rotateBatch(ctx context.Context, in RotateBatchInput) (RotateBatchResult, error) {
	if err := a.validateBatch(in.Holder, len(in.Targets)); err != nil {
		return RotateBatchResult{}, err
	}
	for i, t := range in.Targets {
		if err := validateStep(t.step(in.Environment)); err != nil {
			return RotateBatchResult{}, err
		}
		if strings.TrimSpace(t.LockID) == "" {
			return RotateBatchResult{}, invalidInput("batch target %d (%s): lockId is required", i, t.SecretID)
		}
	}
	for i, v := range in.Validators {
		if n := validatorKinds(v); n != 1 {
			return RotateBatchResult{}, invalidInput("batch: validator %d (%q) must set exactly one of sql, http, alarm", i, v.Name)
		}
	}

	b := &batchRun{a: a, in: in, actx: ctx, outcomes: make([]BatchOutcome, len(in.Targets)), stop: workerStopChannel(ctx)}
	if activity.IsActivity(ctx) {
		b.attempt = activity.GetInfo(ctx).Attempt
	}
	b.openContexts(ctx)
	defer b.cancelSteps()
	b.resume()
	stopBeat := b.heartbeatLoop()
	done := make(chan struct{})
	go b.interruptOnAbort(done)
	b.prepareFence()
	go b.watchAttempt(done)
	go func() {
		defer close(done)
		b.runAll(func(i int) BatchOutcome { return b.rotateOne(in.Targets[i]) })
		if !b.leaving() {
			b.batchValidators()
		}
	}()
	if b.awaitOrHandOver(done) {
		stopBeat()
		heartbeat(ctx, b.snapshot())
		return RotateBatchResult{}, handoverError("batch")
	}
	stopBeat()
	if b.fenced.Load() {
		return RotateBatchResult{}, fencedError()
	}
	res := RotateBatchResult{Outcomes: b.snapshot()}
	heartbeat(ctx, res.Outcomes)
	counts := map[string]int{}
	for _, o := range res.Outcomes {
		counts[o.Status]++
	}
	logger(ctx).Info("batch rotated", "holder", in.Holder.String(), "targets", len(in.Targets), "outcomes", counts)
	return res, nil
}

func (a *Activities) validateBatch(h LeaseHolder, n int) error {
	if err := h.Validate(); err != nil {
		return err
	}
	if n == 0 {
		return invalidInput("batch: no targets")
	}
	if a.runs == nil {
		return invalidInput("batched rotation needs a RunChecker (activities.Options.Runs) to judge leases; the worker sets one from its Temporal client")
	}
	return nil
}

func (t BatchTarget) step(env string) RotationStep {
	return RotationStep{SecretID: t.SecretID, Token: t.Token, Strategy: t.Strategy, Environment: env, Probes: t.Probes}
}

// openContexts makes the two contexts a batch's work runs in. Undos run
// in uctx, which ends at the activity's deadline but not when the
// activity is cancelled: undoing is what an abort asks for. Steps run in
// sctx, which an abort also ends (interruptOnAbort), so a call in flight
// (a statement waiting on a lock, a login to a black-holed host) is
// interrupted rather than waited for; the interrupted step counts as may
// have acted (engine.MayHaveActed) and its secret's rollback starts once
// the call has returned. A stopping worker is no abort: it hands over
// instead (batch_handover.go) and interrupts nothing.
func (b *batchRun) openContexts(ctx context.Context) {
	uctx := context.WithoutCancel(ctx)
	var cancelUndo context.CancelFunc
	if d, ok := ctx.Deadline(); ok {
		uctx, cancelUndo = context.WithDeadline(uctx, d)
	} else {
		uctx, cancelUndo = context.WithCancel(uctx)
	}
	sctx, cancel := context.WithCancel(uctx)
	b.uctx, b.sctx = uctx, sctx
	b.interruptSteps = cancel
	b.cancelSteps = func() { cancel(); cancelUndo() }
}

// interruptOnAbort ends the steps' context when the batch is cancelled
// (an abort) before done, unless the worker is handing the batch over.
// Any other end of the activity's context (the server timed this attempt
// out, the worker lost the server, the worker is shutting down, the
// attempt's deadline passed) is no abort: the attempt fences itself, so
// that nothing is rolled back by an attempt another one may be resuming.
func (b *batchRun) interruptOnAbort(done <-chan struct{}) {
	select {
	case <-b.actx.Done():
		switch {
		case b.handover.Load():
		case aborted(b.actx):
			b.interruptSteps()
		default:
			b.fence("the activity's context ended without an abort: " + context.Cause(b.actx).Error())
		}
	case <-done:
	}
}

// aborted reports whether ctx was cancelled by a cancellation request
// (an abort, or the run being cancelled), as opposed to the SDK ending
// the attempt for another cause. A plain cancellation (no SDK cause, as
// in tests) counts as an abort.
func aborted(ctx context.Context) bool {
	cause := context.Cause(ctx)
	var canceled *temporal.CanceledError
	return errors.As(cause, &canceled) || cause == context.Canceled
}

// ending reports an attempt whose context ended without an abort; it
// fences itself (see interruptOnAbort) rather than rolling back.
func (b *batchRun) ending() bool {
	if b.actx.Err() == nil || aborted(b.actx) {
		return false
	}
	b.fence("the activity's context ended without an abort: " + context.Cause(b.actx).Error())
	return true
}

// batchRun is one attempt of a batch activity.
type batchRun struct {
	a              *Activities
	in             RotateBatchInput
	actx           context.Context // cancelled by an abort
	sctx           context.Context // steps: see openContexts
	uctx           context.Context // undos: see openContexts
	interruptSteps context.CancelFunc
	cancelSteps    context.CancelFunc

	mu       sync.Mutex
	outcomes []BatchOutcome
	stopped  bool // a secret did not succeed: start no further one

	// attempt is the activity attempt this run acts as on the leases
	// (lease_fence.go); 0 outside an activity. resumed: an earlier attempt
	// of the batch ran (so any secret may have been started).
	attempt int32
	resumed bool

	// stop is the worker's stop channel; handover is set once it closed
	// (batch_handover.go): no new step starts, nothing is rolled back.
	stop     <-chan struct{}
	handover atomic.Bool
	// fenced: the attempt's heartbeats went unacknowledged (batch_fence.go):
	// like a handover, no new step, nothing rolled back.
	fenced atomic.Bool
	// The watch of the attempt's acknowledgement (batch_fence.go), set up
	// before any step: lastAck (unix nanoseconds) is when the server last
	// confirmed the attempt, fenceAfter how long it may act without that
	// (0: not watched).
	checker    AttemptChecker
	info       activity.Info
	checkEvery time.Duration
	fenceAfter time.Duration
	lastAck    atomic.Int64
}

// resume takes the outcomes a previous attempt heartbeated.
func (b *batchRun) resume() {
	b.resumed = b.attempt > 1
	if !activity.IsActivity(b.actx) || !activity.HasHeartbeatDetails(b.actx) {
		return
	}
	b.resumed = true
	var prev []BatchOutcome
	if err := activity.GetHeartbeatDetails(b.actx, &prev); err != nil || len(prev) != len(b.outcomes) {
		return
	}
	for i, o := range prev {
		if o.Status != "" && o.SecretID == b.in.Targets[i].SecretID {
			b.outcomes[i] = o
			if o.Status != BatchSucceeded {
				b.stopped = true
			}
		}
	}
}

func (b *batchRun) snapshot() []BatchOutcome {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]BatchOutcome(nil), b.outcomes...)
}

// heartbeatLoop heartbeats the settled outcomes until stopped.
func (b *batchRun) heartbeatLoop() (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(engine.HeartbeatEvery)
		defer t.Stop()
		for {
			heartbeat(b.actx, b.snapshot())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}

// runAll settles every target not settled yet, at most Concurrency at
// once, in order; once one has not succeeded, or the batch is cancelled,
// the rest are skipped.
func (b *batchRun) runAll(one func(i int) BatchOutcome) {
	workers := max(1, b.in.Concurrency)
	next := 0
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				b.mu.Lock()
				i := next
				next++
				if i >= len(b.outcomes) {
					b.mu.Unlock()
					return
				}
				if b.outcomes[i].Status == batchUndoing {
					// An earlier attempt began this secret's rollback:
					// finish it rather than the rotation.
					b.mu.Unlock()
					o := b.finishUndo(i)
					b.mu.Lock()
					b.outcomes[i] = o
					b.mu.Unlock()
					continue
				}
				if b.outcomes[i].Status != "" {
					b.mu.Unlock()
					continue
				}
				if b.leaving() {
					b.mu.Unlock()
					return // left unsettled for the next attempt
				}
				if b.stopped || b.actx.Err() != nil {
					reason := "not started: another secret of the stage did not succeed"
					if b.actx.Err() != nil {
						reason = "not started: the batch was cancelled"
					}
					if b.resumed {
						// An earlier attempt may have started it: undo
						// what it did, if it took the secret at all.
						b.mu.Unlock()
						o := b.undoIfTaken(i, reason)
						b.mu.Lock()
						b.outcomes[i] = o
						b.mu.Unlock()
						continue
					}
					b.outcomes[i] = BatchOutcome{SecretID: b.in.Targets[i].SecretID, Status: BatchSkipped, Error: reason}
					b.mu.Unlock()
					continue
				}
				b.mu.Unlock()
				o := one(i)
				if o.Status == "" {
					continue // handed over mid-way: the next attempt resumes it
				}
				b.mu.Lock()
				b.outcomes[i] = o
				if o.Status != BatchSucceeded {
					b.stopped = true
				}
				b.mu.Unlock()
				b.recordOutcome(i, o)
			}
		}()
	}
	wg.Wait()
}

// rotateOne takes one secret from create to verify.
func (b *batchRun) rotateOne(t BatchTarget) BatchOutcome {
	start := time.Now()
	o := BatchOutcome{SecretID: t.SecretID}
	step := t.step(b.in.Environment)
	step.Drain = b.in.Drain
	finish := func() BatchOutcome {
		o.DurationMS = time.Since(start).Milliseconds()
		return o
	}
	var acq acquired
	err := b.step(&o, step, StepCreate, func(ctx context.Context) (err error) {
		acq, err = b.a.acquireAndCreateAt(ctx, step, t.LockID, b.in.Holder, b.attempt)
		return err
	})
	if err != nil {
		b.fail(&o, step, err)
		return finish()
	}
	o.PreviousVersionID, o.StaleCleared = acq.res.CurrentVersionID, acq.res.StaleCleared
	o.OriginalPreviousVersionID, o.PreviousKnown = acq.res.PreviousVersionID, acq.res.PreviousKnown
	// set. When an earlier attempt got as far as promotion, it may have
	// died between promote's two label moves (AWSPENDING still on the
	// token), or in a rollback cut after it gave the database the old
	// password back but before AWSCURRENT moved: set makes sure the
	// database holds the token's password (a SCRAM check, nothing when it
	// does) and promote finishes what is left; test was done then.
	var clock drainClock
	if err := b.step(&o, step, StepSet, func(ctx context.Context) error {
		res, err := b.a.setPendingPassword(ctx, step, acq.pending)
		clock.observe(&res, err)
		o.Drain = res.Drain
		return err
	}); err != nil {
		b.fail(&o, step, err)
		return finish()
	}
	o.PasswordSet = true
	if !acq.promoted {
		if err := b.step(&o, step, StepTest, func(ctx context.Context) error {
			_, err := b.a.testPendingLogin(ctx, step, acq.pending)
			return err
		}); err != nil {
			b.fail(&o, step, err)
			return finish()
		}
	}
	if err := b.step(&o, step, StepPromote, func(ctx context.Context) error {
		if acq.promoted {
			_, err := b.a.promoteAs(ctx, PromoteInput{Step: step, CurrentVersionID: acq.res.CurrentVersionID}, true)
			return err
		}
		return b.a.promoteKnown(ctx, step, acq.res.CurrentVersionID, acq.pendingLabel)
	}); err != nil {
		b.fail(&o, step, err)
		return finish()
	}
	o.Promoted = true
	if err := b.step(&o, step, StepVerify, func(ctx context.Context) error {
		return b.a.verifyLeased(ctx, step, b.in.Validators)
	}); err != nil {
		if engine.Unverified(o.Promoted, err) {
			o.Status = BatchPromotedUnverified
			o.Error, o.ErrorType = describeStepError(err)
			logger(b.actx).Error("promoted but not verified: the database stayed unreachable past the outage budget",
				"secret", step.SecretID, "error", o.Error)
			return finish()
		}
		b.fail(&o, step, err)
		return finish()
	}
	o.Status = BatchSucceeded
	return finish()
}

// step runs one step of one secret under the engine's rules (stepRun),
// unless the batch was cancelled before it started.
func (b *batchRun) step(o *BatchOutcome, step RotationStep, name string, fn func(context.Context) error) error {
	o.LastStep = name
	switch {
	case b.fenced.Load() || !b.acknowledged() || b.ending():
		return errFenced
	case b.handover.Load():
		return errHandover
	case b.actx.Err() != nil:
		return engine.ErrNotStarted
	}
	r := stepRun{name: name, budget: engine.OutageBudget(b.in.OutageBudget), transientFor: engine.StepTimeout(b.in.StepTimeout),
		acts: stepActs(name), stop: b.stop}
	return r.run(b.actx, b.sctx, secretSubject(step.SecretID), fn)
}

func isFinal(err error) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.NonRetryable()
}

// fail records why a secret's rotation stopped and rolls back exactly what
// was done (rollback reads the actual labels too).
func (b *batchRun) fail(o *BatchOutcome, step RotationStep, err error) {
	if isErrorType(err, ErrAttemptFenced) {
		// A later attempt holds this secret: this one is stale and stops
		// acting on every secret, not only this one.
		b.fence(errMessage(err))
	}
	if b.leaving() || handingOver(err) {
		// A stopping worker rolls nothing back: the secret is left as it
		// is for the next attempt, which resumes it from its labels.
		*o = BatchOutcome{}
		return
	}
	o.Error, o.ErrorType = describeStepError(err)
	o.ValidationFailed = o.ErrorType == ErrValidationFailed
	o.Status = BatchRolledBack
	logger(b.actx).Warn("batched rotation step failed; rolling back", "secret", step.SecretID,
		"step", o.LastStep, "error", o.Error, "type", o.ErrorType)
	undo, needed := engine.Undo(o.LastStep, err, engine.Done{PasswordSet: o.PasswordSet, Promoted: o.Promoted})
	if !needed {
		if o.ErrorType == ErrAlreadyRotating {
			o.Status = BatchFailed // as a RotateSecret whose lock is held
		}
		return // refused before writing anything
	}
	o.PasswordSet, o.Promoted = undo.PasswordSet, undo.Promoted
	b.markUndoing(*o)
	b.undo(o, undoInput(step, *o), "after step "+o.LastStep+" failed")
}

// batchUndoing is the heartbeated status of a secret whose rollback has
// begun: an attempt that resumes the batch finishes the rollback
// (finishUndo) instead of resuming the rotation. It never leaves the
// activity: every secret so marked is settled before the batch returns.
const batchUndoing = "undoing"

// undoInput is the rollback of what outcome o says was done.
func undoInput(step RotationStep, o BatchOutcome) RollbackInput {
	return RollbackInput{Step: step, CurrentVersionID: o.PreviousVersionID, PreviousVersionID: o.OriginalPreviousVersionID,
		RestorePrevious: o.PreviousKnown, PasswordSet: o.PasswordSet, Promoted: o.Promoted}
}

// markUndoing records, for the heartbeat, that o's rollback has begun.
func (b *batchRun) markUndoing(o BatchOutcome) {
	o.Status = batchUndoing
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, t := range b.in.Targets {
		if t.SecretID == o.SecretID {
			b.outcomes[i] = o
			return
		}
	}
}

// finishUndo finishes a rollback an earlier attempt began (batchUndoing).
func (b *batchRun) finishUndo(i int) BatchOutcome {
	b.mu.Lock()
	o := b.outcomes[i]
	b.mu.Unlock()
	o.Status = BatchRolledBack
	b.undo(&o, undoInput(b.in.Targets[i].step(b.in.Environment), o), "resumed after step "+o.LastStep+" failed")
	return o
}

// undoIfTaken settles a secret this attempt will not rotate, in a batch
// an earlier attempt may have worked on: if the secret carries this run's
// lease, that attempt took it and may have gone as far as promotion, so it
// is rolled back with everything assumed done (the rollback reads the
// labels); otherwise it is skipped, untouched.
func (b *batchRun) undoIfTaken(i int, reason string) BatchOutcome {
	t := b.in.Targets[i]
	o := BatchOutcome{SecretID: t.SecretID, Status: BatchSkipped, Error: reason}
	st, err := b.a.describeSecret(b.uctx, t.SecretID)
	if err == nil {
		if labels, _ := st.heldBy(t.Token, b.in.Holder); len(labels) == 0 {
			return o
		}
	}
	o.Status, o.LastStep, o.PasswordSet, o.Promoted = BatchRolledBack, StepRollback, true, true
	b.undo(&o, undoInput(t.step(b.in.Environment), o), "("+reason+"; an earlier attempt had taken the secret)")
	return o
}

// undo rolls one secret back under the holder's lease, recording the
// result in o.
func (b *batchRun) undo(o *BatchOutcome, in RollbackInput, why string) {
	r := stepRun{name: StepRollback, budget: engine.UndoTimeout, transientFor: engine.UndoTimeout}
	err := r.run(b.uctx, b.uctx, secretSubject(in.Step.SecretID), func(ctx context.Context) error {
		_, err := b.a.rollbackLeased(ctx, b.in.Holder, in, b.attempt)
		return err
	})
	if err != nil {
		msg, typ := describeStepError(err)
		o.Status, o.Attention = BatchFailed, true
		o.Error = fmt.Sprintf("ROLLBACK FAILED (%s: %s) %s: %s", typ, msg, why, o.Error)
		logger(b.actx).Error("ROLLBACK FAILED: the secret may be half-rotated and needs a human",
			"secret", in.Step.SecretID, "token", in.Step.Token, "error", err)
		return
	}
	o.Status = BatchRolledBack
}

func describeStepError(err error) (msg, typ string) {
	var app *temporal.ApplicationError
	switch {
	case errors.Is(err, engine.ErrNotStarted):
		return "canceled", "Canceled"
	case errors.As(err, &app):
		return app.Message(), app.Type()
	}
	return err.Error(), ""
}

// batchValidators runs the stage's HTTP and alarm validators once the
// batch's secrets are promoted; when one fails, every secret the batch
// promoted is rolled back with ValidationFailed.
func (b *batchRun) batchValidators() {
	var checks []Validator
	for _, v := range b.in.Validators {
		if v.HTTP != nil || v.Alarm != nil {
			checks = append(checks, v)
		}
	}
	if len(checks) == 0 {
		return
	}
	var promoted []int
	b.mu.Lock()
	for i, o := range b.outcomes {
		if o.Status == BatchSucceeded {
			promoted = append(promoted, i)
		}
	}
	b.mu.Unlock()
	if len(promoted) == 0 {
		return
	}
	var failed []string
	subject := fmt.Sprintf("batch of %d secrets", len(promoted))
	for _, v := range checks {
		r := stepRun{name: StepVerify, budget: engine.OutageBudget(b.in.OutageBudget), transientFor: engine.StepTimeout(b.in.StepTimeout)}
		err := r.run(b.sctx, b.sctx, subject, func(ctx context.Context) error {
			var detail string
			passed := false
			var err error
			if v.HTTP != nil {
				detail, passed = b.a.checkHTTP(ctx, *v.HTTP, v.Timeout)
			} else {
				detail, passed, err = b.a.checkAlarm(ctx, subject, *v.Alarm, v.Timeout)
			}
			if err == nil && !passed {
				failed = append(failed, validatorName(v)+": "+detail)
			}
			return err
		})
		if err != nil {
			failed = append(failed, validatorName(v)+": could not be evaluated: "+errMessage(err))
		}
	}
	if len(failed) == 0 {
		return
	}
	msg := "validation failed: " + strings.Join(failed, "; ")
	logger(b.actx).Warn("batch validation failed; rolling back the batch", "holder", b.in.Holder.String(), "failed", failed)
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(1, b.in.Concurrency))
	for _, i := range promoted {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			b.mu.Lock()
			o := b.outcomes[i]
			b.mu.Unlock()
			t := b.in.Targets[i]
			o.LastStep, o.Error, o.ErrorType, o.ValidationFailed = StepVerify, msg, ErrValidationFailed, true
			b.undo(&o, RollbackInput{Step: t.step(b.in.Environment), CurrentVersionID: o.PreviousVersionID,
				PreviousVersionID: o.OriginalPreviousVersionID, RestorePrevious: o.PreviousKnown, PasswordSet: true, Promoted: true}, "after validation failed")
			b.mu.Lock()
			b.outcomes[i] = o
			b.mu.Unlock()
		}()
	}
	wg.Wait()
}

// recordOutcome records a secret's outcome as soon as it has one, so that
// a batch's TagResource calls spread over its rotations instead of
// bunching when the stage ends (FinishBatch records them again, which
// writes nothing unless the stage changed one, say by rolling it back).
// Best effort, like all outcome recording.
func (b *batchRun) recordOutcome(i int, o BatchOutcome) {
	b.a.recordOutcomes(b.sctx, []SecretOutcome{{SecretID: o.SecretID, VersionID: b.in.Targets[i].Token, Status: o.Status, Time: time.Now()}})
}
