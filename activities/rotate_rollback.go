package activities

import (
	"context"
)

// Rollback undoes a rotation of one secret (DESIGN.md §3, Rollback).
func (a *Activities) Rollback(ctx context.Context, in RollbackInput) (RollbackResult, error) {
	return a.rollback(ctx, in)
}

// rollback undoes exactly what the rotation did, in reverse: remove
// AWSPENDING from the token; for a single user, give the role back the
// password of the version that will be AWSCURRENT; if the token was
// promoted, move AWSCURRENT back; then prove that AWSCURRENT logs in.
//
// It reads the secret's actual labels instead of trusting PasswordSet and
// Promoted: a step that died after acting but before reporting would
// otherwise leave its effect behind. For a single user the password is
// checked (and restored) even when PasswordSet is false, for that reason.
//
// Invariant afterwards: AWSCURRENT is the version current before the
// rotation, it logs in, and no AWSPENDING is left on the token. Dying
// anywhere in it is safe: every action is conditional on the state it
// finds, so the retry does only what is left.
func (a *Activities) rollback(ctx context.Context, in RollbackInput) (RollbackResult, error) {
	step := in.Step
	if err := validateStep(step); err != nil {
		return RollbackResult{}, err
	}
	st, err := a.describeSecret(ctx, step.SecretID)
	if err != nil {
		return RollbackResult{}, err
	}
	var res RollbackResult
	if st.has(step.Token, stagePending) {
		if err := a.moveStage(ctx, step.SecretID, stagePending, "", step.Token); err != nil {
			return res, err
		}
		res.RemovedPending = true
	}
	current := st.versionWith(stageCurrent)
	target := in.CurrentVersionID
	if target == "" {
		target = current
		if current == step.Token {
			target = st.versionWith(stagePrevious)
		}
	}
	if target == "" {
		return res, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": no version to roll back to")
	}
	if current != target && current != step.Token {
		return res, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": AWSCURRENT is on version "+current+
			", neither the rotation's "+step.Token+" nor "+target+"; someone else changed the secret, not rolling back over it")
	}
	res.CurrentVersionID = target
	if step.Strategy == StrategySingleUser {
		want, _, err := a.appSecret(ctx, step.SecretID, target, "")
		if err != nil {
			return res, err
		}
		var alt *DBSecret
		if pending, _, err := a.appSecret(ctx, step.SecretID, step.Token, ""); err == nil {
			alt = &pending
		} else if !isErrorType(err, ErrSecretNotFound) {
			return res, err
		}
		if res.RestoredPassword, err = a.ensurePassword(ctx, step.SecretID, want, alt); err != nil {
			return res, err
		}
	}
	if current == step.Token {
		if err := a.moveStage(ctx, step.SecretID, stageCurrent, target, step.Token); err != nil {
			return res, err
		}
		res.RestoredCurrent = true
	}
	if err := a.checkCurrentLogin(ctx, step.SecretID); err != nil {
		return res, err
	}
	res.CurrentLoginCheck = true
	logger(ctx).Info("rolled back", "secret", step.SecretID, "token", step.Token, "current", target,
		"removedPending", res.RemovedPending, "restoredPassword", res.RestoredPassword, "restoredCurrent", res.RestoredCurrent)
	return res, nil
}
