package activities

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/rds/types"
)

// instanceWatch answers every WaitInstanceAvailable of one worker process
// (one *Activities) from a single poll loop: each tick is one
// DescribeDBInstances naming every instance waited on (a db-instance-id
// filter, up to 100 identifiers per call, paged with Marker), and each
// waiter is handed its own instance's record. RDS throttles an account at
// about 12 requests/s shared by every tool, so fifty instances
// provisioned at once must not mean fifty pollers; the cost is one call
// per tick (per hundred instances) whatever the number of waiters
// (docs/architecture.md, section 7).
// When ticks come is instance_watch_schedule.go's business; one tick is
// instance_watch_tick.go.
//
// It holds no state worth keeping: who waits, and when the last call was.
// So:
//   - the process dies: the waiting activities stop heartbeating, Temporal
//     times them out after their heartbeat timeout and retries them on
//     another worker, where they register with that worker's watch;
//   - a reply is lost (the activity's result never reaches Temporal): the
//     same, and the retry reads the instance afresh. Nothing was changed;
//   - a call hangs: it is cut off after watchCallTimeout (and sooner by
//     the HTTP client's own timeout), meanwhile every waiter keeps
//     heartbeating its last status and returns as soon as its own context
//     ends; the call is abandoned when the last waiter leaves;
//   - the worker is redeployed: the running waits end when the worker's
//     stop timeout cancels them, Temporal retries them on the new worker,
//     and they simply register again there; nothing else changes.
//
// The loop runs only while someone waits: the first waiter starts it and
// it ends when the last one leaves, so Close has nothing to stop.
type instanceWatch struct {
	rds RDSAPI

	mu      sync.Mutex
	waiters map[*instanceWaiter]struct{}
	running bool
	// wake tells the sleeping loop that waiters came or went.
	wake  chan struct{}
	sched watchSchedule
	// cancelCall abandons the call in flight, once nobody waits for it.
	cancelCall context.CancelFunc
}

// instanceWaiter is one WaitInstanceAvailable attempt, registered.
type instanceWaiter struct {
	// key is the identifier in lower case (RDS identifiers are not
	// case-sensitive and come back lower case); id as the caller gave it.
	key, id            string
	minDelay, maxDelay time.Duration
	since              time.Time
	// answered counts the answers handed over, the waiter's poll attempt
	// for its own backoff (guarded by the watch's mu).
	answered int64
	// answers holds the latest answer not yet taken (capacity 1).
	answers chan instanceAnswer
}

// instanceAnswer is one tick's answer for one instance: its record, or the
// error the waiter returns (not found, or the failed call, classified).
type instanceAnswer struct {
	db  types.DBInstance
	err error
}

func newInstanceWatch(api RDSAPI) *instanceWatch {
	return &instanceWatch{rds: api, waiters: map[*instanceWaiter]struct{}{}, wake: make(chan struct{}, 1)}
}

// register adds a waiter for instance id, polled no sooner than minDelay
// and no later than maxDelay apart (the request's, defaults applied), and
// starts the loop if it is not running.
func (w *instanceWatch) register(id string, minDelay, maxDelay time.Duration) *instanceWaiter {
	minDelay, maxDelay = pollDelays(minDelay, maxDelay)
	wt := &instanceWaiter{key: strings.ToLower(id), id: id, minDelay: max(minDelay, minTickGap), maxDelay: max(maxDelay, minTickGap),
		since: time.Now(), answers: make(chan instanceAnswer, 1)}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waiters[wt] = struct{}{}
	if !w.running {
		w.running = true
		go w.loop()
	} else {
		w.nudge()
	}
	return wt
}

// unregister removes a waiter; a call made only for waiters who have all
// left is abandoned.
func (w *instanceWatch) unregister(wt *instanceWaiter) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.waiters, wt)
	if len(w.waiters) == 0 && w.cancelCall != nil {
		w.cancelCall()
	}
	w.nudge()
}

func (w *instanceWatch) nudge() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// loop sleeps until the schedule's next tick (woken early when waiters
// come or go, to plan again) and ticks, until nobody waits.
func (w *instanceWatch) loop() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		w.mu.Lock()
		if len(w.waiters) == 0 {
			w.running = false
			w.mu.Unlock()
			return
		}
		at := w.sched.next(time.Now(), w.waiters)
		w.mu.Unlock()
		if d := time.Until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-w.wake:
				timer.Stop()
			}
			continue
		}
		w.tick()
	}
}

// deliver hands an answer to a waiter, replacing one it has not taken yet:
// only the latest state matters. Called with mu held.
func (wt *instanceWaiter) deliver(a instanceAnswer) {
	select {
	case <-wt.answers:
	default:
	}
	wt.answers <- a
	wt.answered++
}
