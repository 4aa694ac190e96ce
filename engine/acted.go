package engine

import (
	"errors"

	"go.temporal.io/sdk/temporal"
)

// The rule that decides what a rollback must undo. A step that was ever
// attempted may have acted, whatever its last error says: the reply can be
// lost after the server committed, and a later attempt that is refused
// (the database gone, a label moved) says nothing about the earlier one.
// So a step's failure counts as "acted" unless it is known not to have:
//
//   - ErrNotStarted: the step never ran (the batch was cancelled first);
//   - a classified, non-retryable failure of the step's first and only
//     attempt (activities fail fast on bad input before acting) that is
//     not an outage.
//
// Everything else (timeouts, cancellations, transient errors that ran out
// of retries, an outage past its budget, a refusal after earlier attempts)
// may have acted, and the rollback undoes it; every undo is idempotent and
// reads the actual state, so undoing what did not happen is harmless.

// ErrNotStarted marks a step that never started: nothing of it happened.
var ErrNotStarted = errors.New("canceled before the step started")

// attemptsDetail is the detail a step's final error carries when earlier
// attempts ran before it (AfterAttempts).
type attemptsDetail struct {
	EarlierAttempts int `json:"earlierAttempts"`
}

// AfterAttempts marks a final, non-retryable error of a step that had
// earlier attempts: any of them may have acted, so MayHaveActed must not
// trust this last error. err is returned unchanged when there were none,
// or when it is not a non-retryable ApplicationError (then MayHaveActed
// already says it may have acted).
func AfterAttempts(err error, earlier int) error {
	var app *temporal.ApplicationError
	if earlier <= 0 || !errors.As(err, &app) || !app.NonRetryable() {
		return err
	}
	return temporal.NewNonRetryableApplicationError(app.Message(), app.Type(), nil, attemptsDetail{EarlierAttempts: earlier})
}

// MayHaveActed reports whether a step that failed with err may have
// changed something (see the rule above).
func MayHaveActed(err error) bool {
	if err == nil || errors.Is(err, ErrNotStarted) {
		return false
	}
	var canceled *temporal.CanceledError
	var timeout *temporal.TimeoutError
	if errors.As(err, &canceled) || errors.As(err, &timeout) {
		return true
	}
	var app *temporal.ApplicationError
	if !errors.As(err, &app) || !app.NonRetryable() || app.Type() == ErrDatabaseOutage {
		return true
	}
	return earlierAttempts(app) > 0
}

// earlierAttempts reads AfterAttempts' detail. Errors of other shapes
// carry other details (a VerifyResult): decoding those into the marker
// fails, and an error built in this process (a batch) even panics in the
// SDK's assignment, which counts as no marker.
func earlierAttempts(app *temporal.ApplicationError) (n int) {
	if !app.HasDetails() {
		return 0
	}
	defer func() {
		if recover() != nil {
			n = 0
		}
	}()
	var d attemptsDetail
	if app.Details(&d) != nil {
		return 0
	}
	return d.EarlierAttempts
}

// Done is what a rotation has done so far, as its steps reported.
type Done struct {
	PasswordSet bool
	Promoted    bool
}

// Undo is what a rollback must undo after failedStep failed with err,
// given what was done before it, and whether a rollback is needed at all
// (a create that did not act left nothing behind).
func Undo(failedStep string, err error, done Done) (undo Done, needed bool) {
	acted := MayHaveActed(err)
	switch failedStep {
	case StepCreate:
		if !acted {
			return done, false
		}
	case StepSet:
		done.PasswordSet = done.PasswordSet || acted
	case StepPromote:
		done.Promoted = done.Promoted || acted
	}
	return done, true
}

// Unverified reports whether a promoted rotation whose verify failed with
// err must be left promoted rather than rolled back: the database was
// unreachable for longer than the outage budget. After promotion the
// database and AWSCURRENT already agree (the test step proved the new
// password with a fresh login), and a rollback would change the password
// of a database it cannot reach.
func Unverified(promoted bool, err error) bool {
	var app *temporal.ApplicationError
	return promoted && errors.As(err, &app) && app.Type() == ErrDatabaseOutage
}
