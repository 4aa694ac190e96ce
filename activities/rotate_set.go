package activities

import (
	"context"
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
)

// SetPending is the set step of a rotation (docs/architecture.md §2, step 2).
func (a *Activities) SetPending(ctx context.Context, step RotationStep) (SetResult, error) {
	var res SetResult
	var clock drainClock
	err := stepFor(ctx, StepSet, step.OutageBudget).run(ctx, ctx, secretSubject(step.SecretID), func(ctx context.Context) (err error) {
		res, err = a.setPending(ctx, step)
		clock.observe(&res, err)
		return err
	})
	return res, err
}

// setPending gives the pending role the pending password in the database,
// through the instance's pooled master connection: single user, ALTER
// ROLE; alternating users, CREATE ROLE name_clone (member of name) when it
// is missing, else ALTER ROLE, and on every set step the clone is made
// the original's twin again (ensureAlternateRole). A secret without any
// master changes its own password over a login with the current
// credentials (single user only).
//
// Invariant afterwards: the pending credentials log in. For a single user
// the current credentials no longer do (until promotion publishes the new
// ones); for alternating users they still do, and the clone has the
// original's attributes, settings and access to the other's objects.
//
// Alternating users: before anything changes, the drain check looks for
// clients still logging in as the pending role (the one AWSPREVIOUS
// holds): its sessions opened since AWSCURRENT's version was created
// (drainDecision). warn proceeds and reports them, fail refuses with
// ConsumersActive having changed nothing, wait polls (stepRun) until they
// are gone or the drain timeout has passed.
//
// If the process dies right after the ALTER ROLE, the retry finds the
// password in place (SCRAM verifier check when pg_authid is readable, or
// a pending login without a master) or sets it again: ALTER ROLE with the
// same password is harmless. A retry runs the drain check again, which
// changes nothing; a refusal then counts as may-have-acted
// (engine.AfterAttempts) and the rollback undoes the first attempt.
func (a *Activities) setPending(ctx context.Context, step RotationStep) (SetResult, error) {
	if err := validateStep(step); err != nil {
		return SetResult{}, err
	}
	st, err := a.describeSecret(ctx, step.SecretID)
	if err != nil {
		return SetResult{}, err
	}
	promoted := st.versionWith(stageCurrent) == step.Token
	if !promoted && !st.has(step.Token, stagePending) {
		return SetResult{}, nonRetryable(ErrVersionConflict, "secret "+step.SecretID+": token "+step.Token+" has no pending version (create must run first)")
	}
	pending, _, err := a.appSecret(ctx, step.SecretID, step.Token, "")
	if err != nil {
		return SetResult{}, err
	}
	return a.setPendingPassword(ctx, step, pending)
}

// setPendingPassword is set once the pending version is read: a batch
// (batch_rotate.go), which holds the secret's lease and the pending value
// it just wrote, calls it directly.
func (a *Activities) setPendingPassword(ctx context.Context, step RotationStep, pending DBSecret) (SetResult, error) {
	m, err := a.masterFor(ctx, step.SecretID, pending)
	if err != nil {
		return SetResult{}, err
	}
	if m == nil {
		if step.Strategy == StrategyAlternatingUsers {
			return SetResult{}, invalidInput("secret %s: alternating users need a master to create %q; add masterarn to the secret", step.SecretID, pending.Username)
		}
		return a.setOwnPassword(ctx, step, pending)
	}
	res := SetResult{Username: pending.Username}
	// The drain check concerns a change still to come: not one that an
	// earlier attempt already promoted (a resumed batch re-checks its
	// password through set), nor, below, one already in the database.
	var since time.Time
	drain := false
	if step.Strategy == StrategyAlternatingUsers {
		var current string
		if current, since, err = a.versionCreated(ctx, step.SecretID, stageCurrent); err != nil {
			return SetResult{}, err
		}
		drain = current != step.Token
	}
	// drained is the drain check's refusal or wait, returned once the
	// master session is back (withMaster classifies its own errors).
	var drained error
	err = a.withMaster(ctx, step.SecretID, m, func(q Querier) error {
		fail := func(err error) error {
			return dbError(ctx, secretSubject(step.SecretID), pending.target(), appLogin, err, pending.Password)
		}
		if drain {
			held, _, err := passwordHeld(ctx, q, pending.Username, pending.Password)
			if err != nil {
				return fail(err)
			}
			drain = !held
		}
		if drain {
			// Before anything changes: who still logs in as the role
			// about to get a new password (consumers.go).
			sessions, err := sessionsSince(ctx, q, pending.Username, since)
			if err != nil {
				return fail(err)
			}
			if res.Drain, drained = drainDecision(step, sessions); drained != nil {
				return nil
			}
		}
		if step.Strategy == StrategyAlternatingUsers {
			created, passwordSet, err := ensureAlternateRole(ctx, q, step, pending.Username, pending.Password)
			res.CreatedRole = created
			if err != nil || passwordSet {
				return fail(err)
			}
		}
		held, _, err := passwordHeld(ctx, q, pending.Username, pending.Password)
		if err != nil {
			return fail(err)
		}
		if held {
			res.AlreadySet = true
			return nil
		}
		return fail(setRolePassword(ctx, q, pending.Username, pending.Password))
	})
	if err == nil {
		err = drained
	}
	if err != nil {
		return SetResult{}, err
	}
	logger(ctx).Info("set pending password", "secret", step.SecretID, "username", res.Username,
		"alreadySet", res.AlreadySet, "createdRole", res.CreatedRole)
	return res, nil
}

