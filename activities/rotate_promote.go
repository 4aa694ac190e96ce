package activities

import (
	"context"
)

// Promote is the promote step of a rotation (docs/architecture.md §2, step 4).
func (a *Activities) Promote(ctx context.Context, in PromoteInput) (PromoteResult, error) {
	var res PromoteResult
	err := stepFor(ctx, StepPromote, in.Step.OutageBudget).run(ctx, ctx, secretSubject(in.Step.SecretID), func(ctx context.Context) (err error) {
		res, err = a.promote(ctx, in)
		return err
	})
	return res, err
}

// promote moves AWSCURRENT from the version current when the rotation
// began to the token (Secrets Manager moves AWSPREVIOUS along), then
// removes AWSPENDING from the token, so no label is left behind.
//
// Invariant afterwards: the token's version is AWSCURRENT and nothing is
// AWSPENDING; applications that re-read the secret get the new password.
//
// If the process dies between the two label calls, the retry finds the
// token already current and only removes AWSPENDING (AlreadyPromoted). If
// AWSCURRENT has moved to a third version, someone else rotated the
// secret: VersionConflict, and nothing is changed.
func (a *Activities) promote(ctx context.Context, in PromoteInput) (PromoteResult, error) {
	return a.promoteAs(ctx, in, false)
}

// promoteAs is promote; leased says the caller holds the secret's lease
// on the token (a batch), which then marks the version to promote whether
// or not it carries AWSPENDING (labelsPending).
func (a *Activities) promoteAs(ctx context.Context, in PromoteInput, leased bool) (PromoteResult, error) {
	step := in.Step
	if err := validateStep(step); err != nil {
		return PromoteResult{}, err
	}
	st, err := a.describeSecret(ctx, step.SecretID)
	if err != nil {
		return PromoteResult{}, err
	}
	current := st.versionWith(stageCurrent)
	res := PromoteResult{PreviousVersionID: in.CurrentVersionID}
	if current == step.Token {
		res.AlreadyPromoted = true
		if prev := st.versionWith(stagePrevious); prev != "" {
			res.PreviousVersionID = prev
		}
		if st.has(step.Token, stagePending) {
			if err := a.moveStage(ctx, step.SecretID, stagePending, "", step.Token); err != nil {
				return PromoteResult{}, err
			}
		}
		return res, nil
	}
	if !leased && !st.has(step.Token, stagePending) {
		return PromoteResult{}, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": token "+step.Token+" is not pending; nothing to promote")
	}
	if in.CurrentVersionID != "" && current != in.CurrentVersionID {
		return PromoteResult{}, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": AWSCURRENT is on version "+current+
			", not "+in.CurrentVersionID+" as when the rotation began; someone else changed the secret")
	}
	res.PreviousVersionID = current
	if err := a.moveStage(ctx, step.SecretID, stageCurrent, step.Token, current); err != nil {
		return PromoteResult{}, err
	}
	if st.has(step.Token, stagePending) {
		if err := a.moveStage(ctx, step.SecretID, stagePending, "", step.Token); err != nil {
			return PromoteResult{}, err
		}
	}
	logger(ctx).Info("promoted pending version", "secret", step.SecretID, "version", step.Token, "previous", current)
	return res, nil
}

// promoteKnown is promote when the lease holder knows the labels: the
// move of AWSCURRENT and, when the token carries AWSPENDING (withPending),
// its removal, each naming where the label is, so Secrets Manager refuses
// them if anything moved; on a refusal (a repeated attempt, or a reply
// lost after the move) it falls back to promote, which reads the labels
// and finishes what is left.
func (a *Activities) promoteKnown(ctx context.Context, step RotationStep, current string, withPending bool) error {
	err := a.moveStage(ctx, step.SecretID, stageCurrent, step.Token, current)
	if err == nil && withPending {
		err = a.moveStage(ctx, step.SecretID, stagePending, "", step.Token)
	}
	if isErrorType(err, ErrAWSRequestRefused) {
		_, err = a.promoteAs(ctx, PromoteInput{Step: step, CurrentVersionID: current}, true)
	}
	if err == nil {
		logger(ctx).Info("promoted pending version", "secret", step.SecretID, "version", step.Token, "previous", current)
	}
	return err
}
