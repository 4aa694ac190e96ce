package activities

import (
	"context"
	"errors"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/credstage/credstage/localaws"
	"go.temporal.io/sdk/temporal"
)

func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// TestBadInputFailsFastAndClearly covers bad input: unknown secret,
// malformed JSON, unreachable database and wrong master credentials fail
// non-retryably, naming the secret and the cause, and never a password.
func TestBadInputFailsFastAndClearly(t *testing.T) {
	st := localStack(t)
	master := st.masterLogin(t)
	const leaky = "Leaky-Password-0123456789"
	wrongMaster := st.putSecret(t, "errors/wrong-master", map[string]any{"username": master.Username, "password": leaky + "-master"})
	st.putSecret(t, "errors/malformed", map[string]any{"username": "app", "password": leaky + "-malformed", "port": 5432})
	st.putSecret(t, "errors/not-json", "{\"password\": \""+leaky+"-notjson")
	st.putSecret(t, "errors/wrong-master-user", map[string]any{"engine": "postgres", "host": st.instance.Address, "port": st.instance.Port,
		"username": "nobody_here", "password": leaky + "-app", "dbname": stackDB, "masterarn": wrongMaster})
	port := closedPort(t)
	st.putSecret(t, "errors/outage", map[string]any{"engine": "postgres", "host": "127.0.0.1", "port": port,
		"username": "app", "password": leaky + "-outage", "dbname": stackDB, "masterarn": st.instance.MasterSecretARN})
	st.putSecret(t, "errors/unreachable", map[string]any{"engine": "postgres", "host": "db.invalid", "port": port,
		"username": "app", "password": leaky + "-unreachable", "dbname": stackDB, "masterarn": st.instance.MasterSecretARN})
	st.putSecret(t, "errors/tls-required", map[string]any{"engine": "postgres", "host": st.instance.Address, "port": st.instance.Port,
		"username": master.Username, "password": master.Password, "dbname": stackDB, "sslmode": "disable"})
	st.putSecret(t, "errors/wrong-password", map[string]any{"engine": "postgres", "host": st.instance.Address, "port": st.instance.Port,
		"username": master.Username, "password": leaky + "-wrong", "dbname": stackDB})

	cases := []struct {
		name, secret, errType string
		fn                    func(string) (any, any)
		mentions              []string
	}{
		{"unknown secret", "errors/does-not-exist", ErrSecretNotFound, st.createFn, []string{"ResourceNotFoundException"}},
		{"malformed", "errors/malformed", ErrMalformedSecret, st.createFn, []string{`"host"`}},
		{"not json", "errors/not-json", ErrMalformedSecret, st.createFn, []string{"JSON"}},
		{"wrong master", "errors/wrong-master-user", ErrMasterAuthFailed, st.setFn, []string{"master", "28P01"}},
		{"unreachable", "errors/unreachable", ErrDatabaseUnreachable, st.setFn, []string{"db.invalid"}},
		{"unreachable login", "errors/unreachable", ErrDatabaseUnreachable, st.loginFn, []string{"db.invalid"}},
		// A closed port is what a rebooting instance looks like: set waits
		// it out for its budget, then names the outage.
		{"outage past the budget", "errors/outage", ErrDatabaseOutage, func(s string) (any, any) {
			fn, arg := st.setFn(s)
			step := arg.(RotationStep)
			step.OutageBudget = 2 * time.Second
			return fn, step
		}, []string{"127.0.0.1", strconv.Itoa(port), "outage budget"}},
		{"tls required", "errors/tls-required", ErrTLSRequired, st.loginFn, []string{"TLS", "rds.force_ssl", "sslmode=disable"}},
		{"wrong password", "errors/wrong-password", ErrLoginFailed, st.loginFn, []string{"28P01", master.Username}},
		{"bad strategy", "errors/malformed", ErrInvalidInput, func(s string) (any, any) {
			step := newStep(s, "sideways")
			return st.acts.CreatePending, step
		}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fn, arg := tc.fn(tc.secret)
			app := mustFail(t, st, fn, arg, tc.errType)
			t.Logf("%s: %s", app.Type(), app.Error())
			if !app.NonRetryable() {
				t.Fatalf("%v must be non-retryable", app)
			}
			for _, want := range append([]string{tc.secret}, tc.mentions...) {
				if !contains(app.Error(), want) {
					t.Errorf("message %q should mention %q", app.Error(), want)
				}
			}
			if contains(app.Error(), leaky) {
				t.Fatalf("password in error: %v", app)
			}
		})
	}
	st.assertNoPasswords(t, st.logs.String())
}

func (st *stack) createFn(secret string) (any, any) {
	step := newStep(secret, StrategySingleUser)
	return st.acts.CreatePending, step
}

// setFn needs a pending version first; it is written directly so that
// set is the step that meets the bad master or the unreachable host.
func (st *stack) setFn(secret string) (any, any) {
	step := newStep(secret, StrategySingleUser)
	cur, err := st.sm.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(secret)})
	if err == nil {
		_, err = st.sm.PutSecretValue(context.Background(), &secretsmanager.PutSecretValueInput{SecretId: aws.String(secret),
			ClientRequestToken: aws.String(step.Token), SecretString: cur.SecretString, VersionStages: []string{stagePending}})
	}
	if err != nil {
		panic(err)
	}
	return st.acts.SetPending, step
}

func (st *stack) loginFn(secret string) (any, any) {
	return st.acts.VerifyLogin, LoginCheckInput{SecretID: secret}
}

// TestAWSThrottlingIsRetryable injects throttling into Secrets Manager:
// the activity fails with an ordinary (retryable) error, and succeeds once
// the fault is gone.
func TestAWSThrottlingIsRetryable(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategySingleUser)
	cfg := st.cfg.Copy()
	cfg.RetryMaxAttempts = 1 // see the activity's error, not the SDK's retries
	acts := New(cfg, Options{})
	defer acts.Close()
	id := st.srv.Faults().Add(localaws.Fault{Service: "secretsmanager", Op: "DescribeSecret", Code: "ThrottlingException", Resource: secret})
	step := newStep(secret, StrategySingleUser)
	_, err := acts.createPending(context.Background(), step)
	st.srv.Faults().Remove(id)
	var tr *transientError
	var app *temporal.ApplicationError
	if !errors.As(err, &tr) || errors.As(err, &app) || !contains(err.Error(), secret) || !contains(err.Error(), "ThrottlingException") {
		t.Fatalf("want a retryable error naming the secret and the cause, got %T %v", err, err)
	}
	if _, err := acts.createPending(context.Background(), step); err != nil {
		t.Fatalf("after the fault: %v", err)
	}
	id = st.srv.Faults().Add(localaws.Fault{Service: "secretsmanager", Op: "GetSecretValue", Code: "InternalFailure", Resource: secret})
	_, err = acts.setPending(context.Background(), step)
	st.srv.Faults().Remove(id)
	if !errors.As(err, &tr) {
		t.Fatalf("InternalFailure must be retryable: %T %v", err, err)
	}
	must[RollbackResult](t, st, st.acts.Rollback, RollbackInput{Step: step})
	st.assertInvariant(t, secret)
}
