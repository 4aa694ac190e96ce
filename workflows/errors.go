package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/activities"
)

// Error types of the ApplicationErrors the workflows themselves fail
// with. Like those of activities/errors.go they are stable names the CLI
// and tests match on.
const (
	// ErrRotationFailed: the run left something a human must look at (a
	// rollback failed, or the state of a step that cannot be undone is
	// unknown). Its details carry the TargetOutcome (RotateSecret) or the
	// StagedRotationResult (StagedRotation).
	ErrRotationFailed = "RotationFailed"
	// ErrAlreadyRotating: another workflow holds rotate/<secret>.
	ErrAlreadyRotating = "AlreadyRotating"
	// ErrProvisionFailed: provisioning failed and was compensated, for a
	// cause that carried no type of its own.
	ErrProvisionFailed = "ProvisionFailed"
	// ErrCompensationFailed: provisioning failed and undoing it failed
	// too; the message names what was left behind.
	ErrCompensationFailed = "CompensationFailed"
)

// nonRetryableTypes never retry, whatever the activity marked: they are
// the classified failures of activities/errors.go, which a retry cannot
// fix.
var nonRetryableTypes = []string{
	activities.ErrSecretNotFound,
	activities.ErrMalformedSecret,
	activities.ErrMasterAuthFailed,
	activities.ErrLoginFailed,
	activities.ErrDatabaseUnreachable,
	activities.ErrInvalidInput,
	activities.ErrValidationFailed,
	activities.ErrVersionConflict,
	activities.ErrInstanceNotAvailable,
	activities.ErrAWSRequestRefused,
	activities.ErrTLSRequired,
	activities.ErrAuthMethodRefused,
	activities.ErrConsumersActive,
	activities.ErrDatabaseRefused,
	activities.ErrDatabaseOutage,
}

func invalidInput(format string, args ...any) error {
	return temporal.NewNonRetryableApplicationError(fmt.Sprintf(format, args...), activities.ErrInvalidInput, nil)
}

// describeError is the readable message and the stable type of an activity
// or child workflow failure, without the SDK's wrapping ("activity error
// (type: …, scheduledEventID: …)"), for outcomes and progress.
func describeError(err error) (msg, errType string) {
	if err == nil {
		return "", ""
	}
	var canceled *temporal.CanceledError
	var timeout *temporal.TimeoutError
	var app *temporal.ApplicationError
	switch {
	case errors.As(err, &canceled):
		return "canceled", "Canceled"
	case errors.As(err, &timeout):
		msg := "timed out (" + timeout.TimeoutType().String() + ")"
		if errors.As(timeout, &app) {
			msg += " after: " + app.Message()
		}
		return msg, "Timeout"
	case errors.As(err, &app):
		return app.Message(), app.Type()
	}
	return err.Error(), ""
}

// errorType is the ApplicationError type in err's chain, "" if none.
func errorType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}
