package activities

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
)

// partitionedRuns judges leases like fakeRuns but cannot reach Temporal
// to have its attempt acknowledged while cut is set.
type partitionedRuns struct {
	*fakeRuns
	cut atomic.Bool
}

func (p *partitionedRuns) AttemptCurrent(context.Context, string, string, string, int32) (bool, error) {
	if p.cut.Load() {
		return false, errors.New("partitioned from Temporal")
	}
	return true, nil
}

// TestRotateBatchFencesItselfWhenUnacknowledged: the worker loses Temporal
// in the middle of a batch (its heartbeats go unacknowledged). Before the
// server could time the attempt out and start another, the attempt must
// stop acting: no new step, nothing rolled back, and nothing changes on
// any secret after it returned. The next attempt finishes every secret.
func TestRotateBatchFencesItselfWhenUnacknowledged(t *testing.T) {
	st := localStack(t)
	runs := &partitionedRuns{fakeRuns: newFakeRuns()}
	a := st.newActs(Options{Runs: runs, MetricsBackoff: st.acts.opts.MetricsBackoff})
	t.Cleanup(a.Close)
	const heartbeatTimeout = 4 * time.Second
	a.assumedHeartbeatTimeout = heartbeatTimeout
	var secrets []string
	for range 8 {
		secrets = append(secrets, st.newUser(t, StrategySingleUser))
	}
	targets := batchOf(StrategySingleUser, secrets...)
	for i := range targets {
		// About 1 s a secret: the batch outlasts the fence time.
		targets[i].Probes = []SQLProbe{{Name: "slow", Query: "SELECT pg_sleep(0.9) IS NULL", Expect: "false"}}
	}
	in := RotateBatchInput{Holder: newHolder(runs.fakeRuns), Environment: stackEnv, Targets: targets, Concurrency: 1}
	time.AfterFunc(time.Second, func() { runs.cut.Store(true) })
	start := time.Now()
	_, err := a.rotateBatch(context.Background(), in)
	took := time.Since(start)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrAttemptFenced {
		t.Fatalf("a partitioned attempt: %v, want %s", err, ErrAttemptFenced)
	}
	if _, after := fenceTiming(heartbeatTimeout); took > time.Second+after+2*time.Second {
		t.Errorf("fenced after %s; the server would time the attempt out %s after the last acknowledgement", took, heartbeatTimeout)
	}
	snapshot := func() string {
		out := ""
		for _, s := range secrets {
			out += fmt.Sprint(st.stages(t, s))
		}
		return out
	}
	at := snapshot()
	time.Sleep(1500 * time.Millisecond)
	if snapshot() != at {
		t.Fatal("a fenced attempt kept changing secrets after it returned")
	}
	for _, s := range secrets {
		if versionWith(st.stages(t, s), stagePending) != "" {
			continue // in flight when fenced: the next attempt resumes it
		}
		st.assertInvariant(t, s)
	}

	runs.cut.Store(false)
	res, err := a.rotateBatch(context.Background(), in)
	if err != nil {
		t.Fatalf("the next attempt: %v", err)
	}
	for i, o := range res.Outcomes {
		if o.Status != BatchSucceeded {
			t.Errorf("%s: %s (%s) after the fence", targets[i].SecretID, o.Status, o.Error)
		}
		st.assertInvariant(t, targets[i].SecretID)
	}
	_, _ = a.finishBatch(context.Background(), FinishBatchInput{Holder: in.Holder, Release: releases(targets)})
}
