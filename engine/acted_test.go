package engine

import (
	"errors"
	"fmt"
	"testing"

	"go.temporal.io/sdk/temporal"
)

func refused(typ string) error {
	return temporal.NewNonRetryableApplicationError("refused", typ, nil)
}

func TestMayHaveActed(t *testing.T) {
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"not started", ErrNotStarted, false},
		{"wrapped not started", fmt.Errorf("step: %w", ErrNotStarted), false},
		{"refused on the first attempt", refused("DatabaseRefused"), false},
		{"refused after earlier attempts", AfterAttempts(refused("DatabaseUnreachable"), 1), true},
		{"outage past the budget", refused(ErrDatabaseOutage), true},
		{"transient that ran out", errors.New("connection reset"), true},
		{"retryable application error", temporal.NewApplicationError("busy", "Busy"), true},
		{"timeout", temporal.NewTimeoutError(0, nil), true},
		{"cancelled", temporal.NewCanceledError(), true},
	}
	for _, tc := range cases {
		if got := MayHaveActed(tc.err); got != tc.want {
			t.Errorf("%s: MayHaveActed = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAfterAttemptsKeepsTypeAndMessage(t *testing.T) {
	err := AfterAttempts(refused("LoginFailed"), 2)
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || app.Type() != "LoginFailed" || app.Message() != "refused" || !app.NonRetryable() {
		t.Fatalf("%v", err)
	}
	if plain := errors.New("x"); AfterAttempts(plain, 3) != plain {
		t.Fatal("a transient error must pass unchanged")
	}
	if first := refused("X"); AfterAttempts(first, 0) != first {
		t.Fatal("a first attempt's error must pass unchanged")
	}
}

// TestUndo is the rollback rule: each row is a step failing in a way
// that did or did not act, and what the rollback must undo.
func TestUndo(t *testing.T) {
	setDone := Done{PasswordSet: true}
	cases := []struct {
		step       string
		err        error
		done       Done
		want       Done
		wantNeeded bool
	}{
		{StepCreate, refused("SecretNotFound"), Done{}, Done{}, false},
		{StepCreate, errors.New("lost reply"), Done{}, Done{}, true},
		{StepSet, refused("DatabaseRefused"), Done{}, Done{}, true},
		{StepSet, AfterAttempts(refused("DatabaseUnreachable"), 1), Done{}, setDone, true},
		{StepSet, refused(ErrDatabaseOutage), Done{}, setDone, true},
		{StepTest, refused("LoginFailed"), setDone, setDone, true},
		{StepPromote, errors.New("lost reply"), setDone, Done{PasswordSet: true, Promoted: true}, true},
		{StepPromote, refused("VersionConflict"), setDone, setDone, true},
		{StepVerify, refused("ValidationFailed"), Done{PasswordSet: true, Promoted: true}, Done{PasswordSet: true, Promoted: true}, true},
	}
	for _, tc := range cases {
		got, needed := Undo(tc.step, tc.err, tc.done)
		if got != tc.want || needed != tc.wantNeeded {
			t.Errorf("%s failing with %v after %+v: undo %+v (needed %v), want %+v (%v)", tc.step, tc.err, tc.done, got, needed, tc.want, tc.wantNeeded)
		}
	}
}

func TestUnverified(t *testing.T) {
	if !Unverified(true, refused(ErrDatabaseOutage)) {
		t.Error("an outage after promotion must leave the secret promoted")
	}
	if Unverified(false, refused(ErrDatabaseOutage)) || Unverified(true, refused("ValidationFailed")) {
		t.Error("only an outage after promotion is unverified")
	}
}

func TestBackoff(t *testing.T) {
	var got []string
	var d = Backoff(0, RetryMax)
	for range 7 {
		got = append(got, d.String())
		d = Backoff(d, RetryMax)
	}
	if fmt.Sprint(got) != "[1s 2s 4s 8s 16s 30s 30s]" {
		t.Fatal(got)
	}
}

func TestMayHaveActedIgnoresOtherDetails(t *testing.T) {
	type verifyResult struct{ Checks []string }
	err := temporal.NewNonRetryableApplicationError("validation failed", "ValidationFailed", nil, verifyResult{Checks: []string{"x"}})
	if MayHaveActed(err) {
		t.Fatal("an error with details of another shape is not a marker")
	}
}

func TestToken(t *testing.T) {
	const run = "01a23300-688a-7565-b184-2fb1b08776ae"
	a, b := Token(run, "staging/app"), Token(run, "staging/other")
	if a == b || Token(run, "staging/app") != a {
		t.Fatalf("tokens must be per secret and deterministic: %s %s", a, b)
	}
	if n := len(a); n < 32 || n > 64 {
		t.Fatalf("token %q has %d characters; Secrets Manager takes 32-64", a, n)
	}
	if got, ok := TokenRun(a); !ok || got != run {
		t.Fatalf("TokenRun(%s) = %q, %v", a, got, ok)
	}
	if _, ok := TokenRun("7d3c1e7e-4f0b-4d7c-9d4a-2b1f0e9a8c7d"); ok {
		t.Fatal("a plain UUID (an older run's token) names no run")
	}
}
