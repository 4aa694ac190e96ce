package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"
)

// Delays short enough for tests; minTickGap keeps the loop from spinning.
const (
	testMinDelay = 50 * time.Millisecond
	testMaxDelay = 200 * time.Millisecond
)

func watchActs(f *fakeRDS) *Activities {
	return NewWithClients(Options{RDS: f, Connector: NewPGXConnector(1)})
}

func instanceIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("db-%03d", i)
	}
	return ids
}

// eventually polls cond for up to 10 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (w *instanceWatch) count() (waiters int, running bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.waiters), w.running
}

type waitResult struct {
	id   string
	info InstanceInfo
	err  error
}

// waitAll runs WaitInstanceAvailable for every id at once, with the
// delays of in.
func waitAll(ctx context.Context, a *Activities, in WaitInstanceInput, ids []string) <-chan waitResult {
	out := make(chan waitResult, len(ids))
	for _, id := range ids {
		go func() {
			in := in
			in.Identifier = id
			info, err := a.WaitInstanceAvailable(ctx, in)
			out <- waitResult{id, info, err}
		}()
	}
	return out
}

// fast is the delays of most tests; gathered waits long enough (a quarter
// of its MinDelay) before a first call that goroutines started together
// are all registered by then.
var (
	fast     = WaitInstanceInput{MinDelay: testMinDelay, MaxDelay: testMaxDelay}
	gathered = WaitInstanceInput{MinDelay: 400 * time.Millisecond, MaxDelay: 600 * time.Millisecond}
)

// TestInstanceWatchSharesOneCallPerTick: twenty concurrent waits make one
// DescribeDBInstances per tick, naming all twenty, and all end when their
// instances become available.
func TestInstanceWatchSharesOneCallPerTick(t *testing.T) {
	ids := instanceIDs(20)
	f := newFakeRDS("creating", ids...)
	a := watchActs(f)
	results := waitAll(context.Background(), a, fast, ids)
	eventually(t, "20 waiters", func() bool { n, _ := a.watch.count(); return n == len(ids) })
	before := len(f.recorded())
	eventually(t, "3 more ticks", func() bool { return len(f.recorded()) >= before+3 })
	f.set("available", ids...)
	for range ids {
		r := <-results
		if r.err != nil || r.info.Identifier != r.id || r.info.Address == "" {
			t.Fatalf("%s: %+v, %v", r.id, r.info, r.err)
		}
	}
	calls := f.recorded()
	// The first call after may have been planned before the last waiter
	// registered.
	for i, c := range calls[before+1:] {
		if !slices.Equal(c.ids, ids) {
			t.Errorf("call %d after every waiter registered names %v, want all %d", before+1+i, c.ids, len(ids))
		}
	}
	// Three ticks watched, then at most the tick that saw them available
	// and one already under way: never one call per waiter.
	if len(calls) > before+5 {
		t.Errorf("%d calls for %d waiters (%d before all registered)", len(calls), len(ids), before)
	}
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].at.Sub(calls[i-1].at); gap < testMinDelay-10*time.Millisecond {
			t.Errorf("calls %d and %d only %v apart, MinDelay is %v", i-1, i, gap, testMinDelay)
		}
	}
	eventually(t, "the loop to stop", func() bool { n, running := a.watch.count(); return n == 0 && !running })
}

