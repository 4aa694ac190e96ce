package activities

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
)

// TestRotateBatchHandsOverWhenTheWorkerStops: the worker starts stopping
// (a deploy) in the middle of a batch. The attempt must hand the batch
// over at once, as a retryable WorkerStopping failure with a near-zero
// retry delay, within the stop timeout, rolling nothing back; the next
// attempt (another worker, resuming from the heartbeats) finishes every
// secret, with no AWSPENDING left anywhere.
func TestRotateBatchHandsOverWhenTheWorkerStops(t *testing.T) {
	st := localStack(t)
	runs := newFakeRuns()
	const stopTimeout = 2 * time.Second
	a := st.newActs(Options{Runs: runs, MetricsBackoff: st.acts.opts.MetricsBackoff, StopTimeout: stopTimeout})
	t.Cleanup(a.Close)
	var secrets []string
	for range 6 {
		secrets = append(secrets, st.newUser(t, StrategySingleUser))
	}
	targets := batchOf(StrategySingleUser, secrets...)
	for i := range targets {
		// Each secret takes a while (its test step), so the stop finds
		// some settled, one in flight and some not started.
		targets[i].Probes = []SQLProbe{{Name: "slow", Query: "SELECT pg_sleep(0.4) IS NULL", Expect: "false"}}
	}
	in := RotateBatchInput{Holder: newHolder(runs), Environment: stackEnv, Targets: targets, Concurrency: 1}

	var mu sync.Mutex
	var beats []BatchOutcome
	env := st.suite.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(a, RegisterOptions)
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, details converter.EncodedValues) {
		var got []BatchOutcome
		if details.Get(&got) == nil {
			mu.Lock()
			beats = got
			mu.Unlock()
		}
	})
	stop := make(chan struct{})
	env.SetWorkerStopChannel(stop)
	time.AfterFunc(1500*time.Millisecond, func() { close(stop) })
	start := time.Now()
	_, err := env.ExecuteActivity(a.RotateBatch, in)
	took := time.Since(start)

	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrWorkerStopping || app.NonRetryable() {
		t.Fatalf("a stopping worker's batch: %v, want a retryable %s", err, ErrWorkerStopping)
	}
	if took > 1500*time.Millisecond+stopTimeout {
		t.Errorf("handed over after %s, later than the stop timeout (%s after the stop)", took, stopTimeout)
	}
	mu.Lock()
	settled := append([]BatchOutcome(nil), beats...)
	mu.Unlock()
	if len(settled) != len(targets) {
		t.Fatalf("heartbeat holds %d outcomes, want %d", len(settled), len(targets))
	}
	done, left := 0, 0
	for i, o := range settled {
		switch o.Status {
		case BatchSucceeded:
			done++
		case "":
			left++
		default:
			t.Errorf("%s: %s (%s) by a stopping worker; it must roll nothing back and skip nothing", targets[i].SecretID, o.Status, o.Error)
		}
	}
	if done == 0 || left == 0 {
		t.Fatalf("the stop should find some secrets done and some not: %d done, %d left", done, left)
	}
	t.Logf("handed over after %s: %d settled, %d left for the next attempt", took.Round(time.Millisecond), done, left)

	next := st.suite.NewTestActivityEnvironment()
	next.RegisterActivityWithOptions(a, RegisterOptions)
	next.SetHeartbeatDetails(settled)
	val, err := next.ExecuteActivity(a.RotateBatch, in)
	if err != nil {
		t.Fatalf("the next attempt: %v", err)
	}
	var res RotateBatchResult
	if err := val.Get(&res); err != nil {
		t.Fatal(err)
	}
	for i, o := range res.Outcomes {
		if o.Status != BatchSucceeded {
			t.Errorf("%s: %s (%s) after the handover", targets[i].SecretID, o.Status, o.Error)
		}
		if cur := versionWith(st.stages(t, targets[i].SecretID), stageCurrent); cur != targets[i].Token {
			t.Errorf("%s: AWSCURRENT on %s, want the token", targets[i].SecretID, cur)
		}
		st.assertInvariant(t, targets[i].SecretID)
	}
	_, _ = a.finishBatch(context.Background(), FinishBatchInput{Holder: in.Holder, Release: releases(targets)})
}

func releases(targets []BatchTarget) []BatchRelease {
	var out []BatchRelease
	for _, tg := range targets {
		out = append(out, BatchRelease{SecretID: tg.SecretID, Token: tg.Token})
	}
	return out
}
