package secretcache

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// fakeSM holds versions of secrets and counts calls; fail makes every call
// fail.
type fakeSM struct {
	mu        sync.Mutex
	current   map[string]string // secret -> version
	pending   map[string]string
	values    map[string]string // version -> JSON
	fail      error
	describes int
	fetches   int
	gate      chan struct{} // when set, GetSecretValue waits for it
}

func newFake() *fakeSM {
	return &fakeSM{current: map[string]string{}, pending: map[string]string{}, values: map[string]string{}}
}

func (f *fakeSM) put(secret, version, password string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.values[version] = fmt.Sprintf(`{"engine":"postgres","host":"db","port":5432,"username":"app","password":%q,"dbname":"orders"}`, password)
	f.current[secret] = version
}

func (f *fakeSM) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	if f.gate != nil {
		<-f.gate
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fetches++
	if f.fail != nil {
		return nil, f.fail
	}
	id := aws.ToString(in.SecretId)
	v := f.current[id]
	if aws.ToString(in.VersionStage) == StagePending {
		if v = f.pending[id]; v == "" {
			return nil, notFound{}
		}
	}
	return &secretsmanager.GetSecretValueOutput{SecretString: aws.String(f.values[v]), VersionId: aws.String(v)}, nil
}

func (f *fakeSM) DescribeSecret(_ context.Context, in *secretsmanager.DescribeSecretInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.describes++
	if f.fail != nil {
		return nil, f.fail
	}
	return &secretsmanager.DescribeSecretOutput{VersionIdsToStages: map[string][]string{f.current[aws.ToString(in.SecretId)]: {StageCurrent}}}, nil
}

type notFound struct{}

func (notFound) Error() string     { return "ResourceNotFoundException: no such version" }
func (notFound) ErrorCode() string { return "ResourceNotFoundException" }

// clock is a settable Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestCacheChecksAndFetchesOncePerRotation(t *testing.T) {
	sm, clk := newFake(), &clock{t: time.Unix(1_700_000_000, 0)}
	sm.put("app", "v1", "pw-1")
	c := New(sm, Options{CheckInterval: 10 * time.Second, Now: clk.now})
	ctx := context.Background()
	for range 5 {
		if s, err := c.Get(ctx, "app"); err != nil || s.Password != "pw-1" || s.VersionID != "v1" || s.Port != 5432 {
			t.Fatalf("Get: %v, %v", s, err)
		}
	}
	if sm.fetches != 1 || sm.describes != 0 {
		t.Fatalf("first reads: %d fetches, %d describes; want 1, 0", sm.fetches, sm.describes)
	}
	// Past the interval an unchanged version costs one describe, no fetch.
	clk.add(10 * time.Second)
	if s, _ := c.Get(ctx, "app"); s.VersionID != "v1" || sm.describes != 1 || sm.fetches != 1 {
		t.Fatalf("unchanged check: version %s, %d describes, %d fetches", s.VersionID, sm.describes, sm.fetches)
	}
	// A rotation is served within the interval, at one more fetch.
	sm.put("app", "v2", "pw-2")
	if s, _ := c.Get(ctx, "app"); s.VersionID != "v1" {
		t.Fatalf("served %s before the check was due", s.VersionID)
	}
	clk.add(10 * time.Second)
	if s, _ := c.Get(ctx, "app"); s.VersionID != "v2" || s.Password != "pw-2" || sm.fetches != 2 {
		t.Fatalf("after the rotation: %s, %d fetches", s.VersionID, sm.fetches)
	}
	st := c.Stats()
	if st.Fetches != 2 || st.Describes != 2 || st.Hits != 5 || st.Stale != 0 {
		t.Fatalf("stats %+v", st)
	}
}

func TestCacheJitterStaysWithinTheInterval(t *testing.T) {
	c := New(newFake(), Options{CheckInterval: 10 * time.Second})
	seen := map[time.Duration]bool{}
	for range 200 {
		d := c.interval()
		if d > 10*time.Second || d < 8*time.Second {
			t.Fatalf("interval %v outside [8s, 10s]", d)
		}
		seen[d] = true
	}
	if len(seen) < 50 {
		t.Fatalf("only %d distinct intervals: no jitter", len(seen))
	}
}

func TestCacheRefreshChecksNow(t *testing.T) {
	sm, clk := newFake(), &clock{t: time.Unix(1_700_000_000, 0)}
	sm.put("app", "v1", "pw-1")
	c := New(sm, Options{Now: clk.now})
	ctx := context.Background()
	_, _ = c.Get(ctx, "app")
	sm.put("app", "v2", "pw-2")
	if s, err := c.Refresh(ctx, "app"); err != nil || s.VersionID != "v2" {
		t.Fatalf("Refresh: %v, %v", s, err)
	}
}

