package activities

import (
	"context"
	"strings"
)

// RestorePrevious rolls a completed rotation back on demand: the secret
// returns to its AWSPREVIOUS version.
func (a *Activities) RestorePrevious(ctx context.Context, in RestoreInput) (RestoreResult, error) {
	return a.restorePrevious(ctx, in)
}

// restorePrevious gives the database the previous version's password
// (single user; for alternating users the previous role normally still
// has it, which the same check confirms), moves AWSCURRENT to AWSPREVIOUS
// and proves the result logs in.
//
// With ExpectCurrentVersionID it is idempotent: a retry that finds
// AWSCURRENT already on the version that was AWSPREVIOUS (and AWSPREVIOUS
// on the expected one) reports AlreadyRestored; AWSCURRENT anywhere else
// is VersionConflict and nothing changes. Without it, every call swaps
// the two versions again, so workflows should always pass it. A secret
// with an AWSPENDING is being rotated: VersionConflict.
//
// If the process dies after the password change and before the label
// move, AWSCURRENT does not log in until the retry moves the label.
func (a *Activities) restorePrevious(ctx context.Context, in RestoreInput) (RestoreResult, error) {
	if strings.TrimSpace(in.SecretID) == "" {
		return RestoreResult{}, invalidInput("restore: secretId is empty")
	}
	if in.Strategy != StrategySingleUser && in.Strategy != StrategyAlternatingUsers {
		return RestoreResult{}, invalidInput("secret %s: restore supports %s and %s, not %q", in.SecretID, StrategySingleUser, StrategyAlternatingUsers, in.Strategy)
	}
	st, err := a.describeSecret(ctx, in.SecretID)
	if err != nil {
		return RestoreResult{}, err
	}
	current, previous := st.versionWith(stageCurrent), st.versionWith(stagePrevious)
	if in.ExpectCurrentVersionID != "" && current != in.ExpectCurrentVersionID {
		if previous == in.ExpectCurrentVersionID {
			res := RestoreResult{RestoredVersionID: current, ReplacedVersionID: previous, AlreadyRestored: true}
			if err := a.previousBack(ctx, in, previous); err != nil {
				return res, err
			}
			return res, a.checkCurrentLogin(ctx, in.SecretID)
		}
		if in.RestorePrevious && previous == in.PreviousVersionID {
			// A retry after AWSPREVIOUS was put back too: a rotation by
			// someone else would have left AWSPREVIOUS on the expected
			// version, not on the one before it.
			res := RestoreResult{RestoredVersionID: current, ReplacedVersionID: in.ExpectCurrentVersionID, AlreadyRestored: true}
			return res, a.checkCurrentLogin(ctx, in.SecretID)
		}
		return RestoreResult{}, nonRetryable(ErrVersionConflict, "secret "+in.SecretID+": AWSCURRENT is on version "+current+
			", not the expected "+in.ExpectCurrentVersionID+"; not restoring over someone else's change")
	}
	if err := a.refuseLiveLeases(ctx, in.SecretID, st); err != nil {
		return RestoreResult{}, err
	}
	if pending := st.versionWith(stagePending); pending != "" {
		return RestoreResult{}, nonRetryable(ErrVersionConflict, "secret "+in.SecretID+": version "+pending+" is AWSPENDING; a rotation is in progress")
	}
	if previous == "" || previous == current {
		return RestoreResult{}, nonRetryable(ErrVersionConflict, "secret "+in.SecretID+" has no AWSPREVIOUS version to restore")
	}
	prev, _, err := a.appSecret(ctx, in.SecretID, previous, "")
	if err != nil {
		return RestoreResult{}, err
	}
	cur, _, err := a.appSecret(ctx, in.SecretID, current, "")
	if err != nil {
		return RestoreResult{}, err
	}
	if _, err := a.ensurePassword(ctx, in.SecretID, prev, &cur); err != nil {
		return RestoreResult{}, err
	}
	if err := a.moveStage(ctx, in.SecretID, stageCurrent, previous, current); err != nil {
		return RestoreResult{}, err
	}
	// Secrets Manager moved AWSPREVIOUS onto the replaced version.
	if err := a.previousBack(ctx, in, current); err != nil {
		return RestoreResult{}, err
	}
	if err := a.checkCurrentLogin(ctx, in.SecretID); err != nil {
		return RestoreResult{}, err
	}
	logger(ctx).Info("restored previous version", "secret", in.SecretID, "restored", previous, "replaced", current)
	return RestoreResult{RestoredVersionID: previous, ReplacedVersionID: current}, nil
}

// previousBack puts AWSPREVIOUS, which Secrets Manager left on replaced,
// where in says it was before the rotation being undone (or removes it
// when there was none); without RestorePrevious it stays. It moves the
// label only off replaced, naming it, so it never undoes a change made
// since.
func (a *Activities) previousBack(ctx context.Context, in RestoreInput, replaced string) error {
	if !in.RestorePrevious || in.PreviousVersionID == replaced {
		return nil
	}
	return a.moveStage(ctx, in.SecretID, stagePrevious, in.PreviousVersionID, replaced)
}
