package activities

import (
	"context"
	"encoding/json"
	"maps"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	smtypes "github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/google/uuid"
)

// appUserNamespace seeds the deterministic CreateSecret tokens.
var appUserNamespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/credstage/credstage/app-user"))

// appUserToken is the ClientRequestToken of an app user's secret: the same
// (instance, user) always gives the same token, so a retried CreateSecret
// is recognised as the same request.
func appUserToken(identifier, user string) string {
	return uuid.NewSHA1(appUserNamespace, []byte(identifier+"/"+user)).String()
}

func appUserSecretName(in AppUserInput) string {
	return orDefault(in.User.SecretName, in.Environment+"/"+in.Instance.Identifier+"/"+in.User.Name)
}

// CreateAppUser creates an application role and the secret holding its
// credentials (RDS JSON with masterarn), or adopts them when they exist.
//
// The secret is written first and the database made to match it: "write
// state before acting on it". If the process dies after CreateSecret, the
// retry finds the secret (same deterministic token) and only creates the
// roles; if it dies after the roles, the retry finds them and just sets
// the password and grants again, which is harmless. An existing secret
// made by someone else is adopted: the role gets the secret's password.
//
// Invariant afterwards: the secret's AWSCURRENT logs in as the user (for
// alternating users the clone role exists too, member of the user, with
// no usable password until its first rotation).
func (a *Activities) CreateAppUser(ctx context.Context, in AppUserInput) (AppUserResult, error) {
	if err := validateAppUserInput(in); err != nil {
		return AppUserResult{}, err
	}
	name := appUserSecretName(in)
	res := AppUserResult{SecretName: name, Roles: []string{in.User.Name}}
	if in.User.Strategy == StrategyAlternatingUsers {
		res.Roles = append(res.Roles, in.User.Name+cloneSuffix)
	}
	arn, adopted, err := a.ensureUserSecret(ctx, in, name)
	if err != nil {
		return res, err
	}
	res.SecretARN, res.Adopted = arn, adopted
	s, _, err := a.appSecret(ctx, name, "", stageCurrent)
	if err != nil {
		return res, err
	}
	if !slices.Contains(res.Roles, s.Username) {
		return res, invalidInput("secret %s exists for user %q, not %q; choose another secretName", name, s.Username, in.User.Name)
	}
	if s.Host != in.Instance.Address || s.Port != int(in.Instance.Port) {
		return res, invalidInput("secret %s exists but points at %s:%d, not instance %s", name, s.Host, s.Port, in.Instance.Identifier)
	}
	master := &masterRef{secretARN: in.Instance.MasterSecretARN, at: s}
	err = a.withMaster(ctx, name, master, func(q Querier) error {
		return dbError(ctx, secretSubject(name), s.target(), appLogin, ensureUserRoles(ctx, q, in.User, s), s.Password)
	})
	if err != nil {
		return res, err
	}
	logger(ctx).Info("app user ready", "instance", in.Instance.Identifier, "user", in.User.Name,
		"secret", name, "adopted", res.Adopted, "roles", res.Roles)
	return res, nil
}

// ensureUserRoles makes the roles match the secret s: the user (and its
// clone) exist, the role s names has s's password, grants are in place.
func ensureUserRoles(ctx context.Context, q Querier, u AppUser, s DBSecret) error {
	passwordFor := func(role string) string {
		if role == s.Username {
			return s.Password
		}
		return ""
	}
	created, err := createLoginRole(ctx, q, u.Name, passwordFor(u.Name), "")
	if err != nil {
		return err
	}
	activeCreated := created && s.Username == u.Name
	if u.Strategy == StrategyAlternatingUsers {
		clone := u.Name + cloneSuffix
		created, err := createLoginRole(ctx, q, clone, passwordFor(clone), u.Name)
		if err != nil {
			return err
		}
		activeCreated = activeCreated || (created && s.Username == clone)
		if err := grantMembership(ctx, q, u.Name, clone); err != nil {
			return err
		}
	}
	if !activeCreated {
		held, _, err := passwordHeld(ctx, q, s.Username, s.Password)
		if err != nil {
			return err
		}
		if !held {
			if err := setRolePassword(ctx, q, s.Username, s.Password); err != nil {
				return err
			}
		}
	}
	stmts, err := grantStatements(s.DBName, u.Name, u.Grants)
	if err != nil {
		return err
	}
	for _, stmt := range stmts {
		if _, err := q.Exec(ctx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// ensureUserSecret creates the user's secret unless it exists. adopted is
// true when it existed and was not made by this provisioning (its
// AWSCURRENT is not the deterministic token's version).
func (a *Activities) ensureUserSecret(ctx context.Context, in AppUserInput, name string) (arn string, adopted bool, err error) {
	token := appUserToken(in.Instance.Identifier, in.User.Name)
	st, err := a.describeSecret(ctx, name)
	if err == nil {
		return st.ARN, st.versionWith(stageCurrent) != token, nil
	}
	if !isErrorType(err, ErrSecretNotFound) {
		return "", false, err
	}
	password, err := a.newPassword(ctx, secretSubject(name))
	if err != nil {
		return "", false, err
	}
	value, err := json.Marshal(map[string]any{
		"engine": "postgres", "host": in.Instance.Address, "port": in.Instance.Port,
		"username": in.User.Name, "password": password, "dbname": orDefault(in.Instance.DBName, "postgres"),
		"masterarn": in.Instance.MasterSecretARN, "dbInstanceIdentifier": in.Instance.Identifier,
	})
	if err != nil {
		return "", false, retryable("secret %s: encode: %s", name, redact(err.Error(), password))
	}
	out, err := a.sm.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:               aws.String(name),
		ClientRequestToken: aws.String(token),
		SecretString:       aws.String(string(value)),
		Description:        aws.String("credstage: " + string(in.User.Strategy) + " credentials of " + in.User.Name + " on " + in.Instance.Identifier),
		Tags:               secretTags(in),
	})
	if code := awsCode(err); code == "ResourceExistsException" {
		st, err := a.describeSecret(ctx, name)
		if err != nil {
			return "", false, err
		}
		return st.ARN, st.versionWith(stageCurrent) != token, nil
	}
	if err != nil {
		return "", false, awsError(ctx, secretSubject(name), "CreateSecret", err, password)
	}
	return aws.ToString(out.ARN), false, nil
}

func secretTags(in AppUserInput) []smtypes.Tag {
	tags := []smtypes.Tag{
		{Key: aws.String(tagEnvironment), Value: aws.String(in.Environment)},
		{Key: aws.String(tagManaged), Value: aws.String("true")},
		{Key: aws.String(tagInstance), Value: aws.String(in.Instance.Identifier)},
		{Key: aws.String(tagStrategy), Value: aws.String(string(in.User.Strategy))},
	}
	for _, k := range slices.Sorted(maps.Keys(in.Tags)) {
		switch k {
		case tagEnvironment, tagManaged, tagInstance, tagStrategy:
		default:
			tags = append(tags, smtypes.Tag{Key: aws.String(k), Value: aws.String(in.Tags[k])})
		}
	}
	return tags
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
	}
	return nil
}