func TestCacheServesStaleAndSaysSo(t *testing.T) {
	sm, clk := newFake(), &clock{t: time.Unix(1_700_000_000, 0)}
	sm.put("app", "v1", "pw-1")
	c := New(sm, Options{CheckInterval: time.Second, Now: clk.now})
	ctx := context.Background()
	if _, err := c.Get(ctx, "app"); err != nil {
		t.Fatal(err)
	}
	sm.fail = errors.New("ThrottlingException: rate exceeded")
	clk.add(time.Second)
	s, err := c.Get(ctx, "app")
	if err != nil || s.Password != "pw-1" || s.Stale == nil || !strings.Contains(s.Stale.Error(), "ThrottlingException") {
		t.Fatalf("want the last good value marked stale: %v (stale %v), %v", s, s.Stale, err)
	}
	// The failed check is not repeated on every read.
	calls := sm.describes
	if _, _ = c.Get(ctx, "app"); sm.describes != calls {
		t.Fatal("a read right after a failed check checked again")
	}
	if c.Stats().Stale != 1 {
		t.Fatalf("stats %+v", c.Stats())
	}
	// Never loaded: the error itself, naming the secret.
	if _, err := c.Get(ctx, "other"); err == nil || !strings.Contains(err.Error(), "other") {
		t.Fatalf("first read failing: %v", err)
	}
}

func TestCacheSharesOneFetch(t *testing.T) {
	sm := newFake()
	sm.put("app", "v1", "pw-1")
	sm.gate = make(chan struct{})
	c := New(sm, Options{})
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if s, err := c.Get(context.Background(), "app"); err != nil || s.VersionID != "v1" {
				t.Errorf("Get: %v, %v", s, err)
			}
		}()
	}
	time.Sleep(50 * time.Millisecond) // let them all queue behind the first
	close(sm.gate)
	wg.Wait()
	if sm.fetches != 1 {
		t.Fatalf("%d concurrent readers made %d fetches, want 1", 20, sm.fetches)
	}
}

func TestCacheIsBounded(t *testing.T) {
	sm, clk := newFake(), &clock{t: time.Unix(1_700_000_000, 0)}
	for i := range 5 {
		sm.put(fmt.Sprint("s", i), fmt.Sprint("v", i), "pw")
	}
	c := New(sm, Options{MaxSecrets: 3, Now: clk.now})
	for i := range 5 {
		clk.add(time.Millisecond)
		if _, err := c.Get(context.Background(), fmt.Sprint("s", i)); err != nil {
			t.Fatal(err)
		}
	}
	c.mu.Lock()
	n, has0 := len(c.entries), c.entries[Key{SecretID: "s0"}] != nil
	c.mu.Unlock()
	if n != 3 || has0 {
		t.Fatalf("%d entries (s0 kept: %v), want the 3 read last", n, has0)
	}
}

func TestPending(t *testing.T) {
	sm, clk := newFake(), &clock{t: time.Unix(1_700_000_000, 0)}
	sm.put("app", "v1", "pw-1")
	c := New(sm, Options{Now: clk.now})
	if _, ok, err := c.Pending(context.Background(), "app"); ok || err != nil {
		t.Fatalf("no AWSPENDING: ok %v, %v", ok, err)
	}
	sm.put("app2", "v2", "pw-2")
	sm.pending["app"] = "v2"
	clk.add(PendingMemo)
	for range 3 { // a burst of refused logins shares one read
		s, ok, err := c.Pending(context.Background(), "app")
		if !ok || err != nil || s.Password != "pw-2" {
			t.Fatalf("AWSPENDING: %v %v %v", s, ok, err)
		}
	}
	if st := c.Stats(); st.Fetches != 2 || st.Hits != 2 {
		t.Fatalf("stats %+v, want 2 reads (one per memo period) and 2 shared answers", st)
	}
}

func TestSecretNeverPrintsItsPassword(t *testing.T) {
	s, err := parse("app", valueOf(&secretsmanager.GetSecretValueOutput{VersionId: aws.String("v"),
		SecretString: aws.String(`{"host":"db","port":"6432","username":"app","password":"hunter2-secret","dbname":"d"}`)}))
	if err != nil || s.Port != 6432 {
		t.Fatalf("parse: %v %v", s, err)
	}
	for _, text := range []string{fmt.Sprint(s), fmt.Sprintf("%v %+v %#v %s", s, s, s, s)} {
		if strings.Contains(text, "hunter2") {
			t.Fatalf("printed the password: %s", text)
		}
	}
	if _, err := parse("app", Value{SecretString: `{"password":"hunter2-secret"`}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("bad JSON: %v", err)
	}
}
