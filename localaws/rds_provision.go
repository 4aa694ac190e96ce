package localaws

import (
	"context"
	"time"
)

// provision builds (or, after a restart, rebuilds) the cluster of a
// creating instance: Init wipes whatever an interrupted run left, so this
// is safe to repeat. The status goes creating -> backing-up -> available,
// or failed with the reason in the log. The pending verifier is cleared
// only once the master role holds it.
func (r *rdsService) provision(in *rdsInstance) {
	in.op.Lock()
	defer in.op.Unlock()
	r.mu.Lock()
	if in.Status != statusCreating && in.Status != statusBackingUp {
		r.mu.Unlock()
		return
	}
	verifier, managed, secretARN := in.PendingVerifier, in.ManagedPassword, in.SecretARN
	master, dbName, engine := in.MasterUsername, in.DBName, engineOf(in.Engine)
	cluster := in.cluster
	r.mu.Unlock()

	err := func() error {
		if cluster == nil {
			return r.serverErr(engine.name)
		}
		if cluster.Initialized() {
			return cluster.Start()
		}
		if managed && secretARN == "" {
			// Recovery of a create that died before its secret existed.
			pw, err := generateMasterPassword()
			if err != nil {
				return err
			}
			if secretARN, err = r.createMasterSecret(in.Identifier, in.MasterUsername, pw); err != nil {
				return err
			}
			if verifier, err = engine.hashPassword(pw); err != nil {
				return err
			}
			r.mu.Lock()
			in.SecretARN, in.PendingVerifier = secretARN, verifier
			r.saveOrLog()
			r.mu.Unlock()
		}
		if verifier == "" && managed {
			pw, err := r.currentMasterPassword(secretARN)
			if err != nil {
				return err
			}
			if verifier, err = engine.hashPassword(pw); err != nil {
				return err
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		return cluster.Init(ctx, master, verifier, dbName)
	}()

	r.mu.Lock()
	if err != nil {
		r.env.logger.Error("localaws: rds instance creation failed", "instance", in.Identifier, "err", err)
		if in.Status == statusCreating || in.Status == statusBackingUp {
			in.Status = statusFailed
		}
		r.saveOrLog()
		r.mu.Unlock()
		return
	}
	in.Port = cluster.Port()
	in.PendingVerifier = ""
	backupDelay := r.backupDelay
	if in.Status == statusCreating {
		in.Status = statusBackingUp
	}
	r.saveOrLog()
	r.mu.Unlock()

	r.sleep(backupDelay)
	r.mu.Lock()
	if in.Status == statusBackingUp {
		in.Status = statusAvailable
	}
	r.saveOrLog()
	r.mu.Unlock()
}
