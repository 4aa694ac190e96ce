package activities

import (
	"context"
	"testing"
	"time"
)

// TestRotateBatchAbortInterruptsCallsInFlight: an abort arrives while a
// secret's test step waits on a slow probe. The call must be interrupted
// (not waited for), counted as may-have-acted, and the secret rolled back
// once it returned: the batch reports it rolled back within moments, and
// the invariant holds.
func TestRotateBatchAbortInterruptsCallsInFlight(t *testing.T) {
	st := localStack(t)
	a, runs := batchActs(t, st)
	single, alt := st.newUser(t, StrategySingleUser), st.newUser(t, StrategyAlternatingUsers)
	targets := append(batchOf(StrategySingleUser, single), batchOf(StrategyAlternatingUsers, alt)...)
	for i := range targets {
		targets[i].Probes = []SQLProbe{{Name: "stuck", Query: "SELECT pg_sleep(30) IS NULL", Expect: "false"}}
	}
	in := RotateBatchInput{Holder: newHolder(runs), Environment: stackEnv, Targets: targets, Concurrency: 2}
	ctx, abort := context.WithCancel(context.Background())
	time.AfterFunc(2*time.Second, abort)
	start := time.Now()
	res, err := a.rotateBatch(ctx, in)
	took := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if took > 7*time.Second { // the probe alone would hold it 10 s (its timeout), 30 s (its sleep)
		t.Errorf("the abort took %s to take effect: the stuck probe was waited for, not interrupted", took)
	}
	for i, o := range res.Outcomes {
		if o.Status != BatchRolledBack {
			t.Errorf("%s: %s at %s (%s), want rolled back after the abort", targets[i].SecretID, o.Status, o.LastStep, o.Error)
		}
		st.assertInvariant(t, targets[i].SecretID)
	}
	_, _ = a.finishBatch(context.Background(), FinishBatchInput{Holder: in.Holder, Release: releases(targets)})
}
