package activities

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
)

func appUserSecretName(in AppUserInput) string {
	return orDefault(in.User.SecretName, in.Environment+"/"+in.Instance.Identifier+"/"+in.User.Name)
}

func userRoles(u AppUser) []string {
	if u.Strategy == StrategyAlternatingUsers {
		return []string{u.Name, u.Name + cloneSuffix}
	}
	return []string{u.Name}
}

// CreateAppUser creates an application role and the secret holding its
// credentials (RDS JSON with masterarn), or uses what exists when it may
// (docs/architecture.md, "Provisioning and ownership"). What it finds
// decides, before anything is written:
//
//   - no secret, no role: the secret is created with this run's mark
//     (and, with AppUser.Access, given its resource policy at once:
//     provision_policy.go), then the roles with theirs, each CREATE ROLE
//     and its COMMENT in one transaction;
//   - a secret of this run (a retry after the process died or a reply was
//     lost): the roles are made to exist and the resource policy is put
//     again (the same document), nothing else is redone;
//   - a secret of an earlier provisioning: its AWSCURRENT must log in as
//     the role; only missing grants are added (a re-run changes nothing
//     and says so);
//   - a role or secret without credstage's mark: refused with
//     ErrNotCredstages unless the user is adopted (provision_adopt.go).
//
// Dying after the secret's CreateSecret leaves a marked secret, which
// the retry recognises (and compensation deletes, with the roles it
// marked); dying after the roles leaves marked roles the retry finds. A
// hanging call is cut by the activity timeout and retried the same way.
//
// Invariant afterwards: the secret's AWSCURRENT logs in as the user (for
// alternating users the clone role exists too, member of the user, with
// no usable password until its first rotation, unless the user was
// adopted: then the first rotation makes the clone).
func (a *Activities) CreateAppUser(ctx context.Context, in AppUserInput) (AppUserResult, error) {
	if err := validateAppUserInput(in); err != nil {
		return AppUserResult{}, err
	}
	name := appUserSecretName(in)
	res := AppUserResult{SecretName: name, Roles: userRoles(in.User)}
	sec, err := a.userSecret(ctx, in, name)
	if err != nil {
		return res, err
	}
	if sec.deleting {
		return res, deletingSecret(name, sec)
	}
	res.SecretARN = sec.arn
	roles, err := a.readUserRoles(ctx, in, name)
	if err != nil {
		return res, err
	}
	switch sec.owner {
	case ownerNobody:
		if roles.base.exists || roles.clone.exists {
			if !in.User.Adopt {
				return res, roleNotCredstages(in, roles.foreign(in.User.Name))
			}
			err = a.adoptRoleNewSecret(ctx, in, name, roles, &res)
			break
		}
		err = a.createUser(ctx, in, name, &res)
	case ownerThisRun:
		err = a.resumeUser(ctx, in, name, roles, &res)
	case ownerCredstage:
		err = a.existingUser(ctx, in, name, sec, roles, &res)
	default:
		if !in.User.Adopt {
			return res, notCredstages("secret %s already exists and was not created by credstage (no %s tag); "+
				"pass --adopt user:%s to use it as it is (its AWSCURRENT must log in as %s), or choose another secretName",
				name, tagManaged, in.User.Name, in.User.Name)
		}
		err = a.adoptUser(ctx, in, name, roles, &res)
	}
	if err != nil {
		return res, err
	}
	res.Adopted = res.Secret != OutcomeCreated && res.Role != OutcomeCreated
	if err := a.dropHandover(ctx, in.User.PasswordFrom); err != nil {
		return res, err
	}
	logger(ctx).Info("app user ready", "instance", in.Instance.Identifier, "user", in.User.Name,
		"secret", name, "secretOutcome", res.Secret, "roleOutcome", res.Role, "granted", len(res.Grants.Granted), "skipped", len(res.Grants.Skipped))
	return res, nil
}

