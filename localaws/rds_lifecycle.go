package localaws

import (
	"net/url"
)

// Delete, stop, start and reboot: each records the transient status first,
// answers at once, and does the PostgreSQL work in the background. A crash
// while the work runs leaves the transient status in rds.json, which
// recovery (rds_recover.go) finishes.

func (r *rdsService) deleteDBInstance(form url.Values) (any, error) {
	id, aerr := instanceIdentifier(form, "DBInstanceIdentifier")
	if aerr != nil {
		return nil, aerr
	}
	skip, _, aerr := boolParam(form, "SkipFinalSnapshot")
	if aerr != nil {
		return nil, aerr
	}
	if !skip && form.Get("FinalDBSnapshotIdentifier") == "" {
		return nil, errCombination("FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	in, aerr := r.lookupLocked(id)
	if aerr != nil {
		return nil, aerr
	}
	if in.Status == statusDeleting {
		return nil, errInstanceState("Instance " + id + " is already being deleted.")
	}
	if in.DeletionProtection {
		return nil, errCombination("Cannot delete protected DB Instance, please disable deletion protection and try again.")
	}
	// localaws keeps no snapshots: a FinalDBSnapshotIdentifier is accepted
	// and nothing is kept, which is what a test that never restores needs.
	prev := in.Status
	in.Status = statusDeleting
	if err := r.saveLocked(); err != nil {
		in.Status = prev
		return nil, err
	}
	res := singleInstanceResult{DBInstance: r.view(in)}
	if err := r.asyncLocked(func() { r.finishDelete(in) }); err != nil {
		return nil, err
	}
	return res, nil
}

// finishDelete removes the cluster (stop, then the folder), then the
// managed secrets, then the record. Each step tolerates having been done
// already, so recovery can repeat it after a crash. If the cluster cannot
// be removed the instance is marked failed (and can be deleted again).
func (r *rdsService) finishDelete(in *rdsInstance) {
	in.op.Lock()
	defer in.op.Unlock()
	if in.cluster != nil {
		if err := in.cluster.Remove(); err != nil {
			r.env.logger.Error("localaws: rds cluster not removed", "instance", in.Identifier, "err", err)
			r.mu.Lock()
			in.Status = statusFailed
			r.saveOrLog()
			r.mu.Unlock()
			return
		}
	}
	r.mu.Lock()
	secrets := []string{in.SecretARN, in.ObsoleteSecretARN}
	r.mu.Unlock()
	for _, arn := range secrets {
		if arn == "" {
			continue
		}
		if err := r.sm.deleteServiceSecret(arn); err != nil {
			r.env.logger.Warn("localaws: managed master secret not deleted", "instance", in.Identifier, "secret", arn, "err", err)
		}
	}
	r.mu.Lock()
	if r.instances[in.Identifier] == in {
		delete(r.instances, in.Identifier)
		r.env.ports.release(in.Port, r)
	}
	r.saveOrLog()
	r.mu.Unlock()
}

func (r *rdsService) stopDBInstance(form url.Values) (any, error) {
	return r.transition(form, statusAvailable, statusStopping, "is not in available state.", func(in *rdsInstance) {
		r.runCluster(in, statusStopping, statusStopped, statusAvailable, func() error { return in.cluster.Stop() })
	})
}

func (r *rdsService) startDBInstance(form url.Values) (any, error) {
	return r.transition(form, statusStopped, statusStarting, "is not stopped, cannot be started.", func(in *rdsInstance) {
		r.runCluster(in, statusStarting, statusAvailable, statusFailed, func() error { return in.cluster.Start() })
	})
}

func (r *rdsService) rebootDBInstance(form url.Values) (any, error) {
	return r.transition(form, statusAvailable, statusRebooting, "is not in available state.", func(in *rdsInstance) {
		r.runCluster(in, statusRebooting, statusAvailable, statusFailed, func() error {
			if err := in.cluster.Stop(); err != nil {
				return err
			}
			return in.cluster.Start()
		})
	})
}

// transition checks the instance is in status from, records status to and
// runs work in the background.
func (r *rdsService) transition(form url.Values, from, to, notFromMsg string, work func(*rdsInstance)) (any, error) {
	id, aerr := instanceIdentifier(form, "DBInstanceIdentifier")
	if aerr != nil {
		return nil, aerr
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	in, aerr := r.lookupLocked(id)
	if aerr != nil {
		return nil, aerr
	}
	if in.Status != from {
		return nil, errInstanceState("DB instance " + id + " " + notFromMsg)
	}
	if in.cluster == nil {
		return nil, errInternal(r.serverErr(in.Engine).Error())
	}
	in.Status = to
	if err := r.saveLocked(); err != nil {
		in.Status = from
		return nil, err
	}
	res := singleInstanceResult{DBInstance: r.view(in)}
	if err := r.asyncLocked(func() { work(in) }); err != nil {
		return nil, err
	}
	return res, nil
}

// runCluster does fn under the instance's operation lock and moves the
// status from during to ok, or to failed (logging why) when fn fails.
func (r *rdsService) runCluster(in *rdsInstance, during, ok, failed string, fn func() error) {
	in.op.Lock()
	err := fn()
	in.op.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.env.logger.Error("localaws: rds cluster operation failed", "instance", in.Identifier, "status", during, "err", err)
	}
	if in.Status != during {
		return
	}
	if err != nil {
		in.Status = failed
	} else {
		in.Status = ok
		in.Port = in.cluster.Port()
	}
	r.saveOrLog()
}
