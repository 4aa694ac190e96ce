package localaws

import (
	"context"
	"errors"
)

// Master password changes behind ModifyDBInstance. Each one records what
// it is about to do in rds.json before doing it, and undoes its earlier
// steps when a later one fails; what a crash leaves behind is finished by
// reconcileMasterPassword on the next start. Passwords reach the database
// only as hashes (SCRAM verifiers for PostgreSQL, mysql_native_password
// hashes for MariaDB and MySQL; rds_engines.go).

// record applies mutate to the instance and persists it: the step every
// password change writes before acting.
func (r *rdsService) record(in *rdsInstance, mutate func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	mutate()
	r.saveOrLog()
}

// abort undoes a password change that failed: mutate restores the fields,
// and the instance is available again at once.
func (r *rdsService) abort(in *rdsInstance, mutate func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if mutate != nil {
		mutate()
	}
	in.Status = statusAvailable
	r.saveOrLog()
}

// turnOnManagedPassword creates the managed secret with a new password,
// records it, then applies the password. Should PostgreSQL refuse, the
// secret is deleted and the instance keeps its old password.
func (r *rdsService) turnOnManagedPassword(ctx context.Context, in *rdsInstance, kmsKey string) error {
	in.op.Lock()
	defer in.op.Unlock()
	pw, err := generateMasterPassword()
	if err != nil {
		return err
	}
	verifier, err := engineOf(in.Engine).hashPassword(pw)
	if err != nil {
		return err
	}
	arn, err := r.createMasterSecret(in.Identifier, in.MasterUsername, pw)
	if err != nil {
		r.abort(in, nil)
		return err
	}
	if kmsKey == "" {
		kmsKey = r.defaultSecretKMSKey()
	}
	r.record(in, func() { in.ManagedPassword, in.SecretARN, in.SecretKMSKeyID = true, arn, kmsKey })
	if err := r.applyMasterVerifier(ctx, in, verifier); err != nil {
		if derr := r.sm.deleteServiceSecret(arn); derr != nil {
			r.env.logger.Warn("localaws: managed secret left after a failed switch", "secret", arn, "err", derr)
		}
		r.abort(in, func() { in.ManagedPassword, in.SecretARN, in.SecretKMSKeyID = false, "", "" })
		return err
	}
	return nil
}

// turnOffManagedPassword switches to a caller-chosen password: the record
// first says unmanaged with the new password pending and the old secret to
// delete, then PostgreSQL gets the password, then the secret is deleted.
func (r *rdsService) turnOffManagedPassword(ctx context.Context, in *rdsInstance, password string) error {
	in.op.Lock()
	defer in.op.Unlock()
	verifier, err := engineOf(in.Engine).hashPassword(password)
	if err != nil {
		return err
	}
	r.mu.Lock()
	arn, kms := in.SecretARN, in.SecretKMSKeyID
	r.mu.Unlock()
	r.record(in, func() {
		in.ManagedPassword, in.SecretARN, in.SecretKMSKeyID = false, "", ""
		in.ObsoleteSecretARN, in.PendingVerifier = arn, verifier
	})
	if err := r.applyMasterVerifier(ctx, in, verifier); err != nil {
		r.abort(in, func() {
			in.ManagedPassword, in.SecretARN, in.SecretKMSKeyID = true, arn, kms
			in.ObsoleteSecretARN, in.PendingVerifier = "", ""
		})
		return err
	}
	if err := r.sm.deleteServiceSecret(arn); err != nil {
		r.env.logger.Warn("localaws: managed master secret not deleted", "instance", in.Identifier, "secret", arn, "err", err)
	}
	r.mu.Lock()
	in.ObsoleteSecretARN, in.PendingVerifier = "", ""
	r.saveOrLog()
	r.mu.Unlock()
	return nil
}

// setMasterPassword applies a caller-chosen password; its verifier is
// recorded first so a restart can finish an interrupted change.
func (r *rdsService) setMasterPassword(ctx context.Context, in *rdsInstance, password string) error {
	in.op.Lock()
	defer in.op.Unlock()
	verifier, err := engineOf(in.Engine).hashPassword(password)
	if err != nil {
		return err
	}
	r.record(in, func() { in.PendingVerifier = verifier })
	if err := r.applyMasterVerifier(ctx, in, verifier); err != nil {
		r.abort(in, func() { in.PendingVerifier = "" })
		return err
	}
	r.mu.Lock()
	in.PendingVerifier = ""
	r.saveOrLog()
	r.mu.Unlock()
	return nil
}

// applyMasterVerifier gives the master user the password of verifier
// (ALTER ROLE, ALTER USER). A stopped server (an outage simulated with
// stop-db) is reported as the instance's state, not as a server bug.
func (r *rdsService) applyMasterVerifier(ctx context.Context, in *rdsInstance, verifier string) error {
	if in.cluster == nil {
		return errInternal(r.serverErr(in.Engine).Error())
	}
	err := in.cluster.SetPasswordHash(ctx, in.MasterUsername, verifier)
	if errors.Is(err, errDBNotRunning) {
		return errInstanceState(engineOf(in.Engine).server + " behind DB instance " + in.Identifier + " is not running; the master user password was not changed.")
	}
	return err
}