// createUser makes a new user: the secret first ("write state before
// acting on it"), then the roles, all marked with the run.
func (a *Activities) createUser(ctx context.Context, in AppUserInput, name string, res *AppUserResult) error {
	password, err := a.newPassword(ctx, secretSubject(name))
	if err != nil {
		return err
	}
	s := userSecretValue(in, password)
	arn, err := a.createUserSecret(ctx, in, name, password)
	if err != nil {
		return err
	}
	res.SecretARN, res.Secret = arn, OutcomeCreated
	if err := a.secretPolicy(ctx, in, name, ownerThisRun, res); err != nil {
		return err
	}
	return a.makeUserRoles(ctx, in, name, s, userRolesState{}, res)
}

// resumeUser finishes what an earlier attempt of this run began: the
// secret is this run's, the roles may be missing (it died after
// CreateSecret), this run's, or adopted.
func (a *Activities) resumeUser(ctx context.Context, in AppUserInput, name string, roles userRolesState, res *AppUserResult) error {
	s, err := a.userCurrent(ctx, in, name)
	if err != nil {
		return err
	}
	res.Secret = OutcomeCreated
	if err := a.secretPolicy(ctx, in, name, ownerThisRun, res); err != nil {
		return err
	}
	if roles.base.exists && roleMarkRun(roles.base.comment) != in.Run {
		// The role was adopted and this run wrote its secret.
		if !in.User.Adopt {
			return roleNotCredstages(in, in.User.Name)
		}
		res.Role = OutcomeAdopted
		res.Grants = adoptedGrants(in.User.Name)
		return a.proveLogin(ctx, name, s, in.User.Name)
	}
	return a.makeUserRoles(ctx, in, name, s, roles, res)
}

// existingUser checks a user an earlier provisioning made: the secret is
// credstage's, its AWSCURRENT must log in, and only missing grants are
// added.
func (a *Activities) existingUser(ctx context.Context, in AppUserInput, name string, sec userSecretInfo, roles userRolesState, res *AppUserResult) error {
	s, err := a.userCurrent(ctx, in, name)
	if err != nil {
		return err
	}
	if st := sec.tags[tagStrategy]; st != "" && st != string(in.User.Strategy) {
		return invalidInput("secret %s was provisioned for strategy %s, not %s; a re-run cannot change the strategy", name, st, in.User.Strategy)
	}
	if !roles.base.exists {
		return invalidInput("secret %s (created by credstage) is for role %s, which does not exist on instance %s; "+
			"delete the secret and provision again, or create the role", name, in.User.Name, in.Instance.Identifier)
	}
	res.Secret, res.Role = OutcomeExisting, OutcomeExisting
	if err := a.proveLogin(ctx, name, s, s.Username); err != nil {
		return err
	}
	// Grants go only to a role credstage made: its mark names the run the
	// secret names, or neither carries a run (releases before marks).
	if roleMarkRun(roles.base.comment) != sec.tags[tagProvisionRun] {
		res.Grants = GrantReport{Skipped: []string{"role " + in.User.Name + ": not marked as made with secret " + name + "; its privileges are left as they are"}}
	} else if err := a.withUserMaster(ctx, in, name, s, func(q Querier) error {
		r, err := ensureGrants(ctx, q, s.DBName, in.User.Name, in.User.Grants)
		res.Grants = r
		return dbError(ctx, secretSubject(name), s.target(), masterLogin, err)
	}); err != nil {
		return err
	}
	// The policy last: a user that fails here keeps the readers it had.
	// (Compensation does not restore the policy of a secret an earlier run
	// made; docs/architecture.md, "Who may use a secret".)
	return a.secretPolicy(ctx, in, name, ownerCredstage, res)
}

// makeUserRoles creates the roles this run marks (those that are missing)
// and ensures their grants. s is the secret's AWSCURRENT; the user's role
// gets its password.
func (a *Activities) makeUserRoles(ctx context.Context, in AppUserInput, name string, s DBSecret, roles userRolesState, res *AppUserResult) error {
	if roles.clone.exists && roleMarkRun(roles.clone.comment) != in.Run {
		return roleNotCredstages(in, in.User.Name+cloneSuffix)
	}
	res.Role = OutcomeCreated
	return a.withUserMaster(ctx, in, name, s, func(q Querier) error {
		err := createMarkedRoles(ctx, q, in.User, in.Run, name, s.Password, roles)
		if err == nil {
			res.Grants, err = ensureGrants(ctx, q, s.DBName, in.User.Name, in.User.Grants)
		}
		return dbError(ctx, secretSubject(name), s.target(), masterLogin, err, s.Password)
	})
}

