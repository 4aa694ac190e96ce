package localaws

import (
	"context"
	"errors"
	"net/url"
	"strconv"

	"github.com/credstage/credstage/localaws/internal/pgcluster"
)

// modifyDBInstance changes an available instance. Master password changes
// are applied to PostgreSQL before the call returns (so the caller can rely
// on them once the instance is available again); the status shows
// modifying or resetting-master-credentials for settleDelay afterwards.
func (r *rdsService) modifyDBInstance(ctx context.Context, form url.Values) (any, error) {
	id, aerr := instanceIdentifier(form, "DBInstanceIdentifier")
	if aerr != nil {
		return nil, aerr
	}
	password := form.Get("MasterUserPassword")
	manage, manageSet, aerr := boolParam(form, "ManageMasterUserPassword")
	if aerr != nil {
		return nil, aerr
	}
	rotate, _, aerr := boolParam(form, "RotateMasterUserPassword")
	if aerr != nil {
		return nil, aerr
	}
	applyNow, _, aerr := boolParam(form, "ApplyImmediately")
	if aerr != nil {
		return nil, aerr
	}
	protect, protectSet, aerr := boolParam(form, "DeletionProtection")
	if aerr != nil {
		return nil, aerr
	}
	storage, storageSet, aerr := intParam(form, "AllocatedStorage")
	if aerr != nil {
		return nil, aerr
	}
	if storageSet && (storage < 20 || storage > 65536) {
		return nil, errInvalidValue("Invalid storage size for engine name postgres and storage type gp2: " + strconv.Itoa(storage))
	}
	if form.Get("NewDBInstanceIdentifier") != "" {
		return nil, errInvalidValue("localaws does not support renaming DB instances (NewDBInstanceIdentifier)")
	}
	if password != "" {
		if aerr := validateMasterPassword(password); aerr != nil {
			return nil, aerr
		}
	}
	switch {
	case rotate && !applyNow:
		return nil, errCombination("You must specify ApplyImmediately when rotating the master user password.")
	case rotate && (password != "" || manageSet):
		return nil, errCombination("You can't specify MasterUserPassword or ManageMasterUserPassword when rotating the master user password.")
	case manageSet && manage && password != "":
		return nil, errCombination("You can't specify MasterUserPassword when ManageMasterUserPassword is turned on.")
	}

	r.mu.Lock()
	in, aerr := r.lookupLocked(id)
	if aerr != nil {
		r.mu.Unlock()
		return nil, aerr
	}
	if in.Status != statusAvailable {
		r.mu.Unlock()
		return nil, errInstanceState("Instance " + id + " is not in available state.")
	}
	managed := in.ManagedPassword
	switch {
	case rotate && !managed:
		aerr = errCombination("You can't rotate the master user password of " + id + " because RDS does not manage it (ManageMasterUserPassword).")
	case manageSet && !manage && managed && password == "":
		aerr = errCombination("You must specify MasterUserPassword when you turn off ManageMasterUserPassword.")
	case password != "" && managed && !(manageSet && !manage):
		aerr = errCombination("You can't specify MasterUserPassword for " + id + " because RDS manages its master user password.")
	}
	if aerr != nil {
		r.mu.Unlock()
		return nil, aerr
	}
	if c := form.Get("DBInstanceClass"); c != "" && c != in.InstanceClass {
		in.InstanceClass, in.Status = c, statusModifying
	}
	if storageSet && storage != in.AllocatedStorage {
		in.AllocatedStorage, in.Status = storage, statusModifying
	}
	if protectSet {
		in.DeletionProtection = protect
	}
	if k := form.Get("MasterUserSecretKmsKeyId"); k != "" && managed {
		in.SecretKMSKeyID = k
	}
	// The transient status is taken in the same critical section as the
	// availability check, so a concurrent Stop or Modify sees it.
	switch {
	case manageSet && manage != managed:
		in.Status = statusModifying
	case rotate || password != "":
		in.Status = statusResetting
	}
	if err := r.saveLocked(); err != nil {
		in.Status = statusAvailable
		r.mu.Unlock()
		return nil, err
	}
	r.mu.Unlock()

	wctx, cancel := workContext(ctx)
	defer cancel()
	var err error
	switch {
	case rotate:
		err = r.rotateManagedPassword(wctx, in)
	case manageSet && manage && !managed:
		err = r.turnOnManagedPassword(wctx, in, form.Get("MasterUserSecretKmsKeyId"))
	case manageSet && !manage && managed:
		err = r.turnOffManagedPassword(wctx, in, password)
	case password != "":
		err = r.setMasterPassword(wctx, in, password)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		if in.Status == statusModifying || in.Status == statusResetting {
			in.Status = statusAvailable
			r.saveOrLog()
		}
		return nil, err
	}
	res := singleInstanceResult{DBInstance: r.view(in)}
	if in.Status != statusAvailable {
		r.settleLocked(in, in.Status)
	}
	return res, nil
}

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

// rotateManagedPassword makes a new password, stores it as the secret's new
// AWSCURRENT, then applies it to PostgreSQL. The secret goes first: if the
// process dies in between, recovery applies the secret's AWSCURRENT to the
// database (the secret is the source of truth of a managed password). If
// PostgreSQL refuses, the previous value is put back as AWSCURRENT.
func (r *rdsService) rotateManagedPassword(ctx context.Context, in *rdsInstance) error {
	in.op.Lock()
	defer in.op.Unlock()
	r.mu.Lock()
	arn, user := in.SecretARN, in.MasterUsername
	r.mu.Unlock()
	previous, err := r.sm.currentSecretString(arn)
	if err != nil {
		return secretError("read the master user secret", err)
	}
	pw, err := generateMasterPassword()
	if err != nil {
		return err
	}
	verifier, err := pgcluster.SCRAMVerifier(pw)
	if err != nil {
		return err
	}
	if err := r.sm.putServiceSecretValue(arn, masterSecretJSON(user, pw)); err != nil {
		r.abort(in, nil)
		return secretError("update the master user secret", err)
	}
	if err := r.applyMasterVerifier(ctx, in, verifier); err != nil {
		if perr := r.sm.putServiceSecretValue(arn, previous); perr != nil {
			r.env.logger.Error("localaws: master secret not restored after a failed rotation", "instance", in.Identifier, "err", perr)
		}
		r.abort(in, nil)
		return err
	}
	return nil
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
	verifier, err := pgcluster.SCRAMVerifier(pw)
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
	verifier, err := pgcluster.SCRAMVerifier(password)
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
	verifier, err := pgcluster.SCRAMVerifier(password)
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

// applyMasterVerifier runs ALTER ROLE for the master user. A stopped
// PostgreSQL (an outage simulated with stop-postgres) is reported as the
// instance's state, not as a server bug.
func (r *rdsService) applyMasterVerifier(ctx context.Context, in *rdsInstance, verifier string) error {
	if in.cluster == nil {
		return errInternal(r.pgErr.Error())
	}
	err := in.cluster.SetPassword(ctx, in.MasterUsername, verifier)
	if errors.Is(err, pgcluster.ErrNotRunning) {
		return errInstanceState("PostgreSQL behind DB instance " + in.Identifier + " is not running; the master user password was not changed.")
	}
	return err
}
