package activities

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// CreatePending is the create step of a rotation (docs/architecture.md §2, step 1).
func (a *Activities) CreatePending(ctx context.Context, step RotationStep) (CreateResult, error) {
	var res CreateResult
	err := stepFor(ctx, StepCreate, step.OutageBudget).run(ctx, ctx, secretSubject(step.SecretID), func(ctx context.Context) (err error) {
		res, err = a.createPending(ctx, step)
		return err
	})
	return res, err
}

// createPending makes the token's version: AWSCURRENT's JSON with a new
// password from GetRandomPassword (and, for alternating users, the other
// role's name), labelled AWSPENDING.
//
// Invariant afterwards: the token's version exists and is the only one
// labelled AWSPENDING; the database is untouched; AWSCURRENT is unchanged.
//
// If the process dies right after PutSecretValue, the retry finds the
// token's version with AWSPENDING and returns AlreadyPending: no second
// password is generated. If it dies after clearing a stale AWSPENDING and
// before the put, the retry creates as if there had been none. A token
// whose version exists without AWSPENDING was rolled back or promoted by
// someone else: VersionConflict, never a silent reuse. A live lease of a
// batched rotation (lease.go) is AlreadyRotating, before anything is
// written.
func (a *Activities) createPending(ctx context.Context, step RotationStep) (CreateResult, error) {
	if err := validateStep(step); err != nil {
		return CreateResult{}, err
	}
	st, err := a.describeSecret(ctx, step.SecretID)
	if err != nil {
		return CreateResult{}, err
	}
	current := st.versionWith(stageCurrent)
	if current == "" {
		return CreateResult{}, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+" has no AWSCURRENT version")
	}
	res := CreateResult{SecretARN: st.ARN, CurrentVersionID: current, PreviousVersionID: st.versionWith(stagePrevious), PreviousKnown: true}
	switch {
	case current == step.Token:
		// Created and already promoted: the version a rollback returns
		// to is the one promotion made AWSPREVIOUS, and the one before it
		// can no longer be seen.
		res.CurrentVersionID = st.versionWith(stagePrevious)
		res.PreviousVersionID, res.PreviousKnown = "", false
		return a.alreadyPending(ctx, step, res)
	case st.has(step.Token, stagePending):
		return a.alreadyPending(ctx, step, res)
	case len(st.stages[step.Token]) > 0:
		return CreateResult{}, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": token "+step.Token+" names a version that is neither pending nor current")
	}

	// A batched rotation's live lease keeps this run away; stale leases
	// are removed (lease.go).
	if err := a.refuseLiveLeases(ctx, step.SecretID, st); err != nil {
		return CreateResult{}, err
	}
	if stale := st.versionWith(stagePending); stale != "" {
		if err := a.moveStage(ctx, step.SecretID, stagePending, "", stale); err != nil {
			return CreateResult{}, err
		}
		res.StaleCleared = stale
		logger(ctx).Warn("cleared a stale AWSPENDING left by an earlier run", "secret", step.SecretID, "staleVersion", stale)
	}

	cur, _, err := a.appSecret(ctx, step.SecretID, current, "")
	if err != nil {
		return CreateResult{}, err
	}
	res.Username = cur.Username
	if step.Strategy == StrategyAlternatingUsers {
		res.Username = alternateUser(cur.Username)
		if len(res.Username) > maxIdentLen {
			return CreateResult{}, invalidInput("secret %s: user %q is too long for an alternating clone (%d characters at most)", step.SecretID, cur.Username, maxIdentLen-len(cloneSuffix))
		}
	}
	password, err := a.newPassword(ctx, secretSubject(step.SecretID))
	if err != nil {
		return CreateResult{}, err
	}
	value, err := cur.withCredentials(res.Username, password)
	if err != nil {
		return CreateResult{}, retryable("secret %s: %v", step.SecretID, redact(err.Error(), password))
	}
	_, err = a.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:           aws.String(st.ARN),
		ClientRequestToken: aws.String(step.Token),
		SecretString:       aws.String(value),
		VersionStages:      []string{stagePending},
	})
	if awsCode(err) == "ResourceExistsException" {
		// Another attempt put the token's version first (with a password of
		// its own): keep theirs if it is still pending.
		if again, derr := a.describeSecret(ctx, step.SecretID); derr == nil && again.has(step.Token, stagePending) {
			return a.alreadyPending(ctx, step, res)
		}
		return CreateResult{}, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": token "+step.Token+" was already used for another value")
	}
	if err != nil {
		return CreateResult{}, awsError(ctx, secretSubject(step.SecretID), "PutSecretValue", err, password, cur.Password)
	}
	logger(ctx).Info("created pending version", "secret", step.SecretID, "version", step.Token,
		"username", res.Username, "staleCleared", res.StaleCleared)
	return res, nil
}

func (a *Activities) alreadyPending(ctx context.Context, step RotationStep, res CreateResult) (CreateResult, error) {
	pending, _, err := a.appSecret(ctx, step.SecretID, step.Token, "")
	if err != nil {
		return CreateResult{}, err
	}
	res.Username, res.AlreadyPending = pending.Username, true
	return res, nil
}