// userCurrent reads the secret's AWSCURRENT and checks it is this user's
// on this instance.
func (a *Activities) userCurrent(ctx context.Context, in AppUserInput, name string) (DBSecret, error) {
	s, _, err := a.appSecret(ctx, name, "", stageCurrent)
	if err != nil {
		return DBSecret{}, err
	}
	if !slices.Contains(userRoles(in.User), s.Username) {
		return DBSecret{}, invalidInput("secret %s exists for user %q, not %q; choose another secretName", name, s.Username, in.User.Name)
	}
	if s.Host != in.Instance.Address || s.Port != int(in.Instance.Port) {
		return DBSecret{}, invalidInput("secret %s exists but points at %s:%d, not instance %s", name, s.Host, s.Port, in.Instance.Identifier)
	}
	return s, nil
}

// proveLogin logs in as role with s: the proof, before credstage relies
// on a password it did not set, that it is the role's current one.
func (a *Activities) proveLogin(ctx context.Context, name string, s DBSecret, role string) error {
	s.Username = role
	err := a.login(ctx, name, s, appLogin, selectOne(ctx))
	if isErrorType(err, ErrLoginFailed) {
		return nonRetryable(ErrLoginFailed, "the current password of role "+role+" (from secret "+name+") does not log in; "+
			"nothing was changed: "+errMessage(err))
	}
	return err
}

// withUserMaster runs fn as the instance's master, at the database and
// TLS settings of s.
func (a *Activities) withUserMaster(ctx context.Context, in AppUserInput, name string, s DBSecret, fn func(Querier) error) error {
	return a.withMaster(ctx, name, &masterRef{secretARN: in.Instance.MasterSecretARN, at: s}, fn)
}

// userSecretValue is the RDS JSON of a user's secret.
func userSecretValue(in AppUserInput, password string) DBSecret {
	return DBSecret{
		Engine: "postgres", Host: in.Instance.Address, Port: int(in.Instance.Port), Username: in.User.Name,
		Password: password, DBName: orDefault(in.Instance.DBName, "postgres"),
		MasterARN: in.Instance.MasterSecretARN,
	}
}

// dropHandover deletes the CLI's handover secret once its password is in
// the user's secret; a secret without the handover tag is the operator's
// own and stays.
func (a *Activities) dropHandover(ctx context.Context, id string) error {
	if id == "" {
		return nil
	}
	out, err := a.sm.DescribeSecret(ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(id)})
	if awsCode(err) == "ResourceNotFoundException" || (err == nil && out.DeletedDate != nil) {
		return nil
	}
	if err != nil {
		return awsError(ctx, secretSubject(id), "DescribeSecret", err)
	}
	if smTagMap(out.Tags)[tagHandover] == "" {
		return nil
	}
	_, err = a.sm.DeleteSecret(ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(id), ForceDeleteWithoutRecovery: aws.Bool(true)})
	if err != nil && awsCode(err) != "ResourceNotFoundException" {
		return awsError(ctx, secretSubject(id), "DeleteSecret (password handover)", err)
	}
	return nil
}

func validateAppUserInput(in AppUserInput) error {
	if err := validateAppUser(in.User); err != nil {
		return err
	}
	if err := validateInstanceID(in.Instance.Identifier); err != nil {
		return err
	}
	switch {
	case in.Environment == "":
		return invalidInput("user %s: environment is empty", in.User.Name)
	case in.Instance.Address == "" || in.Instance.Port == 0:
		return invalidInput("instance %s: no endpoint yet (wait until it is available)", in.Instance.Identifier)
	case in.Instance.MasterSecretARN == "":
		return invalidInput("instance %s: no managed master secret; credstage needs ManageMasterUserPassword", in.Instance.Identifier)
	case in.User.PasswordFrom != "" && !in.User.Adopt:
		return invalidInput("user %s: a current password is given only for an adopted user", in.User.Name)
	}
	return nil
}
