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

// watchAttempt fences the batch when its attempt has not been
// acknowledged for the fence time, until done. It does nothing without an
// AttemptChecker or a heartbeat timeout.
func (b *batchRun) watchAttempt(done <-chan struct{}) {
	checker, ok := b.a.runs.(AttemptChecker)
	timeout := b.a.assumedHeartbeatTimeout
	var info activity.Info
	if activity.IsActivity(b.actx) {
		info = activity.GetInfo(b.actx)
		if info.HeartbeatTimeout > 0 {
			timeout = info.HeartbeatTimeout
		}
	}
	if !ok || timeout <= 0 {
		return
	}
	every, after := fenceTiming(timeout)
	lastAck := time.Now()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		cctx, cancel := context.WithTimeout(b.uctx, every)
		current, err := checker.AttemptCurrent(cctx, info.WorkflowExecution.ID, info.WorkflowExecution.RunID, info.ActivityID, info.Attempt)
		cancel()
		switch {
		case err == nil && current:
			lastAck = time.Now()
			continue
		case err == nil:
			// The server has moved on (timed this attempt out): stop now.
			lastAck = time.Time{}
		}
		if time.Since(lastAck) < after {
			continue
		}
		b.fenced.Store(true)
		b.interruptSteps()
		logger(b.actx).Error("batch attempt fenced: the server no longer acknowledges it; stopping before another attempt can act",
			"holder", b.in.Holder.String(), "attempt", info.Attempt, "unacknowledgedFor", time.Since(lastAck).Round(time.Second).String(), "error", err)
		return
	}
}

func fencedError() error {
	return temporal.NewApplicationError("batch attempt fenced: its heartbeats were not acknowledged; another attempt resumes it", ErrAttemptFenced)
}