// TestInstanceWatchChunksAndPages: 150 waiters make two filtered calls of
// at most 100 identifiers per tick, each followed through its pages.
func TestInstanceWatchChunksAndPages(t *testing.T) {
	ids := instanceIDs(150)
	f := newFakeRDS("available", ids...)
	f.pageSize = 30
	w := newInstanceWatch(f)
	waiters := map[string]*instanceWaiter{}
	for _, id := range ids { // registered within microseconds: one tick answers all
		waiters[id] = w.register(id, 200*time.Millisecond, time.Second)
	}
	for id, wt := range waiters {
		select {
		case ans := <-wt.answers:
			if ans.err != nil || instanceInfo(ans.db).Identifier != id {
				t.Fatalf("%s: %+v, %v", id, instanceInfo(ans.db), ans.err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: no answer", id)
		}
	}
	for _, wt := range waiters {
		w.unregister(wt)
	}
	calls := f.recorded()
	// Chunks of 100 and 50, paged by 30: 4 + 2 pages.
	var sizes []int
	pages := 0
	for _, c := range calls {
		if c.marker == "" {
			sizes = append(sizes, len(c.ids))
		} else {
			pages++
		}
	}
	if !slices.Equal(sizes, []int{100, 50}) || pages != 4 {
		t.Fatalf("calls: first pages with %v identifiers and %d further pages, want [100 50] and 4 (all: %d calls)", sizes, pages, len(calls))
	}
}

// TestInstanceWatchNotFound: an instance missing from the answer is
// ErrInstanceNotAvailable, non-retryable, as describeInstance says it;
// the other waiter of the same tick goes on waiting.
func TestInstanceWatchNotFound(t *testing.T) {
	f := newFakeRDS("creating", "real-db")
	a := watchActs(f)
	results := waitAll(context.Background(), a, fast, []string{"real-db", "ghost-db"})
	r := <-results
	if r.id != "ghost-db" || classOf(t, r.err) != ErrInstanceNotAvailable+"!" || !contains(r.err.Error(), "ghost-db not found") {
		t.Fatalf("first result %s: %v", r.id, r.err)
	}
	f.set("available", "real-db")
	if r = <-results; r.id != "real-db" || r.err != nil {
		t.Fatalf("real-db: %v", r.err)
	}
}

// TestInstanceWatchDeliversFailedCall: a failed call reaches every waiter
// of its tick, classified as describeInstance classifies it.
func TestInstanceWatchDeliversFailedCall(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want string
	}{
		{"throttled", &smithy.GenericAPIError{Code: "Throttling", Message: "Rate exceeded"}, "retryable"},
		{"5xx", &smithy.GenericAPIError{Code: "InternalFailure", Message: "oops", Fault: smithy.FaultServer}, "retryable"},
		{"refused", &smithy.GenericAPIError{Code: "AccessDenied", Message: "not allowed"}, ErrAWSRequestRefused + "!"},
		{"no answer", errors.New("dial tcp: connection refused"), "retryable"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ids := []string{"db-a", "db-b", "db-c"}
			f := newFakeRDS("creating", ids...)
			f.fail = func(int) error { return c.err }
			a := watchActs(f)
			results := waitAll(context.Background(), a, gathered, ids)
			for range ids {
				r := <-results
				if classOf(t, r.err) != c.want || !contains(r.err.Error(), "instance "+r.id+": DescribeDBInstances") {
					t.Errorf("%s: %v (%s), want %s", r.id, r.err, classOf(t, r.err), c.want)
				}
				if want := classOf(t, awsError(context.Background(), instanceSubject(r.id), "DescribeDBInstances", c.err)); classOf(t, r.err) != want {
					t.Errorf("%s: %s, describeInstance would say %s", r.id, classOf(t, r.err), want)
				}
			}
			if n := len(f.recorded()); n != 1 {
				t.Errorf("%d calls for one tick of three waiters", n)
			}
		})
	}
}

