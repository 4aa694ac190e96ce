package activities

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// DeleteAppUser is the compensation of CreateAppUser: it removes exactly
// what carries this run's mark (in.Run) and keeps the rest, saying so.
// Roles go first (the clone first, it is a member of the user), each only
// if its comment names this run and the secret, whose tags no database
// role can forge, names it too; then the secret, if this run made it;
// then the CLI's password handover, if any. Adopted roles and secrets,
// and those of earlier provisionings, are never touched.
//
// It is idempotent: missing roles and a missing secret are fine, so dying
// after any part makes the retry find that part gone and go on. The
// secret goes last because it is the proof the roles are this run's. An
// instance that cannot be reached, or whose master is refused, is waited
// out (the retry policy's undo timeout): its roles would otherwise
// outlive their secret. Unless the instance is this run's too: then its
// deletion takes the roles, and the secret goes at once.
// (Without a run, for runs from before marks, the credstage:managed tag
// on the secret is what counts: see deleteUserLegacy.)
func (a *Activities) DeleteAppUser(ctx context.Context, in AppUserInput) (UndoResult, error) {
	if err := validateAppUser(in.User); err != nil {
		return UndoResult{}, err
	}
	name := appUserSecretName(in)
	if in.Run == "" {
		return UndoResult{}, a.deleteUserLegacy(ctx, in, name)
	}
	sec, err := a.userSecret(ctx, in, name)
	if err != nil {
		return UndoResult{}, err
	}
	var res UndoResult
	switch {
	case sec.owner == ownerThisRun:
		if err := a.dropMarkedRoles(ctx, in, name, &res); err != nil {
			return res, err
		}
		if !sec.deleting {
			_, err := a.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{
				SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
			if err != nil && awsCode(err) != "ResourceNotFoundException" {
				return res, awsError(ctx, secretSubject(name), "DeleteSecret", err)
			}
		}
		res.Deleted = append(res.Deleted, "secret "+name)
	case sec.owner != ownerNobody:
		res.Kept = append(res.Kept, "secret "+name+" (not created by this run)")
	}
	if err := a.dropHandover(ctx, in.User.PasswordFrom); err != nil {
		return res, err
	}
	logger(ctx).Info("app user compensated", "instance", in.Instance.Identifier, "user", in.User.Name, "deleted", res.Deleted, "kept", res.Kept)
	return res, nil
}

// dropMarkedRoles drops the user's roles that carry this run's mark.
func (a *Activities) dropMarkedRoles(ctx context.Context, in AppUserInput, name string, res *UndoResult) error {
	if in.Instance.MasterSecretARN == "" || in.Instance.Address == "" {
		return nil
	}
	at := instanceTarget(in)
	roles := userRoles(in.User)
	slices.Reverse(roles)
	err := a.withUserMaster(ctx, in, name, at, func(q Querier) error {
		for _, role := range roles {
			st, err := readRoleState(ctx, q, role)
			switch {
			case err != nil:
				return dbError(ctx, secretSubject(name), at.target(), masterLogin, err)
			case !st.exists:
				continue
			case roleMarkRun(st.comment) != in.Run:
				res.Kept = append(res.Kept, "role "+role+" (not created by this run)")
				continue
			}
			if _, err := dropRole(ctx, q, role); err != nil {
				return dbError(ctx, secretSubject(name), at.target(), masterLogin, err)
			}
			res.Deleted = append(res.Deleted, "role "+role)
		}
		return nil
	})
	if err != nil && (databaseAway(err) || isErrorType(err, ErrMasterAuthFailed)) && a.instanceOfRun(ctx, in) {
		logger(ctx).Warn("cannot reach the roles; the instance is this run's and its deletion takes them", "instance", in.Instance.Identifier, "error", err)
		res.Deleted = append(res.Deleted, "roles of "+in.User.Name+" (with instance "+in.Instance.Identifier+")")
		return nil
	}
	return err
}

// instanceOfRun says the user's instance carries this run's mark, so
// compensation deletes it after the users.
func (a *Activities) instanceOfRun(ctx context.Context, in AppUserInput) bool {
	db, err := a.describeInstance(ctx, in.Instance.Identifier)
	return err == nil && ownerOfTags(rdsTagMap(db.TagList), in.Run) == ownerThisRun
}

// deleteUserLegacy is DeleteAppUser for runs that started before run
// marks: a secret without the credstage:managed tag was adopted, and then
// nothing is touched; otherwise the roles and the secret go. An instance
// that is already unreachable (being deleted) takes its roles with it.
func (a *Activities) deleteUserLegacy(ctx context.Context, in AppUserInput, name string) error {
	out, err := a.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	secretExists := err == nil && out.DeletedDate == nil
	if err != nil && awsCode(err) != "ResourceNotFoundException" {
		return awsError(ctx, secretSubject(name), "DescribeSecret", err)
	}
	if secretExists && smTagMap(out.Tags)[tagManaged] != "true" {
		logger(ctx).Warn("not deleting an adopted app user", "secret", name, "user", in.User.Name)
		return nil
	}
	if err := a.dropUserRoles(ctx, in, name, secretExists); err != nil {
		return err
	}
	if secretExists {
		_, err := a.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{
			SecretId: aws.String(name), ForceDeleteWithoutRecovery: aws.Bool(true)})
		if err != nil && awsCode(err) != "ResourceNotFoundException" {
			return awsError(ctx, secretSubject(name), "DeleteSecret", err)
		}
	}
	return nil
}

