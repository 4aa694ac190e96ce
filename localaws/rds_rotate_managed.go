package localaws

import (
	"context"
	"sync"
)

// A managed master password rotates in AWS's order: the new password is
// staged as the secret's AWSPENDING, set in PostgreSQL, and only then made
// AWSCURRENT. Between the second and third steps the database holds a
// password that AWSCURRENT does not, as on AWS; clients of the secret must
// live with that window. The instance is recorded as
// resetting-master-credentials before the first step, so a crash anywhere
// in between is finished on the next start (reconcileManagedRotation), as
// AWS finishes a rotation it started.

// rotateManagedPassword runs the three steps back to back.
func (r *rdsService) rotateManagedPassword(ctx context.Context, in *rdsInstance) error {
	finish, err := r.stageManagedPassword(ctx, in)
	if err != nil {
		return err
	}
	return finish(ctx)
}

// stageManagedPassword does the first two steps and returns the third.
// Should PostgreSQL refuse the password, the staged version is dropped and
// nothing changed.
func (r *rdsService) stageManagedPassword(ctx context.Context, in *rdsInstance) (finish func(context.Context) error, err error) {
	in.op.Lock()
	defer in.op.Unlock()
	r.mu.Lock()
	arn, user := in.SecretARN, in.MasterUsername
	r.mu.Unlock()
	previous, err := r.currentMasterPassword(arn)
	if err != nil {
		r.abort(in, nil)
		return nil, err
	}
	pw, err := generateMasterPassword()
	if err != nil {
		return nil, err
	}
	verifier, err := engineOf(in.Engine).hashPassword(pw)
	if err != nil {
		return nil, err
	}
	versionID, err := r.sm.putServicePendingValue(arn, masterSecretJSON(user, pw))
	if err != nil {
		r.abort(in, nil)
		return nil, secretError("stage the new master user password", err)
	}
	if err := r.applyMasterVerifier(ctx, in, verifier); err != nil {
		if derr := r.sm.dropServicePending(arn, versionID); derr != nil {
			r.env.logger.Error("localaws: staged master password not dropped after a failed rotation", "instance", in.Identifier, "err", derr)
		}
		r.abort(in, nil)
		return nil, err
	}
	var once sync.Once
	var ferr error
	return func(ctx context.Context) error {
		once.Do(func() { ferr = r.promoteManagedPassword(ctx, in, arn, versionID, previous) })
		return ferr
	}, nil
}

// promoteManagedPassword is the third step. If Secrets Manager refuses it,
// the database gets the previous password back so that AWSCURRENT still
// logs in.
func (r *rdsService) promoteManagedPassword(ctx context.Context, in *rdsInstance, arn, versionID, previous string) error {
	in.op.Lock()
	defer in.op.Unlock()
	err := r.sm.promoteServicePending(arn, versionID)
	if err == nil {
		return nil
	}
	if v, verr := engineOf(in.Engine).hashPassword(previous); verr != nil {
		r.env.logger.Error("localaws: previous master password not restored", "instance", in.Identifier, "err", verr)
	} else if aerr := r.applyMasterVerifier(ctx, in, v); aerr != nil {
		r.env.logger.Error("localaws: previous master password not restored", "instance", in.Identifier, "err", aerr)
	}
	if derr := r.sm.dropServicePending(arn, versionID); derr != nil {
		r.env.logger.Error("localaws: staged master password not dropped after a failed rotation", "instance", in.Identifier, "err", derr)
	}
	r.abort(in, nil)
	return secretError("make the new master user password current", err)
}

// reconcileManagedRotation finishes a rotation a crash interrupted: a
// staged AWSPENDING version is applied to PostgreSQL and made current
// (whether or not the crash came before its ALTER ROLE); with none, the
// database gets AWSCURRENT. A secret that cannot be read is logged and
// left: the instance still comes up.
func (r *rdsService) reconcileManagedRotation(ctx context.Context, in *rdsInstance, arn string) error {
	versionID, value, staged, err := r.sm.pendingSecretString(arn)
	if err != nil {
		r.env.logger.Warn("localaws: master password not reconciled with its secret", "instance", in.Identifier, "err", err)
		return nil
	}
	var pw string
	if staged {
		pw, err = masterSecretPassword(arn, value)
	} else {
		pw, err = r.currentMasterPassword(arn)
	}
	if err != nil {
		r.env.logger.Warn("localaws: master password not reconciled with its secret", "instance", in.Identifier, "err", err)
		return nil
	}
	verifier, err := engineOf(in.Engine).hashPassword(pw)
	if err != nil {
		return err
	}
	if err := in.cluster.SetPasswordHash(ctx, in.MasterUsername, verifier); err != nil {
		return err
	}
	if staged {
		if err := r.sm.promoteServicePending(arn, versionID); err != nil {
			return secretError("finish the interrupted master password rotation", err)
		}
	}
	return nil
}