// TestInstanceWatchBacksOffAfterFailures: waits retried at once after a
// throttled call (as Temporal retries them) do not bring the next call
// forward: it waits the smallest MaxDelay at least, twice that after a
// second failure, and a success ends the pause.
func TestInstanceWatchBacksOffAfterFailures(t *testing.T) {
	f := newFakeRDS("available", "db-a", "db-b")
	var mu sync.Mutex
	throttled := 2
	f.fail = func(int) error {
		mu.Lock()
		defer mu.Unlock()
		if throttled > 0 {
			throttled--
			return &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}
		}
		return nil
	}
	a := watchActs(f)
	for attempt := 1; ; attempt++ {
		var failed int
		for r := range collect(waitAll(context.Background(), a, gathered, []string{"db-a", "db-b"}), 2) {
			if r.err != nil {
				failed++
			}
		}
		if failed == 0 {
			break
		}
		if failed != 2 || attempt > 3 {
			t.Fatalf("attempt %d: %d of 2 waits failed", attempt, failed)
		}
	}
	calls := f.recorded()
	if len(calls) != 3 {
		t.Fatalf("%d calls, want 3 (two throttled, one answered)", len(calls))
	}
	for i, least := range []time.Duration{gathered.MaxDelay, 2 * gathered.MaxDelay} {
		if gap := calls[i+1].at.Sub(calls[i].at); gap < least-10*time.Millisecond {
			t.Errorf("call %d came %v after throttled call %d, want ≥ %v", i+1, gap, i, least)
		}
	}
	a.watch.mu.Lock()
	defer a.watch.mu.Unlock()
	if a.watch.sched.failures != 0 || !a.watch.sched.hold.IsZero() {
		t.Errorf("after a success: %d failures, hold %v", a.watch.sched.failures, a.watch.sched.hold)
	}
}

func collect(ch <-chan waitResult, n int) <-chan waitResult {
	out := make(chan waitResult, n)
	for range n {
		out <- <-ch
	}
	close(out)
	return out
}

// TestInstanceWatchCancel: a cancelled wait returns at once and
// unregisters, also while a call hangs (which is then abandoned without
// counting as a failure); with nobody left the loop stops calling.
func TestInstanceWatchCancel(t *testing.T) {
	for _, hang := range []bool{false, true} {
		t.Run(fmt.Sprintf("hanging call %v", hang), func(t *testing.T) {
			f := newFakeRDS("creating", "db-a")
			if hang {
				f.block = make(chan struct{})
			}
			a := watchActs(f)
			ctx, cancel := context.WithCancel(context.Background())
			results := waitAll(ctx, a, fast, []string{"db-a"})
			eventually(t, "a call", func() bool { return len(f.recorded()) >= 1 })
			cancel()
			start := time.Now()
			r := <-results
			if classOf(t, r.err) != "retryable" || !contains(r.err.Error(), "waiting for available") || time.Since(start) > time.Second {
				t.Fatalf("after cancel: %v after %v", r.err, time.Since(start))
			}
			eventually(t, "the loop to stop", func() bool { n, running := a.watch.count(); return n == 0 && !running })
			n := len(f.recorded())
			time.Sleep(3 * testMaxDelay)
			if m := len(f.recorded()); m != n {
				t.Errorf("%d calls after the last waiter left", m-n)
			}
			a.watch.mu.Lock()
			defer a.watch.mu.Unlock()
			if a.watch.sched.failures != 0 {
				t.Errorf("an abandoned call counted as %d failures", a.watch.sched.failures)
			}
		})
	}
}

// TestInstanceWatchNewcomer: a wait joining a group that has backed off
// to its MaxDelay gets its first answer within its MinDelay, and a stream
// of newcomers never brings calls closer than MinDelay.
func TestInstanceWatchNewcomer(t *testing.T) {
	f := newFakeRDS("creating", instanceIDs(12)...)
	a := watchActs(f)
	const minDelay, maxDelay = 100 * time.Millisecond, 2 * time.Second
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wait := func(id string) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = a.WaitInstanceAvailable(ctx, WaitInstanceInput{Identifier: id, MinDelay: minDelay, MaxDelay: maxDelay})
		}()
	}
	wait("db-000")
	// Answers 1..5 come after 0.1, 0.1-0.2, 0.1-0.4, 0.1-0.8, 0.1-1.6 s:
	// the group is backed off.
	eventually(t, "five answers", func() bool { return len(f.recorded()) >= 5 })
	joined := time.Now()
	wait("db-001")
	eventually(t, "the newcomer's answer", func() bool {
		for _, c := range f.recorded() {
			if c.at.After(joined) && slices.Contains(c.ids, "db-001") {
				return true
			}
		}
		return false
	})
	if d := time.Since(joined); d > minDelay+100*time.Millisecond {
		t.Errorf("newcomer answered after %v, want within its MinDelay %v (the group's cap is %v)", d, minDelay, maxDelay)
	}
	for _, id := range instanceIDs(12)[2:] {
		wait(id)
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	calls := f.recorded()
	for i := 1; i < len(calls); i++ {
		if gap := calls[i].at.Sub(calls[i-1].at); gap < minDelay-10*time.Millisecond {
			t.Errorf("calls %d and %d only %v apart, MinDelay is %v", i-1, i, gap, minDelay)
		}
	}
	cancel()
	wg.Wait()
}

