package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"
)

// SetPending is the set step of a rotation (DESIGN.md §3, step 2).
func (a *Activities) SetPending(ctx context.Context, step RotationStep) (SetResult, error) {
	var res SetResult
	err := stepFor(StepSet, step.OutageBudget).run(ctx, ctx, secretSubject(step.SecretID), func(ctx context.Context) (err error) {
		res, err = a.setPending(ctx, step)
		return err
	})
	return res, err
}

// setPending gives the pending role the pending password in the database,
// through the instance's pooled master connection: single user, ALTER
// ROLE; alternating users, CREATE ROLE name_clone (member of name) when it
// is missing, else ALTER ROLE. A secret without any master changes its own
// password over a login with the current credentials (single user only).
//
// Invariant afterwards: the pending credentials log in. For a single user
// the current credentials no longer do (until promotion publishes the new
// ones); for alternating users they still do.
//
// If the process dies right after the ALTER ROLE, the retry finds the
// password in place (SCRAM verifier check when pg_authid is readable, or
// a pending login without a master) or sets it again: ALTER ROLE with the
// same password is harmless.
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
	err = a.withMaster(ctx, step.SecretID, m, func(q Querier) error {
		fail := func(err error) error {
			return dbError(ctx, secretSubject(step.SecretID), pending.target(), appLogin, err, pending.Password)
		}
		held, _, err := passwordHeld(ctx, q, pending.Username, pending.Password)
		if err != nil {
			return fail(err)
		}
		if held {
			res.AlreadySet = true
			return nil
		}
		if step.Strategy == StrategyAlternatingUsers {
			created, err := a.ensureAlternateRole(ctx, q, pending.Username, pending.Password)
			if err != nil || created {
				res.CreatedRole = created
				return fail(err)
			}
		}
		return fail(setRolePassword(ctx, q, pending.Username, pending.Password))
	})
	if err != nil {
		return SetResult{}, err
	}
	logger(ctx).Info("set pending password", "secret", step.SecretID, "username", res.Username,
		"alreadySet", res.AlreadySet, "createdRole", res.CreatedRole)
	return res, nil
}

// ensureAlternateRole creates the pending role of an alternating pair when
// it is missing (with the password, as a member of the original role so it
// has the same grants) and keeps the membership when it exists. created
// says the role was made here, password included.
func (a *Activities) ensureAlternateRole(ctx context.Context, q Querier, role, password string) (created bool, err error) {
	base := baseUser(role)
	memberOf := ""
	if base != role {
		memberOf = base
	}
	exists, err := roleExists(ctx, q, role)
	if err != nil {
		return false, err
	}
	if !exists {
		if created, err = createLoginRole(ctx, q, role, password, memberOf); err != nil || created {
			return created, err
		}
	}
	if memberOf != "" {
		return false, grantMembership(ctx, q, memberOf, role)
	}
	return false, nil
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
