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

// The leased variant: a batch's create step (batch_rotate.go) takes the
// secret's lease (lease.go) and creates the pending version in one go.

// acquired is what the create step of a batched rotation knows once it
// holds the secret's lease: the create result, the pending value it wrote
// (so set and test need not read it back) and whether an earlier attempt
// already promoted the token.
type acquired struct {
	res      CreateResult
	pending  DBSecret
	promoted bool
	// pendingLabel: the token's version carries AWSPENDING, which promote
	// removes (labelsPending).
	pendingLabel bool
}

// acquireAndCreate is the create step of a batched rotation: it takes the
// secret's lease (lease.go) and creates the token's version.
//
// Invariant afterwards: the token's version exists with the holder's
// lease label, and for a single user AWSPENDING (labelsPending), or, on a
// repeated attempt, is already AWSCURRENT; no other live lease, no open
// rotate/<secret> run and no other AWSPENDING exists; the database is
// untouched.
//
// It refuses with AlreadyRotating, having changed nothing (its own
// announcement withdrawn), when another run holds the secret. If the
// process dies after the put, the retry finds the token's version with
// the lease and goes on from there; a token's version without this
// holder's lease is VersionConflict, never a silent reuse. The lease is
// held as attempt (lease_fence.go): a version leased by an earlier attempt
// of the same run is taken over, one leased by a later attempt is
// AttemptFenced.
func (a *Activities) acquireAndCreate(ctx context.Context, step RotationStep, lockID string, h LeaseHolder) (acquired, error) {
	return a.acquireAndCreateAt(ctx, step, lockID, h, 0)
}

func (a *Activities) acquireAndCreateAt(ctx context.Context, step RotationStep, lockID string, h LeaseHolder, attempt int32) (acquired, error) {
	label := h.labelAt(attempt)
	st, err := a.describeSecret(ctx, step.SecretID)
	if err != nil {
		return acquired{}, err
	}
	current := st.versionWith(stageCurrent)
	if current == "" {
		return acquired{}, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+" has no AWSCURRENT version")
	}
	acq := acquired{res: CreateResult{SecretARN: st.ARN, CurrentVersionID: current, PreviousVersionID: st.versionWith(stagePrevious), PreviousKnown: true}}
	if _, exists := st.stages[step.Token]; exists {
		held, err := a.takeFence(ctx, step, h, st, attempt)
		if err != nil {
			return acquired{}, err
		}
		if !held {
			return acquired{}, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": token "+step.Token+" names a version this run holds no lease on")
		}
		pending, _, err := a.appSecret(ctx, step.SecretID, step.Token, "")
		if err != nil {
			return acquired{}, err
		}
		acq.pending, acq.res.Username, acq.res.AlreadyPending = pending, pending.Username, true
		switch {
		case current == step.Token:
			acq.promoted, acq.res.CurrentVersionID = true, st.versionWith(stagePrevious)
			acq.res.PreviousVersionID, acq.res.PreviousKnown = "", false
			return acq, nil
		case st.has(step.Token, stagePending):
			acq.pendingLabel = true
			return acq, nil
		}
		// Announced by an earlier attempt that died before AWSPENDING, or
		// an alternating users' version, which the lease alone marks: the
		// look below decides again.
	} else {
		// Keep away without writing anything when a live lease is in sight.
		quiet := !st.hasLeaseLabel() && st.versionWith(stagePending) == ""
		if !quiet {
			live, _, err := a.leasesOn(ctx, step.SecretID, st, &h)
			if err != nil {
				return acquired{}, err
			}
			if len(live) > 0 {
				return acquired{}, leaseHeldError(step.SecretID, live[0].holder.String())
			}
		}
		// On a quiet secret (no lease, no AWSPENDING) a single user's
		// version goes in with AWSPENDING at once, saving a call; the look
		// below still decides, and backs off, AWSPENDING included, when it
		// must. An alternating users' version carries the lease alone
		// (labelsPending).
		labels := []string{label}
		if quiet && labelsPending(step.Strategy) {
			labels = append(labels, stagePending)
		}
		if acq.pending, err = a.putLeased(ctx, step, st, current, labels); err != nil {
			return acquired{}, err
		}
		acq.res.Username = acq.pending.Username
	}

	// Look after announcing.
	st, err = a.describeSecret(ctx, step.SecretID)
	if err != nil {
		return acquired{}, err
	}
	if labels, at := st.heldBy(step.Token, h); len(labels) == 0 {
		return acquired{}, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": the lease on token "+step.Token+" was removed by someone else")
	} else if at > attempt {
		return acquired{}, attemptFenced(step.SecretID, "a later attempt took the lease while this one was taking it")
	}
	if st.versionWith(stageCurrent) != current {
		return acquired{}, a.backOff(ctx, step, label, nonRetryable(ErrVersionConflict,
			"secret "+step.SecretID+": AWSCURRENT moved while the lease was being taken; someone else changed the secret"))
	}
	live, stale, err := a.leasesOn(ctx, step.SecretID, st, &h)
	if err != nil {
		return acquired{}, err
	}
	if len(live) > 0 {
		return acquired{}, a.backOff(ctx, step, label, leaseHeldError(step.SecretID, live[0].holder.String()))
	}
	if a.runs == nil {
		return acquired{}, a.backOff(ctx, step, label, invalidInput("secret %s: a batched rotation needs a RunChecker to see RotateSecret runs", step.SecretID))
	}
	open, err := a.runs.RunOpen(ctx, lockID, "")
	if err != nil {
		return acquired{}, retryable("secret %s: cannot tell whether workflow %s is running: %v", step.SecretID, lockID, err)
	}
	if open {
		return acquired{}, a.backOff(ctx, step, label, leaseHeldError(step.SecretID, "workflow "+lockID))
	}
	if err := a.removeStaleLeases(ctx, step.SecretID, stale); err != nil {
		return acquired{}, err
	}
	if err := a.claimPending(ctx, step, label, st, &acq); err != nil {
		return acquired{}, err
	}
	logger(ctx).Info("took the lease and created the pending version", "secret", step.SecretID, "version", step.Token,
		"username", acq.res.Username, "holder", h.String(), "staleCleared", acq.res.StaleCleared)
	return acq, nil
}