// TestWaitInstancePollEach: with PollEachInstance every wait polls its own
// instance (the design before the watch), one call per wait per poll.
func TestWaitInstancePollEach(t *testing.T) {
	ids := instanceIDs(3)
	f := newFakeRDS("available", ids...)
	a := NewWithClients(Options{RDS: f, Connector: NewPGXConnector(1), PollEachInstance: true})
	for r := range collect(waitAll(context.Background(), a, fast, ids), len(ids)) {
		if r.err != nil {
			t.Fatalf("%s: %v", r.id, r.err)
		}
	}
	calls := f.recorded()
	if len(calls) != len(ids) {
		t.Fatalf("%d calls for %d waits answered at once", len(calls), len(ids))
	}
	for _, c := range calls {
		if len(c.ids) != 1 {
			t.Errorf("a per-instance poll named %v", c.ids)
		}
	}
}

// TestWatchSchedule checks the rules of watchSchedule one by one.
func TestWatchSchedule(t *testing.T) {
	t0 := time.Now()
	waiter := func(since time.Time, answered int64) *instanceWaiter {
		return &instanceWaiter{minDelay: 2 * time.Second, maxDelay: 30 * time.Second, since: since, answered: answered}
	}
	set := func(ws ...*instanceWaiter) map[*instanceWaiter]struct{} {
		m := map[*instanceWaiter]struct{}{}
		for _, w := range ws {
			m[w] = struct{}{}
		}
		return m
	}
	// The very first waiter: a quarter of MinDelay (capped) to gather.
	s := watchSchedule{}
	if got := s.next(t0, set(waiter(t0, 0))); !got.Equal(t0.Add(maxFirstAnswerWait)) {
		t.Errorf("first call at +%v, want +%v", got.Sub(t0), maxFirstAnswerWait)
	}
	// A newcomer right after a call waits for MinDelay after it.
	s = watchSchedule{last: t0}
	if got := s.next(t0, set(waiter(t0.Add(100*time.Millisecond), 0))); !got.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("newcomer after a call: +%v, want +2s", got.Sub(t0))
	}
	// After one answer the next comes MinDelay later (no jitter yet);
	// a backed-off group's draw stays between MinDelay and its cap, and
	// is drawn once.
	s = watchSchedule{last: t0}
	if got := s.next(t0, set(waiter(t0, 1))); !got.Equal(t0.Add(2 * time.Second)) {
		t.Errorf("after one answer: +%v, want +2s", got.Sub(t0))
	}
	old := set(waiter(t0, 9), waiter(t0, 9), waiter(t0, 9))
	s = watchSchedule{last: t0}
	first := s.next(t0, old)
	if d := first.Sub(t0); d < 2*time.Second || d >= 30*time.Second {
		t.Errorf("backed-off group: +%v", d)
	}
	if again := s.next(t0, old); !again.Equal(first) {
		t.Errorf("drawn again: +%v then +%v", first.Sub(t0), again.Sub(t0))
	}
	// A failed call holds everything, newcomers included, for MaxDelay
	// to twice it; the second failure in a row doubles it.
	for failures, least := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute} {
		s = watchSchedule{failures: failures - 1}
		s.called(t0, true, old)
		got := s.next(t0, set(waiter(t0, 0))).Sub(t0)
		if got < least || got >= 2*least {
			t.Errorf("after %d failures: +%v, want [%v, %v)", failures, got, least, 2*least)
		}
	}
	s.called(t0, false, old)
	if s.failures != 0 || !s.hold.IsZero() {
		t.Errorf("a success keeps %d failures, hold %v", s.failures, s.hold)
	}
}
