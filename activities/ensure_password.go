package activities

import (
	"context"
)

// ensurePassword makes the database accept want's credentials again,
// which rollback and restore need for single users. Through the master it
// is a SCRAM check and, unless the password is known to be held, an ALTER
// ROLE. Without a master the role can only change its own password: a
// login with want settles whether anything is needed, else a login with
// alt (the credentials the database holds now, same role) sets it back;
// the same path serves when the master secret is unusable (deleted,
// refused). changed reports that a password was set.
func (a *Activities) ensurePassword(ctx context.Context, secretID string, want DBSecret, alt *DBSecret) (changed bool, err error) {
	m, err := a.masterFor(ctx, secretID, want)
	if err != nil {
		return false, err
	}
	if m != nil {
		err = a.withMaster(ctx, secretID, m, func(q Querier) error {
			fail := func(err error) error {
				return dbError(ctx, secretSubject(secretID), want.target(), appLogin, err, want.Password)
			}
			held, _, err := passwordHeld(ctx, q, want.Username, want.Password)
			if err != nil || held {
				return fail(err)
			}
			changed = true
			return fail(setRolePassword(ctx, q, want.Username, want.Password))
		})
		if err == nil || !masterUnusable(err) {
			return changed, err
		}
		// The master secret is gone, refused or unreadable: a restore
		// must not depend on it (a rollback that gives up here leaves a
		// single user whose AWSCURRENT the database refuses). The role
		// can still set its own password.
		logger(ctx).Warn("master unusable; restoring the password over the role's own login",
			"secret", secretID, "username", want.Username, "error", errMessage(err))
		selfChanged, selfErr := a.ensureOwnPassword(ctx, secretID, want, alt)
		if selfErr != nil && !databaseAway(selfErr) {
			return false, err
		}
		return selfChanged, selfErr
	}
	return a.ensureOwnPassword(ctx, secretID, want, alt)
}

// masterUnusable reports an error of the master secret itself (deleted,
// malformed, unreadable, or its credentials refused), as opposed to one of
// the database or the statement.
func masterUnusable(err error) bool {
	for _, t := range []string{ErrSecretNotFound, ErrMalformedSecret, ErrAWSRequestRefused, ErrMasterAuthFailed} {
		if isErrorType(err, t) {
			return true
		}
	}
	return false
}

// ensureOwnPassword is ensurePassword without a master: a login with want
// settles whether anything is needed, else the role logs in with alt (the
// password the database holds now) and sets want's back.
func (a *Activities) ensureOwnPassword(ctx context.Context, secretID string, want DBSecret, alt *DBSecret) (changed bool, err error) {
	err = a.login(ctx, secretID, want, appLogin, selectOne(ctx))
	if err == nil || !isErrorType(err, ErrLoginFailed) || alt == nil || alt.Username != want.Username {
		return false, err
	}
	err = a.login(ctx, secretID, *alt, appLogin, func(q Querier) error {
		return dbError(ctx, secretSubject(secretID), alt.target(), appLogin,
			setRolePassword(ctx, q, want.Username, want.Password), want.Password, alt.Password)
	})
	return err == nil, err
}

// checkCurrentLogin logs in with AWSCURRENT as an application would.
func (a *Activities) checkCurrentLogin(ctx context.Context, secretID string) error {
	cur, _, err := a.appSecret(ctx, secretID, "", stageCurrent)
	if err != nil {
		return err
	}
	return a.login(ctx, secretID, cur, appLogin, selectOne(ctx))
}
