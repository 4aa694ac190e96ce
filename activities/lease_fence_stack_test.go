package activities

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
)

// TestLeaseFenceBetweenAttempts: attempt 2 of a batch resumes a secret
// attempt 1 had leased; from then on attempt 1, still running somewhere,
// may not act on it: its create and its undo are refused with
// AttemptFenced before they write, and a whole stale attempt settles
// nothing. RollbackBatch then takes the lease from every attempt.
func TestLeaseFenceBetweenAttempts(t *testing.T) {
	st := localStack(t)
	ctx := context.Background()
	f := newOneTarget(t, st)
	a, x, h, tb, step := f.a, f.secret, f.h, f.tb, f.step

	if _, err := a.acquireAndCreateAt(ctx, step, tb[0].LockID, h, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := a.acquireAndCreateAt(ctx, step, tb[0].LockID, h, 2); err != nil {
		t.Fatalf("attempt 2 resuming: %v", err)
	}
	labels := strings.Join(st.stages(t, x)[step.Token], ",")
	if !strings.Contains(labels, h.labelAt(2)) || strings.Contains(labels, h.labelAt(1)) {
		t.Fatalf("labels %s: attempt 2 must hold the lease alone", labels)
	}
	fenced := func(what string, err error) {
		t.Helper()
		var app *temporal.ApplicationError
		if !errors.As(err, &app) || app.Type() != ErrAttemptFenced {
			t.Errorf("%s by a stale attempt: %v, want %s", what, err, ErrAttemptFenced)
		}
	}
	_, err := a.acquireAndCreateAt(ctx, step, tb[0].LockID, h, 1)
	fenced("create", err)
	_, err = a.rollbackLeased(ctx, h, RollbackInput{Step: step, PasswordSet: true}, 1)
	fenced("an undo", err)
	if _, err := a.acquireAndCreateAt(ctx, step, tb[0].LockID, h, 2); err != nil {
		t.Fatalf("attempt 2 fenced by its own lease: %v", err)
	}

	// A whole stale attempt: it stops at the first secret, settling and
	// rolling back nothing.
	before := st.stages(t, x)
	env := st.suite.NewTestActivityEnvironment() // runs as attempt 1
	env.RegisterActivityWithOptions(a, RegisterOptions)
	_, err = env.ExecuteActivity(a.RotateBatch, RotateBatchInput{Holder: h, Environment: stackEnv, Targets: tb})
	fenced("a batch", err)
	if after := st.stages(t, x); len(after[step.Token]) != len(before[step.Token]) || versionWith(after, stageCurrent) != versionWith(before, stageCurrent) {
		t.Errorf("the stale attempt changed the secret: %v, was %v", after, before)
	}

	// Attempt 2 finishes; a rollback of the stage takes the lease from
	// every attempt, so not even attempt 2 may act again.
	if _, err := a.setPendingPassword(ctx, step, st.secretJSON(t, x, stagePending)); err != nil {
		t.Fatal(err)
	}
	if _, err := a.rollbackLeased(ctx, h, RollbackInput{Step: step, PasswordSet: true}, fenceFinal); err != nil {
		t.Fatalf("RollbackBatch's undo: %v", err)
	}
	_, err = a.rollbackLeased(ctx, h, RollbackInput{Step: step, PasswordSet: true}, 2)
	fenced("an undo by attempt 2 after the stage's rollback", err)
	st.assertInvariant(t, x)
	if _, err := a.finishBatch(ctx, FinishBatchInput{Holder: h, Release: releases(tb)}); err != nil {
		t.Fatal(err)
	}
	if l := st.leases(t, x); len(l) > 0 {
		t.Errorf("leases left after FinishBatch: %v", l)
	}
}
