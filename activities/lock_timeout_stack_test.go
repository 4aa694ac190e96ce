package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/engine"
)

// TestSetGivesUpOnALockedRole: another session holds a lock on the role
// (an uncommitted ALTER ROLE). The set step must not wait for it for ever:
// lock_timeout fails the try with a retryable error within about
// engine.LockTimeout, and once the lock is gone the retry succeeds.
func TestSetGivesUpOnALockedRole(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategySingleUser)
	step := newStep(secret, StrategySingleUser)
	must[CreateResult](t, st, st.acts.CreatePending, step)
	role := st.secretJSON(t, secret, stageCurrent).Username

	ctx := context.Background()
	holder := superuserConn(t, st)
	tx, err := holder.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "ALTER ROLE "+quoteIdent(role)+" CONNECTION LIMIT 7"); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err = st.exec(st.acts.SetPending, step)
	took := time.Since(start)
	var app *temporal.ApplicationError
	if err == nil || (errors.As(err, &app) && app.NonRetryable()) {
		t.Fatalf("set while the role is locked: %v; want a retryable lock timeout", err)
	}
	if !contains(err.Error(), "55P03") {
		t.Errorf("error %q does not say the lock timed out (SQLSTATE 55P03)", err)
	}
	if took > engine.LockTimeout+10*time.Second {
		t.Errorf("set waited %s on the lock; lock_timeout is %s", took, engine.LockTimeout)
	}
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	must[SetResult](t, st, st.acts.SetPending, step)
	st.assertNoPasswords(t, err.Error())
}
