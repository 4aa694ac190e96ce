package activities

import (
	"context"
	"encoding/json"
	"strings"
)

// Adoption (docs/architecture.md, "Provisioning and ownership"): a role or
// secret that exists without credstage's mark is used only when the user
// is adopted (AppUser.Adopt, the CLI's --adopt user:NAME). Adopting never
// changes the role: not its password (the operator supplies the current
// one, and it must log in before credstage writes anything), not its
// privileges, not its comment. Nothing adopted is ever deletable by a
// compensation, since it carries no mark of the run; a secret this run
// writes for an adopted role is, and only that.

// adoptRoleNewSecret adopts an existing role that has no secret yet: its
// current password comes from AppUser.PasswordFrom, is proven by a login,
// and only then written into a new secret marked with this run. Dying
// after CreateSecret leaves this run's secret, which the retry finds
// (resumeUser).
func (a *Activities) adoptRoleNewSecret(ctx context.Context, in AppUserInput, name string, roles userRolesState, res *AppUserResult) error {
	if !roles.base.exists {
		return invalidInput("role %s%s exists on instance %s but role %s does not; create %s or drop the clone",
			in.User.Name, cloneSuffix, in.Instance.Identifier, in.User.Name, in.User.Name)
	}
	if in.User.PasswordFrom == "" {
		return invalidInput("role %s exists on instance %s and is adopted, but its current password is unknown: "+
			"give it with --password-stdin, or keep it in a secret at %s", in.User.Name, in.Instance.Identifier, name)
	}
	password, err := a.handedPassword(ctx, in.User.PasswordFrom)
	if err != nil {
		return err
	}
	s := userSecretValue(in, password)
	if err := a.proveLogin(ctx, name, s, in.User.Name); err != nil {
		return err
	}
	arn, err := a.createUserSecret(ctx, in, name, password)
	if err != nil {
		return err
	}
	res.SecretARN, res.Secret, res.Role = arn, OutcomeCreated, OutcomeAdopted
	res.Grants = adoptedGrants(in.User.Name)
	return a.secretPolicy(ctx, in, name, ownerThisRun, res)
}

// adoptUser adopts an existing secret without credstage's mark, and the
// role it names, as they are: its AWSCURRENT must log in.
func (a *Activities) adoptUser(ctx context.Context, in AppUserInput, name string, roles userRolesState, res *AppUserResult) error {
	s, err := a.userCurrent(ctx, in, name)
	if err != nil {
		return err
	}
	named := roles.base
	if s.Username != in.User.Name {
		named = roles.clone
	}
	if !named.exists {
		return invalidInput("secret %s names role %s, which does not exist on instance %s", name, s.Username, in.Instance.Identifier)
	}
	if err := a.proveLogin(ctx, name, s, s.Username); err != nil {
		return err
	}
	res.Secret, res.Role = OutcomeAdopted, OutcomeAdopted
	res.Grants = adoptedGrants(in.User.Name)
	return a.secretPolicy(ctx, in, name, ownerForeign, res)
}

// adoptedGrants is the grant report of an adopted role: credstage grants
// it nothing, so that nothing needs undoing and nothing changes.
func adoptedGrants(role string) GrantReport {
	return GrantReport{Skipped: []string{"role " + role + " is adopted: credstage changes none of its privileges; grant what it needs yourself"}}
}

// handedPassword reads the current password of an adopted role from the
// secret id names: its "password" key when it holds a JSON object, else
// the whole string.
func (a *Activities) handedPassword(ctx context.Context, id string) (string, error) {
	value, _, err := a.secretString(ctx, id, "", stageCurrent)
	if err != nil {
		return "", err
	}
	var obj map[string]any
	if json.Unmarshal([]byte(value), &obj) == nil {
		p, _ := obj["password"].(string)
		if p == "" {
			return "", malformed(id, "key %q is missing or empty", "password")
		}
		return p, nil
	}
	if p := strings.TrimRight(value, "\r\n"); p != "" {
		return p, nil
	}
	return "", malformed(id, "it holds no password")
}
