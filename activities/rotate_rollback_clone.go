package activities

import "context"

// disableRolledBackClone is the alternating-users part of a rollback: a
// clone that this rotation brought to life (created it, or gave it LOGIN
// back) must not stay able to log in with a password that was never
// promoted. The clone's marker (clone_login.go) is the proof that this
// run enabled it; without it, or when AWSCURRENT (the version target)
// logs in as the clone, nothing is touched.
//
// It runs after AWSCURRENT is back on target, so no client reading the
// secret is sent to a clone that no longer logs in. Dying right after it
// is safe: the retry finds the clone without LOGIN and does nothing; the
// next rotation that needs the clone gives LOGIN back (ensureCloneLogin).
func (a *Activities) disableRolledBackClone(ctx context.Context, step RotationStep, target string) error {
	cur, _, err := a.appSecret(ctx, step.SecretID, target, "")
	if err != nil {
		return err
	}
	base := baseUser(cur.Username)
	clone := base + cloneSuffix
	if cur.Username == clone {
		return nil
	}
	m, err := a.masterFor(ctx, step.SecretID, cur)
	if err != nil || m == nil {
		return err
	}
	var disabled bool
	err = a.withMaster(ctx, step.SecretID, m, func(q Querier) error {
		var err error
		disabled, err = disableCloneLogin(ctx, q, base, clone, step.Token)
		return dbError(ctx, secretSubject(step.SecretID), cur.target(), appLogin, err, cur.Password)
	})
	if err == nil && disabled {
		logger(ctx).Info("rollback: the clone this rotation enabled no longer logs in", "secret", step.SecretID, "clone", clone)
	}
	return err
}
