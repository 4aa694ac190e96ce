package localaws

import (
	"context"
	"net/url"
	"strconv"
)

// modifyDBInstance changes an available instance. Master password changes
// are applied to the database before the call returns (so the caller can rely
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
	groupSet := form.Get("DBParameterGroupName") != ""
	group, aerr := r.instanceParamGroup(form, "")
	if aerr != nil {
		return nil, aerr
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
	if groupSet {
		if aerr := r.groupFitsLocked(form.Get("DBParameterGroupName"), in.Engine); aerr != nil {
			r.mu.Unlock()
			return nil, aerr
		}
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
	// Class and storage changes are recorded at once whatever
	// ApplyImmediately says: there is no maintenance window here, and
	// nothing about the cluster depends on them.
	if c := form.Get("DBInstanceClass"); c != "" && c != in.InstanceClass {
		in.InstanceClass, in.Status = c, statusModifying
	}
	if storageSet && storage != in.AllocatedStorage {
		in.AllocatedStorage, in.Status = storage, statusModifying
	}
	if protectSet {
		in.DeletionProtection = protect
	}
	groupChanged := groupSet && group != in.ParameterGroup
	if groupChanged {
		in.ParameterGroup = group
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
	if groupChanged {
		// At once, where RDS waits for a reboot (rds_paramgroups.go).
		err = r.applySecurity(in)
	}
	switch {
	case err != nil:
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
