package activities

import (
	"context"
)

// Rollback undoes a rotation of one secret (docs/architecture.md §2, Rollback).
func (a *Activities) Rollback(ctx context.Context, in RollbackInput) (RollbackResult, error) {
	return a.rollback(ctx, in)
}

// rollback undoes exactly what the rotation did: for a single user, give
// the role back the password of the version that will be AWSCURRENT;
// remove AWSPENDING from the token; if the token was promoted, move
// AWSCURRENT back; then prove that AWSCURRENT logs in. The password comes
// first so that a rollback stopped by Secrets Manager (a refused label
// change) still leaves AWSCURRENT logging in when it was not promoted.
// For alternating users, a clone this rotation created (or gave LOGIN
// back) loses its login once AWSCURRENT is back (disableRolledBackClone).
//
// It reads the secret's actual labels instead of trusting PasswordSet and
// Promoted: a step that died after acting but before reporting would
// otherwise leave its effect behind. For a single user the password is
// checked (and restored) even when PasswordSet is false, for that reason.
//
// Invariant afterwards: AWSCURRENT is the version current before the
// rotation, it logs in, and no AWSPENDING is left on the token. While the
// database cannot be reached it retries (see changed below). Dying
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
		// Someone else moved AWSCURRENT: only our own AWSPENDING is ours
		// to remove.
		if st.has(step.Token, stagePending) {
			if err := a.moveStage(ctx, step.SecretID, stagePending, "", step.Token); err != nil {
				return res, err
			}
			res.RemovedPending = true
		}
		return res, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": AWSCURRENT is on version "+current+
			", neither the rotation's "+step.Token+" nor "+target+"; someone else changed the secret, not rolling back over it")
	}
	res.CurrentVersionID = target
	// changed: the database may hold the pending password, or AWSCURRENT
	// was moved. Then a database outage (stopped, restarting, refusing
	// new sessions) is waited out, up to the rollback's retry budget:
	// giving up would leave a single user whose AWSCURRENT password the
	// database no longer accepts once it is back. When nothing was
	// changed (the rotation failed before set, or set was refused before
	// acting) there is nothing to restore and nothing to wait for: the
	// outage (or a host that does not resolve) is reported, not retried.
	changed := in.PasswordSet || in.Promoted || current == step.Token
	outage := func(err error) error {
		if changed {
			return retryable("%s; the rollback waits for the database to restore the secret", errMessage(err))
		}
		logger(ctx).Warn("rollback: database unreachable, and the rotation changed nothing in it",
			"secret", step.SecretID, "error", errMessage(err))
		return nil
	}
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
			if !databaseAway(err) {
				return res, err
			}
			if err := outage(err); err != nil {
				return res, err
			}
		}
	}
	// AWSPENDING goes after the password is back: should Secrets Manager
	// refuse the label change, AWSCURRENT still logs in.
	if st.has(step.Token, stagePending) {
		if err := a.moveStage(ctx, step.SecretID, stagePending, "", step.Token); err != nil {
			return res, err
		}
		res.RemovedPending = true
	}
	previousNow := st.versionWith(stagePrevious)
	if current == step.Token {
		if err := a.moveStage(ctx, step.SecretID, stageCurrent, target, step.Token); err != nil {
			return res, err
		}
		res.RestoredCurrent = true
		previousNow = step.Token // Secrets Manager moved AWSPREVIOUS onto the rejected version
	}
	if res.RestoredPrevious, err = a.relabelPrevious(ctx, step, in, previousNow); err != nil {
		return res, err
	}
	if step.Strategy == StrategyAlternatingUsers {
		if err := a.disableRolledBackClone(ctx, step, target); err != nil {
			if !databaseAway(err) {
				return res, err
			}
			if err := outage(err); err != nil {
				return res, err
			}
		}
	}
	if err := a.checkCurrentLogin(ctx, step.SecretID); err != nil {
		if !databaseAway(err) {
			return res, err
		}
		if err := outage(err); err != nil {
			return res, err
		}
		return res, nil // rolled back, but AWSCURRENT could not be proven: CurrentLoginCheck stays false
	}
	res.CurrentLoginCheck = true
	logger(ctx).Info("rolled back", "secret", step.SecretID, "token", step.Token, "current", target,
		"removedPending", res.RemovedPending, "restoredPassword", res.RestoredPassword, "restoredCurrent", res.RestoredCurrent)
	return res, nil
}

// databaseAway reports a database that cannot be reached at all: an
// outage, or a host that does not resolve.
func databaseAway(err error) bool {
	return isOutage(err) || isErrorType(err, ErrDatabaseUnreachable)
}

// relabelPrevious puts AWSPREVIOUS back where it was before the rotation,
// once AWSCURRENT is back: undoing a promotion otherwise leaves it on the
// rejected version, and a later on-demand rollback would restore exactly
// the credentials this one rejected. It only ever moves the label off the
// rotation's own token, so it never undoes someone else's change, and it
// is repeatable: a retry finds the label in place.
func (a *Activities) relabelPrevious(ctx context.Context, step RotationStep, in RollbackInput, previousNow string) (bool, error) {
	if !in.RestorePrevious || previousNow != step.Token || in.PreviousVersionID == step.Token {
		return false, nil
	}
	// With a version to return to, one move does both; without one (the
	// rotation was the secret's first), the label only comes off.
	if err := a.moveStage(ctx, step.SecretID, stagePrevious, in.PreviousVersionID, step.Token); err != nil {
		return false, err
	}
	return true, nil
}

// rollbackLeased is rollback for a secret a batch holds the lease of. A
// secret without the holder's lease on the token's version was never
// taken by this run (its create refused, or backed off, or never ran):
// there is nothing of ours to undo, and touching it could undo someone
// else's rotation, so it is left alone.
//
// It acts as attempt (lease_fence.go): a batch's own undo as the batch's
// attempt, refused when a later attempt holds the lease; RollbackBatch as
// fenceFinal, which takes the lease from every attempt first.
func (a *Activities) rollbackLeased(ctx context.Context, h LeaseHolder, in RollbackInput, attempt int32) (RollbackResult, error) {
	st, err := a.describeSecret(ctx, in.Step.SecretID)
	if err != nil {
		return RollbackResult{}, err
	}
	held := false
	if attempt > 0 {
		held, err = a.takeFence(ctx, in.Step, h, st, attempt)
		if err != nil {
			return RollbackResult{}, err
		}
	} else {
		labels, _ := st.heldBy(in.Step.Token, h)
		held = len(labels) > 0
	}
	if !held {
		logger(ctx).Info("nothing to roll back: this run holds no lease on the secret", "secret", in.Step.SecretID, "token", in.Step.Token)
		return RollbackResult{CurrentVersionID: st.versionWith(stageCurrent)}, nil
	}
	return a.rollback(ctx, in)
}