// ensureAlternateRole prepares the pending role of an alternating pair
// before its password is set: the clone exists and logs in when it is
// the pending role (ensureCloneLogin, which may set the password with
// it: passwordSet), it is a member of the original, and it is the
// original's twin again (syncCloneTwin), whichever role is pending, since
// the original may have changed since the last set step. created says
// the clone was made here.
//
// Dying anywhere in it is safe: each part compares before it changes,
// and the retry does what is left.
func ensureAlternateRole(ctx context.Context, q Querier, step RotationStep, role, password string) (created, passwordSet bool, err error) {
	base := baseUser(role)
	clone := base + cloneSuffix
	if role == clone {
		if created, passwordSet, err = ensureCloneLogin(ctx, q, base, clone, password, step.Token); err != nil {
			return created, false, err
		}
	} else if exists, err := roleExists(ctx, q, clone); err != nil || !exists {
		return false, false, err // no clone yet: nothing to keep a twin
	}
	if !created {
		if err := grantMembership(ctx, q, base, clone); err != nil {
			return false, passwordSet, err
		}
	}
	return created, passwordSet, syncCloneTwin(ctx, q, step.SecretID, base, clone)
}

// setOwnPassword is set for a secret with no master: the role logs in with
// the current password and changes its own. When the current password is
// refused, the pending one may already be in place (a retry after a
// crash): a login with it settles that.
func (a *Activities) setOwnPassword(ctx context.Context, step RotationStep, pending DBSecret) (SetResult, error) {
	res := SetResult{Username: pending.Username}
	cur, curID, err := a.appSecret(ctx, step.SecretID, "", stageCurrent)
	if err != nil {
		return res, err
	}
	if curID == step.Token || cur.Password == pending.Password {
		res.AlreadySet = true
		return res, a.login(ctx, step.SecretID, pending, appLogin, selectOne(ctx))
	}
	if cur.Username != pending.Username {
		return res, invalidInput("secret %s: the pending user %q differs from the current %q; a role cannot rename itself", step.SecretID, pending.Username, cur.Username)
	}
	err = a.login(ctx, step.SecretID, cur, appLogin, func(q Querier) error {
		return dbError(ctx, secretSubject(step.SecretID), cur.target(), appLogin,
			setRolePassword(ctx, q, pending.Username, pending.Password), pending.Password, cur.Password)
	})
	if isErrorType(err, ErrLoginFailed) {
		if a.login(ctx, step.SecretID, pending, appLogin, selectOne(ctx)) == nil {
			res.AlreadySet = true
			return res, nil
		}
	}
	if err != nil {
		return res, err
	}
	logger(ctx).Info("set pending password over the role's own login", "secret", step.SecretID, "username", res.Username)
	return res, nil
}

// selectOne is the least a login must prove: the session can run a query.
func selectOne(ctx context.Context) func(Querier) error {
	return func(q Querier) error {
		var one int
		return q.QueryRow(ctx, "SELECT 1").Scan(&one)
	}
}

// isErrorType reports whether err is an ApplicationError of type t.
func isErrorType(err error, t string) bool {
	var app *temporal.ApplicationError
	return errors.As(err, &app) && app.Type() == t
}
