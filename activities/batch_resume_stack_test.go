package activities

import (
	"context"
	"testing"
)

// TestRotateBatchResumeUndoesWhatAnEarlierAttemptStarted: attempt 1 of a
// batch set secret A's password (A in flight) and rolled B back, then
// died; attempt 2 resumes from the heartbeat. B's failure stops the batch,
// but A may not be skipped as if never started: it carries the run's
// lease, so it is rolled back, and its credentials work. A secret whose
// rollback attempt 1 had begun (heartbeated as undoing) is finished by
// attempt 2 too.
func TestRotateBatchResumeUndoesWhatAnEarlierAttemptStarted(t *testing.T) {
	st := localStack(t)
	a, runs := batchActs(t, st)
	ctx := context.Background()
	secretA, secretB, secretC := st.newUser(t, StrategySingleUser), st.newUser(t, StrategySingleUser), st.newUser(t, StrategySingleUser)
	h := newHolder(runs)
	tb := batchOf(StrategySingleUser, secretA, secretB, secretC)
	for _, k := range []int{0, 2} { // A and C: leased, password set
		acq, err := a.acquireAndCreate(ctx, tb[k].step(stackEnv), tb[k].LockID, h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.setPendingPassword(ctx, tb[k].step(stackEnv), acq.pending); err != nil {
			t.Fatal(err)
		}
	}
	current := func(s string) string { return versionWith(st.stages(t, s), stageCurrent) }
	beat := []BatchOutcome{
		{},
		{SecretID: secretB, Status: BatchRolledBack, LastStep: StepTest, Error: "probe failed"},
		{SecretID: secretC, Status: batchUndoing, LastStep: StepTest, PasswordSet: true, PreviousVersionID: current(secretC)},
	}
	env := st.suite.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(a, RegisterOptions)
	env.SetHeartbeatDetails(beat)
	val, err := env.ExecuteActivity(a.RotateBatch, RotateBatchInput{Holder: h, Environment: stackEnv, Targets: tb})
	if err != nil {
		t.Fatal(err)
	}
	var res RotateBatchResult
	if err := val.Get(&res); err != nil {
		t.Fatal(err)
	}
	for i, o := range res.Outcomes {
		if o.Status != BatchRolledBack {
			t.Errorf("%s: %s (%s), want rolled back", tb[i].SecretID, o.Status, o.Error)
		}
		st.assertInvariant(t, tb[i].SecretID)
	}
	_, _ = a.finishBatch(ctx, FinishBatchInput{Holder: h, Release: releases(tb)})
}
