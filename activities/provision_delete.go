package activities

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

// DeleteAppUser is the compensation of CreateAppUser: it drops the roles
// (the clone first, it is a member of the user) and force-deletes the
// secret. It is idempotent: missing roles and a missing secret are fine.
//
// It only removes what credstage made: a secret without the
// credstage:managed tag was adopted, and then nothing is touched. An
// instance that is already unreachable (being deleted) takes its roles
// with it, so only the secret is deleted. If the process dies after the
// roles are gone, the retry finds no roles and deletes the secret.
func (a *Activities) DeleteAppUser(ctx context.Context, in AppUserInput) error {
	if err := validateAppUser(in.User); err != nil {
		return err
	}
	name := appUserSecretName(in)
	out, err := a.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(name)})
	secretExists := err == nil && out.DeletedDate == nil
	if err != nil && awsCode(err) != "ResourceNotFoundException" {
		return awsError(ctx, secretSubject(name), "DescribeSecret", err)
	}
	if secretExists && !hasManagedTag(out) {
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
	logger(ctx).Info("app user deleted", "instance", in.Instance.Identifier, "user", in.User.Name, "secret", name)
	return nil
}

func hasManagedTag(out *secretsmanager.DescribeSecretOutput) bool {
	for _, t := range out.Tags {
		if aws.ToString(t.Key) == tagManaged && aws.ToString(t.Value) == "true" {
			return true
		}
	}
	return false
}

// dropUserRoles drops the user's roles through the master. The secret,
// when it still exists, supplies the TLS settings.
func (a *Activities) dropUserRoles(ctx context.Context, in AppUserInput, name string, secretExists bool) error {
	if in.Instance.MasterSecretARN == "" || in.Instance.Address == "" {
		return nil
	}
	at := DBSecret{Host: in.Instance.Address, Port: int(in.Instance.Port), DBName: orDefault(in.Instance.DBName, "postgres"), Username: in.User.Name}
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
// a final snapshot. It is idempotent (a missing or already deleting
// instance is fine) and refuses an instance without the
// credstage:managed tag, so an adopted or foreign instance is never
// deleted by a compensation.
func (a *Activities) DeleteDBInstance(ctx context.Context, in DeleteInstanceInput) error {
	if err := validateInstanceID(in.Identifier); err != nil {
		return err
	}
	db, err := a.describeInstance(ctx, in.Identifier)
	if isErrorType(err, ErrInstanceNotAvailable) {
		return nil
	}
	if err != nil {
		return err
	}
	managed := false
	for _, t := range db.TagList {
		managed = managed || (aws.ToString(t.Key) == tagManaged && aws.ToString(t.Value) == "true")
	}
	if !managed {
		return invalidInput("instance %s lacks the %s=true tag; credstage deletes only instances it created", in.Identifier, tagManaged)
	}
	if aws.ToString(db.DBInstanceStatus) == "deleting" {
		return nil
	}
	_, err = a.rds.DeleteDBInstance(ctx, &rds.DeleteDBInstanceInput{
		DBInstanceIdentifier:   aws.String(in.Identifier),
		SkipFinalSnapshot:      aws.Bool(true),
		DeleteAutomatedBackups: aws.Bool(true),
	})
	switch awsCode(err) {
	case "DBInstanceNotFound", "DBInstanceNotFoundFault":
		return nil
	case "InvalidDBInstanceState", "InvalidDBInstanceStateFault":
		if db, derr := a.describeInstance(ctx, in.Identifier); derr != nil || aws.ToString(db.DBInstanceStatus) == "deleting" {
			return nil
		}
	}
	if err != nil {
		return awsError(ctx, instanceSubject(in.Identifier), "DeleteDBInstance", err)
	}
	logger(ctx).Info("deleting DB instance", "instance", in.Identifier)
	return nil
}