// dropUserRoles drops the user's roles through the master. The secret,
// when it still exists, supplies the TLS settings.
func (a *Activities) dropUserRoles(ctx context.Context, in AppUserInput, name string, secretExists bool) error {
	if in.Instance.MasterSecretARN == "" || in.Instance.Address == "" {
		return nil
	}
	at := instanceTarget(in)
	if secretExists {
		if s, _, err := a.appSecret(ctx, name, "", stageCurrent); err == nil && s.Host == at.Host {
			at.SSLMode, at.SSLRootCert = s.SSLMode, s.SSLRootCert
		}
	}
	roles := []string{in.User.Name + cloneSuffix, in.User.Name}
	err := a.withMaster(ctx, name, &masterRef{secretARN: in.Instance.MasterSecretARN, at: at}, func(q Querier) error {
		for _, role := range roles {
			if _, err := dropRole(ctx, q, role); err != nil {
				return dbError(ctx, secretSubject(name), at.target(), masterLogin, err)
			}
		}
		return nil
	})
	if databaseAway(err) || isErrorType(err, ErrSecretNotFound) {
		logger(ctx).Warn("instance unreachable; its roles go with it", "instance", in.Instance.Identifier, "error", err)
		return nil
	}
	return err
}

// DeleteDBInstance is the compensation of CreateDBInstance: delete without
// a final snapshot, and only an instance carrying this run's mark
// (in.Run): an instance made by an earlier provisioning, adopted, or
// foreign is kept, and the result says so. (Without a run, for runs from
// before marks, the credstage:managed tag is required instead, and its
// absence is an error.) It is idempotent: a missing or already deleting
// instance is fine, so dying after the request or losing its reply makes
// the retry find the instance deleting, or gone.
func (a *Activities) DeleteDBInstance(ctx context.Context, in DeleteInstanceInput) (UndoResult, error) {
	if err := validateInstanceID(in.Identifier); err != nil {
		return UndoResult{}, err
	}
	what := "instance " + in.Identifier
	gone := UndoResult{Deleted: []string{what}}
	db, err := a.describeInstance(ctx, in.Identifier)
	if isErrorType(err, ErrInstanceNotAvailable) {
		return UndoResult{}, nil // none (any more): nothing to undo
	}
	if err != nil {
		return UndoResult{}, err
	}
	who := ownerOfTags(rdsTagMap(db.TagList), in.Run)
	switch {
	case in.Run == "" && who == ownerForeign:
		return UndoResult{}, invalidInput("instance %s lacks the %s=true tag; credstage deletes only instances it created", in.Identifier, tagManaged)
	case in.Run != "" && who != ownerThisRun:
		logger(ctx).Warn("not deleting an instance this run did not create", "instance", in.Identifier, "owner", who.String())
		return UndoResult{Kept: []string{what + " (not created by this run)"}}, nil
	}
	if aws.ToString(db.DBInstanceStatus) == "deleting" {
		return gone, nil
	}
	_, err = a.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{
		DBInstanceIdentifier:   aws.String(in.Identifier),
		SkipFinalSnapshot:      aws.Bool(true),
		DeleteAutomatedBackups: aws.Bool(true),
	})
	switch awsCode(err) {
	case "DBInstanceNotFound", "DBInstanceNotFoundFault":
		return gone, nil
	case "InvalidDBInstanceState", "InvalidDBInstanceStateFault":
		if db, derr := a.describeInstance(ctx, in.Identifier); derr != nil || aws.ToString(db.DBInstanceStatus) == "deleting" {
			return gone, nil
		}
	}
	if err != nil {
		return UndoResult{}, awsError(ctx, instanceSubject(in.Identifier), "DeleteDBInstance", err)
	}
	logger(ctx).Info("deleting DB instance", "instance", in.Identifier)
	return gone, nil
}
