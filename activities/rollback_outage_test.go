package activities

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"go.temporal.io/sdk/temporal"
)

// TestRollbackWaitsForTheDatabase: a single user's password was set, then
// the database went away. The rollback must not give up (the database
// holds the new password, AWSCURRENT the old one): it fails retryably
// until the database is back, then restores.
func TestRollbackWaitsForTheDatabase(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategySingleUser)
	step := newStep(secret, StrategySingleUser)
	c := must[CreateResult](t, st, st.acts.CreatePending, step)
	must[SetResult](t, st, st.acts.SetPending, step)

	if err := st.srv.StopInstancePostgres(stackInstance); err != nil {
		t.Fatal(err)
	}
	restarted := false
	defer func() {
		if !restarted {
			_ = st.srv.StartInstancePostgres(stackInstance)
		}
	}()
	in := RollbackInput{Step: step, CurrentVersionID: c.CurrentVersionID, PasswordSet: true}
	// The first attempt may meet a pooled connection the stop killed (a
	// transient error too); the next one finds no server.
	var err error
	for i := 0; i < 3; i++ {
		_, err = st.exec(st.acts.Rollback, in)
		var app *temporal.ApplicationError
		if err == nil || (errors.As(err, &app) && (app.NonRetryable() || app.Type() == ErrDatabaseUnreachable || app.Type() == ErrDatabaseOutage)) {
			t.Fatalf("rollback with the database down: %v; want a retryable error", err)
		}
		st.assertNoPasswords(t, err.Error())
		if contains(err.Error(), "waits for the database") {
			break
		}
	}
	if !contains(err.Error(), "waits for the database") {
		t.Errorf("error %q does not say the rollback waits", err)
	}
	if err := st.srv.StartInstancePostgres(stackInstance); err != nil {
		t.Fatal(err)
	}
	restarted = true
	var r RollbackResult
	for i := 0; i < 3; i++ { // as Temporal would retry it
		if r, err = run[RollbackResult](t, st, st.acts.Rollback, in); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if !r.RestoredPassword || !r.CurrentLoginCheck || !r.RemovedPending {
		t.Fatalf("%+v", r)
	}
	st.assertInvariant(t, secret)
}

// TestRollbackUnreachableHostChangedNothing: a secret whose host does not
// resolve fails at set before touching anything; its rollback reports the
// outage instead of waiting for a host that will never answer.
func TestRollbackUnreachableHostChangedNothing(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategySingleUser)
	cur := st.secretJSON(t, secret, stageCurrent)
	cur.raw["host"], _ = json.Marshal("db.invalid")
	st.putCurrent(t, secret, cur)
	step := newStep(secret, StrategySingleUser)
	c := must[CreateResult](t, st, st.acts.CreatePending, step)
	app := mustFail(t, st, st.acts.SetPending, step, ErrDatabaseUnreachable)
	if !contains(app.Message(), "db.invalid") {
		t.Errorf("set error %q does not name the host", app.Message())
	}
	r := must[RollbackResult](t, st, st.acts.Rollback, RollbackInput{Step: step, CurrentVersionID: c.CurrentVersionID})
	if !r.RemovedPending || r.CurrentLoginCheck || r.RestoredPassword {
		t.Fatalf("%+v", r)
	}
	if p := versionWith(st.stages(t, secret), stagePending); p != "" {
		t.Fatalf("AWSPENDING left on %s", p)
	}
}

// TestRollbackWithoutTheMasterSecret: the master secret is deleted after
// set, and the worker's master pool is gone (a restart): the rollback
// gives the role its old password back over the role's own login.
func TestRollbackWithoutTheMasterSecret(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategySingleUser)
	m := st.masterLogin(t)
	masterARN := st.putSecret(t, "staging/"+secret+"-own-master", map[string]any{"username": m.Username, "password": m.Password})
	cur := st.secretJSON(t, secret, stageCurrent)
	cur.raw["masterarn"], _ = json.Marshal(masterARN)
	st.putCurrent(t, secret, cur)

	step := newStep(secret, StrategySingleUser)
	c := must[CreateResult](t, st, st.acts.CreatePending, step)
	must[SetResult](t, st, st.acts.SetPending, step)
	if _, err := st.sm.DeleteSecret(context.Background(), &secretsmanager.DeleteSecretInput{SecretId: aws.String(masterARN), ForceDeleteWithoutRecovery: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	fresh := st.newActs(Options{})
	defer fresh.Close()
	saved := st.acts
	st.acts = fresh
	defer func() { st.acts = saved }()

	r := must[RollbackResult](t, st, st.acts.Rollback, RollbackInput{Step: step, CurrentVersionID: c.CurrentVersionID, PasswordSet: true})
	if !r.RestoredPassword || !r.CurrentLoginCheck {
		t.Fatalf("%+v", r)
	}
	st.assertInvariant(t, secret)
	if !contains(st.logs.String(), "master unusable; restoring the password over the role's own login") {
		t.Error("the fall-back to the role's own login is not logged")
	}
}
