package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/credstage/credstage/activities"
	"github.com/credstage/credstage/engine"
)

// Timeouts and retries of every activity call. Transient failures (plain
// errors from activities/classify.go: throttling, 5xx, dropped
// connections) retry with the engine's backoff until ScheduleToClose; the
// classified failures in nonRetryableTypes never retry. The numbers are
// the engine's, which a batch applies inside its activity.

func retryPolicy(maxInterval time.Duration) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        engine.RetryInitial,
		BackoffCoefficient:     engine.RetryCoefficient,
		MaximumInterval:        maxInterval,
		NonRetryableErrorTypes: nonRetryableTypes,
	}
}

// withStepOptions is for the rotation steps create, set, test and promote.
// WaitForCancellation makes a cancelled workflow wait until the running
// step has really ended before it rolls back: otherwise a set still
// running could change the password after the rollback restored it. An
// attempt has room to wait out the outage budget (the activity waits
// inside, heartbeating, so a dead worker is noticed within the heartbeat
// timeout), and the step as a whole room for the budget twice over.
func withStepOptions(ctx workflow.Context, stepTimeout, outageBudget time.Duration) workflow.Context {
	return stepOptions(ctx, stepTimeout, engine.AttemptTimeout(outageBudget))
}

// withSetOptions is withStepOptions for the set step, whose attempt also
// has room for a drain wait (engine.SetAttemptTimeout).
func withSetOptions(ctx workflow.Context, stepTimeout, outageBudget, drainWait time.Duration) workflow.Context {
	return stepOptions(ctx, stepTimeout, engine.SetAttemptTimeout(outageBudget, drainWait))
}

func stepOptions(ctx workflow.Context, stepTimeout, attempt time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, bounded(workflow.ActivityOptions{
		StartToCloseTimeout:    attempt,
		ScheduleToCloseTimeout: max(engine.DefaultStepTimeout, 2*attempt),
		HeartbeatTimeout:       engine.StepHeartbeatTimeout,
		RetryPolicy:            retryPolicy(engine.RetryMax),
		WaitForCancellation:    true,
	}, stepTimeout))
}

// bounded applies a rotation's StepTimeout (0: keep the defaults): the
// step, retries included, ends within it.
func bounded(opts workflow.ActivityOptions, stepTimeout time.Duration) workflow.ActivityOptions {
	if stepTimeout > 0 {
		opts.ScheduleToCloseTimeout = stepTimeout
		opts.StartToCloseTimeout = min(opts.StartToCloseTimeout, stepTimeout)
	}
	return opts
}

// withVerifyOptions gives the verify step room for every validator's own
// timeout (default 10s each) on top of the login.
func withVerifyOptions(ctx workflow.Context, validators []activities.Validator, stepTimeout, outageBudget time.Duration) workflow.Context {
	attempt := engine.AttemptTimeout(outageBudget)
	for _, v := range validators {
		if v.Timeout > 0 {
			attempt += v.Timeout
		} else {
			attempt += 10 * time.Second
		}
	}
	return workflow.WithActivityOptions(ctx, bounded(workflow.ActivityOptions{
		StartToCloseTimeout:    attempt,
		ScheduleToCloseTimeout: max(engine.DefaultStepTimeout, 3*attempt),
		HeartbeatTimeout:       engine.StepHeartbeatTimeout,
		RetryPolicy:            retryPolicy(engine.RetryMax),
		WaitForCancellation:    true,
	}, stepTimeout))
}

// withUndoOptions is for rollback, restore and provisioning's
// compensation: they keep trying much longer than the steps they undo,
// because giving up leaves a secret or an instance half-changed.
func withUndoOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    engine.UndoAttemptTimeout,
		ScheduleToCloseTimeout: engine.UndoTimeout,
		RetryPolicy:            retryPolicy(engine.UndoRetryMax),
		WaitForCancellation:    true,
	})
}

// withManagedMasterOptions covers RDS's own rotation, which the activity
// waits for while heartbeating between polls.
func withManagedMasterOptions(ctx workflow.Context, stepTimeout time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, bounded(workflow.ActivityOptions{
		StartToCloseTimeout:    30 * time.Minute,
		ScheduleToCloseTimeout: time.Hour,
		HeartbeatTimeout:       2 * time.Minute,
		RetryPolicy:            retryPolicy(time.Minute),
		WaitForCancellation:    true,
	}, stepTimeout))
}

// withLoginOptions is for VerifyLogin: one fresh login and SELECT 1.
func withLoginOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Minute,
		ScheduleToCloseTimeout: 5 * time.Minute,
		RetryPolicy:            retryPolicy(30 * time.Second),
	})
}

// withMetricsOptions: PublishMetrics retries CloudWatch itself and never
// fails; these only bound a worker that dies or hangs.
func withMetricsOptions(ctx workflow.Context) workflow.Context {
	rp := retryPolicy(30 * time.Second)
	rp.MaximumAttempts = 3
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		HeartbeatTimeout:    2 * time.Minute,
		RetryPolicy:         rp,
	})
}

// withProvisionOptions is for CreateDBInstance and CreateAppUser.
func withProvisionOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    2 * time.Minute,
		ScheduleToCloseTimeout: 15 * time.Minute,
		RetryPolicy:            retryPolicy(30 * time.Second),
		WaitForCancellation:    true,
	})
}

// withWaitInstanceOptions: creating an RDS instance takes minutes to tens
// of minutes; the activity polls with backoff and heartbeats between
// polls, so a dead worker is noticed within the heartbeat timeout rather
// than the hour. The heartbeat timeout stays above the longest poll delay.
func withWaitInstanceOptions(ctx workflow.Context, maxDelay time.Duration) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    time.Hour,
		ScheduleToCloseTimeout: 2 * time.Hour,
		HeartbeatTimeout:       max(time.Minute, 2*maxDelay),
		RetryPolicy:            retryPolicy(time.Minute),
		WaitForCancellation:    true,
	})
}
