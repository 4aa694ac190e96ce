package activities

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
)

// freshActivities is an Activities of its own over the shared stack: its
// master pools start cold, and the master window is the test's.
func freshActivities(t *testing.T, st *stack, window, backoff time.Duration) *Activities {
	t.Helper()
	acts := st.newActs(Options{MasterAuthWindow: window, MasterAuthBackoff: backoff})
	t.Cleanup(acts.Close)
	return acts
}

// pointMasterAt rewrites an app secret's AWSCURRENT to name another master
// secret.
func (st *stack) pointMasterAt(t *testing.T, secret, masterARN string) {
	t.Helper()
	s := st.secretJSON(t, secret, stageCurrent)
	b, _ := json.Marshal(map[string]any{"engine": "postgres", "host": s.Host, "port": s.Port, "username": s.Username,
		"password": s.Password, "dbname": s.DBName, "masterarn": masterARN})
	if _, err := st.sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(secret), SecretString: aws.String(string(b))}); err != nil {
		t.Fatal(err)
	}
}

func masterJSON(username, password string) string {
	b, _ := json.Marshal(map[string]string{"username": username, "password": password})
	return string(b)
}

// TestMasterLoginInRDSRotationWindow holds RDS's managed master rotation
// in its window (the new password staged as AWSPENDING and set in the
// database, AWSCURRENT not moved yet): a set step with a cold master pool
// logs in with AWSPENDING. The backoff window is off, so nothing else
// could have saved it.
func TestMasterLoginInRDSRotationWindow(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategySingleUser)
	acts := freshActivities(t, st, -1, 0)
	ctx := context.Background()
	step := newStep(secret, StrategySingleUser)
	if _, err := acts.CreatePending(ctx, step); err != nil {
		t.Fatal(err)
	}

	masterBefore := st.masterLogin(t)
	finish, err := st.srv.RotateManagedMasterStaged(stackInstance)
	if err != nil {
		t.Fatalf("RotateManagedMasterStaged: %v", err)
	}
	finished := false
	t.Cleanup(func() {
		if !finished {
			_ = finish()
		}
	})
	masterStages := st.stages(t, st.instance.MasterSecretARN)
	currentBefore := versionWith(masterStages, stageCurrent)
	if versionWith(masterStages, stagePending) == "" {
		t.Fatalf("no AWSPENDING in the window: %v", masterStages)
	}
	if st.masterLogin(t).Password != masterBefore.Password {
		t.Fatal("AWSCURRENT moved before the window ended")
	}

	if _, err := acts.SetPending(ctx, step); err != nil {
		t.Fatalf("SetPending in the RDS rotation window: %v", err)
	}
	if versionWith(st.stages(t, st.instance.MasterSecretARN), stageCurrent) != currentBefore {
		t.Fatal("the window ended before SetPending ran")
	}
	if !st.logsIn(secret, stagePending) {
		t.Fatal("the pending password does not log in after SetPending")
	}

	finished = true
	if err := finish(); err != nil {
		t.Fatalf("finish the rotation: %v", err)
	}
	// The pool made with AWSPENDING serves on after AWSCURRENT moved to it.
	if _, err := acts.SetPending(ctx, step); err != nil {
		t.Fatalf("SetPending after the rotation: %v", err)
	}
	st.assertNoPasswords(t, st.logs.String())
}

// TestMasterLoginOutlastsStaleMasterSecret: the master secret's AWSCURRENT
// lags the database by a few seconds (no AWSPENDING to help); re-reading
// it with backoff picks up the new value once it lands.
func TestMasterLoginOutlastsStaleMasterSecret(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategySingleUser)
	master := st.masterLogin(t)
	masterARN := st.putSecret(t, "master-lagging-"+uuid.NewString()[:8], map[string]string{
		"username": master.Username, "password": "Stale-Master-Password-1"})
	st.pointMasterAt(t, secret, masterARN)
	acts := freshActivities(t, st, 30*time.Second, 250*time.Millisecond)
	ctx := context.Background()
	step := newStep(secret, StrategySingleUser)
	if _, err := acts.CreatePending(ctx, step); err != nil {
		t.Fatal(err)
	}

	const lag = 3 * time.Second
	done := make(chan error, 1)
	go func() {
		time.Sleep(lag)
		_, err := st.sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{
			SecretId: aws.String(masterARN), SecretString: aws.String(masterJSON(master.Username, master.Password))})
		done <- err
	}()
	start := time.Now()
	_, err := acts.SetPending(ctx, step)
	took := time.Since(start)
	if perr := <-done; perr != nil {
		t.Fatal(perr)
	}
	if err != nil {
		t.Fatalf("SetPending with a master secret that catches up after %v: %v", lag, err)
	}
	if took < lag {
		t.Fatalf("SetPending took %v, less than the lag %v: it cannot have used the stale secret", took, lag)
	}
	t.Logf("SetPending waited %v for the master secret", took.Round(time.Millisecond))
	if !st.logsIn(secret, stagePending) {
		t.Fatal("the pending password does not log in after SetPending")
	}
}

// TestMasterLoginWrongPasswordFailsAfterWindow: a master secret that never
// holds the database's password fails with a non-retryable
// MasterAuthFailed naming the master secret, once the window has passed.
func TestMasterLoginWrongPasswordFailsAfterWindow(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategySingleUser)
	master := st.masterLogin(t)
	masterARN := st.putSecret(t, "master-wrong-"+uuid.NewString()[:8], map[string]string{
		"username": master.Username, "password": "Wrong-Master-Password-2"})
	st.pointMasterAt(t, secret, masterARN)
	const window = 2 * time.Second
	acts := freshActivities(t, st, window, 200*time.Millisecond)
	ctx := context.Background()
	step := newStep(secret, StrategySingleUser)
	if _, err := acts.CreatePending(ctx, step); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	_, err := acts.SetPending(ctx, step)
	took := time.Since(start)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != ErrMasterAuthFailed || !app.NonRetryable() {
		t.Fatalf("SetPending with a wrong master: %v, want non-retryable %s", err, ErrMasterAuthFailed)
	}
	if took < window || took > window+10*time.Second {
		t.Fatalf("failed after %v, want just after the %v window", took, window)
	}
	if !strings.Contains(app.Message(), masterARN) || !strings.Contains(app.Message(), "28P01") {
		t.Fatalf("message does not name the master secret and the refusal: %s", app.Message())
	}
	t.Logf("%v: %s", took.Round(time.Millisecond), app.Message())

	// The steps after it (a rollback) do not wait the window out again
	// while AWSCURRENT is the version refused.
	start = time.Now()
	_, err = acts.SetPending(ctx, step)
	if !errors.As(err, &app) || app.Type() != ErrMasterAuthFailed || time.Since(start) >= window {
		t.Fatalf("second SetPending: %v after %v, want %s at once", err, time.Since(start), ErrMasterAuthFailed)
	}
	st.assertNoPasswords(t, err.Error(), st.logs.String())
	if strings.Contains(err.Error(), "Wrong-Master-Password-2") {
		t.Fatal("the master password leaked into the error")
	}
}
