package engine

import "time"

// The retry policy of every rotation step, whichever path runs it: a
// transient failure (throttling, a 5xx, a dropped connection) is retried
// after RetryInitial, doubling up to RetryMax, until the step's timeout.
// RotateSecret hands these to Temporal's RetryPolicy; RotateBatch's steps
// retry inside the activity with Backoff.
const (
	RetryInitial     = time.Second
	RetryCoefficient = 2
	RetryMax         = 30 * time.Second
	// UndoRetryMax is the longest wait between two tries of an undo
	// (rollback, restore, compensation).
	UndoRetryMax = time.Minute
)

// Bounds of a step and of an undo.
const (
	// DefaultStepTimeout bounds one step, retries included, when the plan
	// sets no stepTimeout.
	DefaultStepTimeout = 10 * time.Minute
	// StepAttemptTimeout bounds one attempt of a step on top of the time
	// it may spend waiting out an outage.
	StepAttemptTimeout = time.Minute
	// UndoTimeout bounds an undo, retries included: much longer than the
	// steps it undoes, because giving up leaves a secret half-changed.
	UndoTimeout = 30 * time.Minute
	// UndoAttemptTimeout bounds one attempt of an undo.
	UndoAttemptTimeout = 2 * time.Minute
	// StepHeartbeatTimeout: a step, and a batch, heartbeat while they run
	// or wait out an outage, so a worker that dies mid-step is noticed
	// within this rather than at the attempt's timeout. A batch fences
	// itself a quarter of it earlier when its heartbeats go unanswered.
	StepHeartbeatTimeout = 30 * time.Second
	// HeartbeatEvery is how often a running step or batch heartbeats.
	HeartbeatEvery = 5 * time.Second
)

// Bounds of one database call, so that no step waits on the database for
// ever: a statement blocked on a lock (a role another session is
// altering) gives up after LockTimeout and is retried; any statement
// after StatementTimeout; and each try of a step, whatever it waits on
// (a login to a host that accepts and never answers), after TryTimeout,
// which counts as an outage.
const (
	LockTimeout      = 5 * time.Second
	StatementTimeout = time.Minute
	TryTimeout       = 90 * time.Second
)

// DefaultOutageBudget is how long each step waits out an unreachable
// database before it fails (RDS reboots take 30-60 s, Multi-AZ failovers
// 60-120 s; neither is a reason to roll back).
const DefaultOutageBudget = 5 * time.Minute

// OutageRetryMax is the longest pause between two tries while waiting out
// an outage: short, so a database that is back is used within seconds.
const OutageRetryMax = 5 * time.Second

// OutageBudget is budget, or DefaultOutageBudget when budget is not set.
func OutageBudget(budget time.Duration) time.Duration {
	if budget <= 0 {
		return DefaultOutageBudget
	}
	return budget
}

// StepTimeout is stepTimeout, or DefaultStepTimeout when it is not set.
func StepTimeout(stepTimeout time.Duration) time.Duration {
	if stepTimeout <= 0 {
		return DefaultStepTimeout
	}
	return stepTimeout
}

// AttemptTimeout bounds one attempt of a step that may wait out an outage
// of up to budget: the outage, plus an ordinary attempt after it.
func AttemptTimeout(budget time.Duration) time.Duration {
	return OutageBudget(budget) + StepAttemptTimeout
}

// Backoff is the pause after a try that waited prev (0 for the first),
// capped at limit: RetryInitial, doubling.
func Backoff(prev, limit time.Duration) time.Duration {
	if prev <= 0 {
		return min(RetryInitial, limit)
	}
	return min(prev*RetryCoefficient, limit)
}

// The consumer drain check's wait (activities/drain.go): a stage with
// drain mode wait looks again every DrainPollEvery for up to its timeout,
// DefaultDrainTimeout when it sets none.
const (
	DefaultDrainTimeout = 10 * time.Minute
	DrainPollEvery      = 5 * time.Second
)

// DrainTimeout is timeout, or DefaultDrainTimeout when it is not set.
func DrainTimeout(timeout time.Duration) time.Duration {
	if timeout <= 0 {
		return DefaultDrainTimeout
	}
	return timeout
}

// SetAttemptTimeout bounds one attempt of the set step: an ordinary
// attempt, plus the drain wait when the stage waits for consumers.
func SetAttemptTimeout(budget, drainWait time.Duration) time.Duration {
	return AttemptTimeout(budget) + drainWait
}
