package localaws

import (
	"context"
	"sync"
	"time"
)

// load reads rds.json and brings every instance back to a steady state.
// Instances recorded as available (or in a transient state that implies a
// running database: starting, rebooting, modifying,
// resetting-master-credentials) get their cluster started before New
// returns, and any interrupted password change is finished; the others are
// finished in the background:
//
//	creating, backing-up  provision again (Init starts over unless ready)
//	deleting              finish the delete
//	stopping, stopped     make sure no postmaster runs; stopped
//	failed                left alone (DeleteDBInstance removes it)
func (r *rdsService) load() error {
	var st rdsState
	found, err := loadJSON(r.statePath(), &st)
	if err != nil || !found {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, g := range st.ParameterGroups {
		r.paramGroups[g.Name] = g
	}
	for _, in := range st.Instances {
		in.op = &sync.Mutex{}
		if c, err := r.newCluster(in); err != nil {
			r.env.logger.Error("localaws: rds instance cannot run here", "instance", in.Identifier, "err", err)
		} else {
			in.cluster = c
		}
		r.instances[in.Identifier] = in
		r.env.ports.claim(in.Port, r)
	}
	var wg sync.WaitGroup
	limit := make(chan struct{}, 4)
	for _, in := range r.instances {
		switch in.Status {
		case statusDeleting:
			_ = r.asyncLocked(func() { r.finishDelete(in) })
		case statusCreating, statusBackingUp:
			_ = r.asyncLocked(func() { r.provision(in) })
		case statusFailed:
		case statusStopping, statusStopped:
			if in.cluster != nil {
				if err := in.cluster.Stop(); err != nil {
					r.env.logger.Error("localaws: stray postmaster not stopped", "instance", in.Identifier, "err", err)
				}
			}
			in.Status = statusStopped
		default:
			if in.cluster == nil {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				limit <- struct{}{}
				defer func() { <-limit }()
				r.restart(in)
			}()
		}
	}
	// restart takes r.mu to record its outcome.
	r.mu.Unlock()
	wg.Wait()
	r.mu.Lock()
	return r.saveLocked()
}

// restart starts the cluster of an instance that should be running and
// finishes a master password change the previous process did not.
func (r *rdsService) restart(in *rdsInstance) {
	in.op.Lock()
	defer in.op.Unlock()
	err := in.cluster.Start()
	if err == nil {
		err = r.reconcileMasterPassword(in)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.env.logger.Error("localaws: rds instance not restarted", "instance", in.Identifier, "err", err)
		in.Status = statusFailed
		return
	}
	in.Port = in.cluster.Port()
	in.Status = statusAvailable
}

// reconcileMasterPassword makes PostgreSQL hold the master password the
// record says it should: a pending verifier if one was being applied, else
// for a managed password caught mid-change what the managed secret says
// (a staged rotation is finished).
func (r *rdsService) reconcileMasterPassword(in *rdsInstance) error {
	r.mu.Lock()
	pending, managed, arn, obsolete, status := in.PendingVerifier, in.ManagedPassword, in.SecretARN, in.ObsoleteSecretARN, in.Status
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	switch {
	case pending != "":
		if err := in.cluster.SetPasswordHash(ctx, in.MasterUsername, pending); err != nil {
			return err
		}
	case managed && arn != "" && (status == statusResetting || status == statusModifying):
		if err := r.reconcileManagedRotation(ctx, in, arn); err != nil {
			return err
		}
	}
	if obsolete != "" {
		if err := r.sm.deleteServiceSecret(obsolete); err != nil {
			r.env.logger.Warn("localaws: managed master secret not deleted", "instance", in.Identifier, "secret", obsolete, "err", err)
		}
	}
	r.mu.Lock()
	in.PendingVerifier, in.ObsoleteSecretARN = "", ""
	r.mu.Unlock()
	return nil
}
