package activities

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.temporal.io/sdk/activity"

	"github.com/credstage/credstage/engine"
)

// The one way a rotation step runs, whichever path calls it (the step
// activities of RotateSecret, and RotateBatch for each secret of a
// batch): the engine's retry policy and outage budget, applied here once.
// See docs/architecture.md, "Faults".

// stepRun says how one step is retried.
type stepRun struct {
	name string
	// budget is how long an outage of the database (see isOutage) is
	// waited out before the step fails with ErrDatabaseOutage.
	budget time.Duration
	// transientFor is how long other transient failures are retried in
	// process; 0 returns them at once for Temporal to retry (RotateSecret,
	// whose retry policy is the same engine policy).
	transientFor time.Duration
	// acts: the step changes something (create, set, promote), so a
	// final error after earlier tries is marked for engine.MayHaveActed.
	acts bool
	// stop is the worker's stop channel: a stopping worker hands a step
	// that is waiting between tries over to another worker at once
	// (batch_handover.go) rather than waiting to be cut off.
	stop <-chan struct{}
	// heartbeat: the step heartbeats while it runs, with the start of the
	// outage it is waiting out, so a retry after the worker died keeps
	// counting the same budget. A batch heartbeats for all its secrets
	// itself and leaves this off.
	heartbeat bool
}

// try is one call of fn, bounded by engine.TryTimeout unless the step is
// verify (its validators carry timeouts of their own, which the
// activity's attempt timeout adds up).
func (r stepRun) try(sctx context.Context, fn func(context.Context) error) error {
	if r.name == engine.StepVerify {
		return fn(sctx)
	}
	tctx, cancel := context.WithTimeout(sctx, engine.TryTimeout)
	defer cancel()
	return fn(tctx)
}

// stepBeat is what a step activity heartbeats: the outage it is waiting
// out, since when, and when it last saw it.
type stepBeat struct {
	OutageSince time.Time `json:"outageSince,omitzero"`
	OutageSeen  time.Time `json:"outageSeen,omitzero"`
	// DrainSince is when the set step began waiting for clients of the
	// role it would change (drain.go), and Drain what it last found, so
	// the wait shows in the pending activity and a retry keeps its clock.
	DrainSince time.Time `json:"drainSince,omitzero"`
	Drain      *Sessions `json:"drain,omitempty"`
}

// outageMemory is how recently an earlier attempt must have seen an
// outage for this attempt to go on counting its budget: longer than a
// heartbeat timeout and a retry's backoff, shorter than a database that
// came back and went away again.
const outageMemory = 2 * time.Minute

// stepFor is how a RotateSecret step activity runs.
func stepFor(ctx context.Context, name string, budget time.Duration) stepRun {
	return stepRun{name: name, budget: engine.OutageBudget(budget), acts: stepActs(name), heartbeat: true, stop: workerStopChannel(ctx)}
}

// stepActs reports whether a step changes anything.
func stepActs(name string) bool {
	return name == engine.StepCreate || name == engine.StepSet || name == engine.StepPromote
}

// run calls fn until it succeeds or fails for good. An outage is retried
// every few seconds (engine.OutageRetryMax) until the budget is spent,
// counted from its first sign, then fails as ErrDatabaseOutage; other
// transient failures are retried with the engine's backoff for
// transientFor. A final error after earlier tries (here, or earlier
// attempts of the activity) is marked so that engine.MayHaveActed does
// not take it as proof that nothing happened. actx ends the waiting
// (cancellation); fn runs in sctx, which a batch keeps alive past a
// cancellation so that a statement is never cut in half.
func (r stepRun) run(actx, sctx context.Context, subject string, fn func(context.Context) error) error {
	earlier := 0
	var beat stepBeat
	if activity.IsActivity(actx) {
		earlier = int(activity.GetInfo(actx).Attempt) - 1
		if r.heartbeat && activity.HasHeartbeatDetails(actx) {
			_ = activity.GetHeartbeatDetails(actx, &beat)
			if time.Since(beat.OutageSeen) > outageMemory {
				beat.OutageSince, beat.OutageSeen = time.Time{}, time.Time{}
			}
		}
	}
	var mu sync.Mutex
	if r.heartbeat && activity.IsActivity(actx) {
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			t := time.NewTicker(engine.HeartbeatEvery)
			defer t.Stop()
			for {
				mu.Lock()
				b := beat
				mu.Unlock()
				activity.RecordHeartbeat(actx, b)
				select {
				case <-stop:
					return
				case <-t.C:
				}
			}
		}()
	}
	transientUntil := time.Now().Add(r.transientFor)
	var pause time.Duration
	var drain *drainPending
	for try := 0; ; try++ {
		err := r.try(sctx, fn)
		if err == nil {
			return nil
		}
		now := time.Now()
		switch {
		case errors.As(err, &drain):
			mu.Lock()
			// The database answered: an outage seen before is over.
			beat.OutageSince, beat.OutageSeen = time.Time{}, time.Time{}
			if beat.DrainSince.IsZero() {
				beat.DrainSince = now
				logger(actx).Warn("waiting for clients of the role to stop logging in", "subject", subject, "step", r.name,
					"sessions", drain.sessions.String(), "timeout", drain.timeout.String())
			}
			sessions := drain.sessions
			beat.Drain = &sessions
			drainSince := beat.DrainSince
			mu.Unlock()
			if waited := now.Sub(drainSince); waited >= drain.timeout {
				if r.acts {
					return engine.AfterAttempts(drain.refusal(waited), earlier+try)
				}
				return drain.refusal(waited)
			}
			pause = engine.DrainPollEvery
		case isOutage(err):
			mu.Lock()
			beat.OutageSeen = now
			if beat.OutageSince.IsZero() {
				beat.OutageSince = now
				logger(actx).Warn("database outage: waiting it out", "subject", subject, "step", r.name,
					"budget", r.budget.String(), "error", errMessage(err))
			}
			since := beat.OutageSince
			mu.Unlock()
			if now.Sub(since) >= r.budget {
				return nonRetryable(engine.ErrDatabaseOutage, fmt.Sprintf("%s: step %s: the database stayed unreachable for %s, longer than the outage budget (%s): %s",
					subject, r.name, now.Sub(since).Round(time.Second), r.budget, errMessage(err)))
			}
			pause = engine.Backoff(pause, engine.OutageRetryMax)
		case isFinal(err):
			if r.acts {
				return engine.AfterAttempts(err, earlier+try)
			}
			return err
		default:
			mu.Lock()
			beat.OutageSince, beat.OutageSeen = time.Time{}, time.Time{}
			mu.Unlock()
			pause = engine.Backoff(pause, engine.RetryMax)
			if now.Add(pause).After(transientUntil) {
				return err
			}
		}
		select {
		case <-time.After(pause):
		case <-actx.Done():
			return err
		case <-sctx.Done():
			return err
		case <-r.stop:
			return handoverError("step " + r.name)
		}
	}
}