// claimPending gives a single user's token AWSPENDING, naming where the
// label was: Secrets Manager refuses the move if it went anywhere else
// since the look, and the lost race backs off. An alternating users'
// token takes no AWSPENDING (labelsPending); a stale one elsewhere (a
// closed run's: the look found no open rotation) is removed, naming its
// version, so that none is left. A token that already carries AWSPENDING
// (an earlier attempt) keeps it, and promote removes it.
func (a *Activities) claimPending(ctx context.Context, step RotationStep, label string, st secretState, acq *acquired) error {
	stalePending := st.versionWith(stagePending)
	if stalePending == step.Token {
		acq.pendingLabel = true
		return nil
	}
	if stalePending == "" && !labelsPending(step.Strategy) {
		return nil
	}
	to := ""
	if labelsPending(step.Strategy) {
		to = step.Token
	}
	if err := a.moveStage(ctx, step.SecretID, stagePending, to, stalePending); err != nil {
		if isErrorType(err, ErrAWSRequestRefused) {
			return a.backOff(ctx, step, label, leaseHeldError(step.SecretID, "another rotation (AWSPENDING moved while the lease was being taken)"))
		}
		return err
	}
	acq.pendingLabel = to != ""
	if stalePending != "" {
		acq.res.StaleCleared = stalePending
		logger(ctx).Warn("cleared a stale AWSPENDING left by an earlier run", "secret", step.SecretID, "staleVersion", stalePending)
	}
	return nil
}

// putLeased writes the token's version, AWSCURRENT's JSON with a new
// password (and for alternating users the other role), with labels (the
// lease first), and returns it parsed.
func (a *Activities) putLeased(ctx context.Context, step RotationStep, st secretState, current string, labels []string) (DBSecret, error) {
	label := labels[0]
	cur, _, err := a.appSecret(ctx, step.SecretID, current, "")
	if err != nil {
		return DBSecret{}, err
	}
	username := cur.Username
	if step.Strategy == StrategyAlternatingUsers {
		username = alternateUser(cur.Username)
		if len(username) > maxIdentLen {
			return DBSecret{}, invalidInput("secret %s: user %q is too long for an alternating clone (%d characters at most)", step.SecretID, cur.Username, maxIdentLen-len(cloneSuffix))
		}
	}
	password, err := a.newPassword(ctx, secretSubject(step.SecretID))
	if err != nil {
		return DBSecret{}, err
	}
	value, err := cur.withCredentials(username, password)
	if err != nil {
		return DBSecret{}, retryable("secret %s: %v", step.SecretID, redact(err.Error(), password))
	}
	pending, err := parseAppSecret(step.SecretID, value)
	if err != nil {
		return DBSecret{}, err
	}
	_, err = a.sm.PutSecretValue(ctx, &secretsmanager.PutSecretValueInput{
		SecretId:           aws.String(st.ARN),
		ClientRequestToken: aws.String(step.Token),
		SecretString:       aws.String(value),
		VersionStages:      labels,
	})
	if awsCode(err) == "ResourceExistsException" {
		// An earlier attempt put the token's version first, with a
		// password of its own: use that one if it carries our lease.
		if again, derr := a.describeSecret(ctx, step.SecretID); derr == nil && again.has(step.Token, label) {
			stored, _, err := a.appSecret(ctx, step.SecretID, step.Token, "")
			return stored, err
		}
		return DBSecret{}, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": token "+step.Token+" was already used for another value")
	}
	if err != nil {
		return DBSecret{}, awsError(ctx, secretSubject(step.SecretID), "PutSecretValue", err, password, cur.Password)
	}
	return pending, nil
}

// backOff withdraws an announcement that lost: AWSPENDING (if it got
// that far) and the lease label come off the token's version, which is
// left unlabelled, and cause is returned. Nothing else was done.
func (a *Activities) backOff(ctx context.Context, step RotationStep, label string, cause error) error {
	st, err := a.describeSecret(ctx, step.SecretID)
	if err != nil {
		return err
	}
	if st.has(step.Token, stagePending) {
		if err := a.removeLabel(ctx, step.SecretID, stagePending, step.Token); err != nil {
			return err
		}
	}
	if err := a.removeLabel(ctx, step.SecretID, label, step.Token); err != nil {
		return err
	}
	logger(ctx).Info("kept away from a secret another run holds", "secret", step.SecretID, "reason", errMessage(cause))
	return cause
}
