package activities

import (
	"math/rand/v2"
	"time"
)

const (
	// minTickGap is the closest two calls ever come, whatever MinDelay a
	// request asks for: the loop never spins.
	minTickGap = 50 * time.Millisecond
	// maxFirstAnswerWait bounds how long a new waiter's first call is held
	// back to gather the waiters registering with it.
	maxFirstAnswerWait = 500 * time.Millisecond
	// maxFailureBackoff bounds the pause after failed calls in a row.
	maxFailureBackoff = 5 * time.Minute
)

// watchSchedule decides when the watch calls DescribeDBInstances
// (instance_watch.go). The rules, and why:
//
//   - Each waiter keeps the backoff it had polling alone (attempt k waits
//     a jittered delay between MinDelay and MinDelay·2^(k-1), capped at
//     MaxDelay, like the SDK's waiters), counting every answer it gets as
//     an attempt. The tick after a call is drawn once, between the
//     smallest MinDelay and the smallest cap of the waiters answered by
//     it: no waiter is answered less often than it would have polled
//     alone, and the youngest sets the pace. Drawing once per tick
//     (not one draw per waiter, taking the earliest) keeps fifty waiters
//     from collapsing the jitter onto MinDelay.
//   - A new waiter is answered soon, not after the group's current delay
//     (which may be MaxDelay): its first call comes a quarter of the
//     smallest MinDelay after it registered (at most maxFirstAnswerWait),
//     which gathers the waiters of workflows started together into one
//     call, but never sooner than the smallest MinDelay after the
//     previous call. Arrivals therefore cannot cause a storm: calls stay at least
//     the smallest MinDelay apart (and minTickGap) however many waiters
//     come and go.
//   - After a failed call (throttling, 5xx, no answer, a refusal: the SDK
//     has already retried the transient ones) nothing is called for the
//     smallest MaxDelay, doubling with every failure in a row up to
//     maxFailureBackoff, jittered between the pause and twice it so that
//     workers sharing an account drift apart. The pause outlives the
//     waiters that received the error: Temporal retries them within
//     seconds and they register again, but the next call waits.
//
// Its fields are guarded by the watch's mu.
type watchSchedule struct {
	// last is when the latest call started; zero before the first.
	last time.Time
	// planned is the drawn tick for the waiters already answered; zero:
	// draw it at the next plan.
	planned time.Time
	// hold: no call before it (the pause after failed calls).
	hold     time.Time
	failures int
}

// next is when the next call should start.
func (s *watchSchedule) next(now time.Time, waiters map[*instanceWaiter]struct{}) time.Time {
	floor, ceiling := time.Duration(1<<62), time.Duration(1<<62)
	var newcomer time.Time
	answered := false
	for wt := range waiters {
		floor = min(floor, wt.minDelay)
		if wt.answered == 0 {
			if newcomer.IsZero() || wt.since.Before(newcomer) {
				newcomer = wt.since
			}
			continue
		}
		answered = true
		ceiling = min(ceiling, backoffCap(wt.minDelay, wt.maxDelay, wt.answered))
	}
	var at time.Time
	if answered {
		if s.planned.IsZero() {
			s.planned = s.last.Add(jitter(floor, ceiling))
		}
		at = s.planned
	}
	if !newcomer.IsZero() {
		first := latest(newcomer.Add(min(floor/4, maxFirstAnswerWait)), s.last.Add(floor))
		if at.IsZero() || first.Before(at) {
			at = first
		}
	}
	if at.IsZero() {
		at = now
	}
	return latest(at, s.hold, s.last.Add(minTickGap))
}

// called records a call that started at start; failed says whether it
// failed (an abandoned call, which nobody waited for, did not).
func (s *watchSchedule) called(start time.Time, failed bool, waiters map[*instanceWaiter]struct{}) {
	s.last, s.planned = start, time.Time{}
	if !failed {
		s.failures, s.hold = 0, time.Time{}
		return
	}
	s.failures++
	var base time.Duration
	for wt := range waiters {
		if base == 0 || wt.maxDelay < base {
			base = wt.maxDelay
		}
	}
	if base == 0 {
		_, base = pollDelays(0, 0)
	}
	pause := min(backoffCap(base, maxFailureBackoff/2, int64(s.failures)), maxFailureBackoff/2)
	s.hold = start.Add(jitter(pause, 2*pause))
}

// backoffCap is the longest delay of attempt k (k ≥ 1) of a jittered
// exponential backoff from minDelay to maxDelay.
func backoffCap(minDelay, maxDelay time.Duration, attempt int64) time.Duration {
	d := minDelay
	for i := int64(1); i < attempt && d < maxDelay; i++ {
		d *= 2
	}
	return min(d, maxDelay)
}

// jitter is a uniformly random duration in [lo, hi), lo when hi ≤ lo.
func jitter(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + rand.N(hi-lo)
}

func latest(t time.Time, others ...time.Time) time.Time {
	for _, o := range others {
		if o.After(t) {
			t = o
		}
	}
	return t
}
