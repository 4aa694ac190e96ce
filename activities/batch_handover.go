package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

// Handing a batch over when the worker stops (a deploy). The SDK's
// Worker.Stop waits WorkerStopTimeout, then cancels activity contexts and
// returns without waiting for their results to be reported, so watching
// for that cancellation is too late: the attempt would look like an abort
// (rolling its secrets back) and its result would be lost, leaving the
// batch to the heartbeat timeout. Instead the batch watches the worker's
// stop channel and, once it closes:
//
//   - starts no new secret and no new step of a secret in flight;
//   - lets the steps in flight finish for up to handoverWait (the stop
//     timeout less a margin), never rolling a secret back on the way out:
//     a secret that has not settled is left as it is, and the next
//     attempt resumes it from its labels (every step is idempotent);
//   - heartbeats the settled outcomes and fails the attempt with a
//     retryable error whose NextRetryDelay is near zero, so the server
//     hands the batch to another worker within a moment.
//
// Steps still running when handoverWait passes are cut (their context is
// cancelled as the activity returns): each is a single statement or label
// move, which either happened or did not, and the next attempt finds out
// which. See docs/architecture.md, "Worker stops".

// ErrWorkerStopping is the error type of a batch handed over by a stopping
// worker: retryable, at once.
const ErrWorkerStopping = "WorkerStopping"

// errHandover ends a secret's work in a stopping worker without settling it.
var errHandover = errors.New("worker stopping: left for the next attempt")

// handoverRetryDelay is how soon the server retries a handed-over batch.
const handoverRetryDelay = 100 * time.Millisecond

// defaultStopTimeout is the stop timeout assumed when Options.StopTimeout
// is not set (the worker's own default).
const defaultStopTimeout = 30 * time.Second

// handoverWait is how long a stopping batch lets its steps in flight
// finish: the worker's stop timeout, less a margin for the heartbeat and
// the failure to reach the server before the SDK gives up on them.
func handoverWait(stopTimeout time.Duration) time.Duration {
	if stopTimeout <= 0 {
		stopTimeout = defaultStopTimeout
	}
	margin := max(250*time.Millisecond, stopTimeout/5)
	return max(0, stopTimeout-margin)
}

// workerStopChannel is the worker's stop channel, or nil outside an
// activity (tests calling the methods directly).
func workerStopChannel(ctx context.Context) <-chan struct{} {
	if !activity.IsActivity(ctx) {
		return nil
	}
	return activity.GetWorkerStopChannel(ctx)
}

// handoverError fails an attempt that a stopping worker hands over.
func handoverError(what string) error {
	return temporal.NewApplicationErrorWithOptions("worker stopping: "+what+" handed over to another worker", ErrWorkerStopping,
		temporal.ApplicationErrorOptions{NextRetryDelay: handoverRetryDelay})
}

// handingOver reports an error that hands work over rather than failing it.
func handingOver(err error) bool {
	return errors.Is(err, errHandover) || errors.Is(err, errFenced) || isErrorType(err, ErrWorkerStopping) || isErrorType(err, ErrAttemptFenced)
}

// leaving reports an attempt that settles nothing more: its worker is
// stopping, or it was fenced.
func (b *batchRun) leaving() bool { return b.handover.Load() || b.fenced.Load() || b.ending() }

// awaitOrHandOver waits for run (the batch's work) to end. If the worker
// starts stopping first, it marks the batch as handing over and waits at
// most handoverWait more; handedOver says the attempt must hand over.
func (b *batchRun) awaitOrHandOver(done <-chan struct{}) (handedOver bool) {
	select {
	case <-done:
		return false
	case <-b.stop:
	}
	b.handover.Store(true)
	wait := handoverWait(b.a.stopTimeout)
	logger(b.actx).Warn("worker stopping: handing the batch over", "holder", b.in.Holder.String(), "waitForStepsInFlight", wait.String())
	select {
	case <-done:
	case <-time.After(wait):
	}
	return true
}
