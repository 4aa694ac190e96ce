package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/engine"
)

// Self-fencing. A batch attempt whose worker lost Temporal (a partition,
// a frozen process) keeps running while the server, seeing no heartbeat,
// times the attempt out and gives the batch to another worker: two
// attempts of one batch, with the same run and tokens, would then act on
// the same secrets. The lease cannot tell them apart, and Secrets
// Manager's only compare-and-swap is RemoveFromVersionId on the label
// being moved. So an attempt checks, every few seconds, that the server
// still has it as the running attempt (AttemptChecker); once it has gone
// without that acknowledgement for most of its heartbeat timeout, it
// stops acting, before the server can have started the next attempt: no
// new step, the steps in flight interrupted, nothing rolled back (the
// next attempt resumes every secret from its labels). The window that
// remains is in docs/architecture.md, "Worker stops".

// AttemptChecker tells whether an activity attempt is still the one the
// server is waiting for; the worker implements it with its Temporal
// client (DescribeWorkflowExecution's pending activities).
type AttemptChecker interface {
	AttemptCurrent(ctx context.Context, workflowID, runID, activityID string, attempt int32) (bool, error)
}

// ErrAttemptFenced is the error type of a batch attempt that stopped
// acting because its heartbeats went unacknowledged.
const ErrAttemptFenced = "AttemptFenced"

// errFenced ends a secret's work in a fenced attempt without settling it.
var errFenced = errors.New("attempt fenced: heartbeats not acknowledged; left for the next attempt")

// fenceTiming is when a batch attempt checks its acknowledgement and when
// it gives up: a quarter of the heartbeat timeout before the server would.
func fenceTiming(heartbeatTimeout time.Duration) (every, after time.Duration) {
	margin := max(heartbeatTimeout/4, time.Second)
	return min(engine.HeartbeatEvery, heartbeatTimeout/6), heartbeatTimeout - margin
}

// prepareFence sets up the watch of the attempt's acknowledgement, before
// any step runs: nothing without an AttemptChecker or a heartbeat timeout.
func (b *batchRun) prepareFence() {
	checker, ok := b.a.runs.(AttemptChecker)
	timeout := b.a.assumedHeartbeatTimeout
	if activity.IsActivity(b.actx) {
		b.info = activity.GetInfo(b.actx)
		if b.info.HeartbeatTimeout > 0 {
			timeout = b.info.HeartbeatTimeout
		}
	}
	if !ok || timeout <= 0 {
		return
	}
	b.checker = checker
	b.checkEvery, b.fenceAfter = fenceTiming(timeout)
	b.lastAck.Store(time.Now().UnixNano())
}

// watchAttempt fences the batch when its attempt has not been
// acknowledged for the fence time, until done.
func (b *batchRun) watchAttempt(done <-chan struct{}) {
	if b.checker == nil {
		return
	}
	t := time.NewTicker(b.checkEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(b.uctx, b.checkEvery)
		current, err := b.checker.AttemptCurrent(cctx, b.info.WorkflowExecution.ID, b.info.WorkflowExecution.RunID, b.info.ActivityID, b.info.Attempt)
		cancel()
		switch {
		case err == nil && current:
			b.lastAck.Store(time.Now().UnixNano())
			continue
		case err == nil:
			// The server has moved on (timed this attempt out): stop now.
			b.fence("the server no longer has this attempt as the running one")
			return
		}
		if !b.acknowledged() {
			logger(b.actx).Warn("batch attempt: acknowledgement failed", "holder", b.in.Holder.String(), "error", err)
			return
		}
	}
}

// acknowledged reports whether the attempt may still act: the server
// confirmed it within the fence time. Every step checks it before it
// starts, with no call of its own, so a process that was frozen (and
// replaced meanwhile) stops at its next step even before the watcher's
// next check; the lease (lease_fence.go) is checked where a step reads the
// secret anyway.
func (b *batchRun) acknowledged() bool {
	if b.fenceAfter <= 0 {
		return true
	}
	if time.Since(time.Unix(0, b.lastAck.Load())) < b.fenceAfter {
		return true
	}
	b.fence("no acknowledgement from the server within " + b.fenceAfter.String())
	return false
}

// fence stops the attempt from acting (once): no new step, the calls in
// flight interrupted, nothing rolled back.
func (b *batchRun) fence(why string) {
	if b.fenced.Swap(true) {
		return
	}
	b.interruptSteps()
	logger(b.actx).Error("batch attempt fenced: stopping before it can act beside another attempt",
		"holder", b.in.Holder.String(), "attempt", b.attempt, "why", why)
}

func fencedError() error {
	return temporal.NewApplicationError("batch attempt fenced: its heartbeats were not acknowledged; another attempt resumes it", ErrAttemptFenced)
}
