package activities

import (
	"context"
	"strings"
)

// userRolesState is what the instance holds of a user's roles before
// provisioning acts on them.
type userRolesState struct {
	base, clone roleState
}

// readUserRoles reads the user's role and its clone through the master,
// at the instance's endpoint (the secret may not exist yet).
func (a *Activities) readUserRoles(ctx context.Context, in AppUserInput, name string) (userRolesState, error) {
	var st userRolesState
	at := instanceTarget(in)
	err := a.withUserMaster(ctx, in, name, at, func(q Querier) error {
		var err error
		if st.base, err = readRoleState(ctx, q, in.User.Name); err == nil {
			st.clone, err = readRoleState(ctx, q, in.User.Name+cloneSuffix)
		}
		return dbError(ctx, secretSubject(name), at.target(), masterLogin, err)
	})
	return st, err
}

// instanceTarget is where the user's roles live, before any secret says
// so: the instance's endpoint and database.
func instanceTarget(in AppUserInput) DBSecret {
	return DBSecret{Host: in.Instance.Address, Port: int(in.Instance.Port), DBName: orDefault(in.Instance.DBName, "postgres"), Username: in.User.Name}
}

// foreign names the existing role of a user that has no secret: the
// user's own, else its clone.
func (st userRolesState) foreign(user string) string {
	if st.base.exists {
		return user
	}
	return user + cloneSuffix
}

// roleNotCredstages refuses a user whose role exists without this
// provisioning's doing.
func roleNotCredstages(in AppUserInput, role string) error {
	return notCredstages("role %s already exists on instance %s and was not created by credstage for secret %s; "+
		"pass --adopt user:%s to use it as it is (credstage keeps its password and privileges: give its current password "+
		"with --password-stdin, or keep it in an existing secret at that name), or choose another user name",
		role, in.Instance.Identifier, appUserSecretName(in), in.User.Name)
}

// createMarkedRoles creates the user's missing roles, each with its mark,
// all in one transaction (one simple-protocol query), so no crash leaves
// a role of this run without the mark that lets compensation remove it.
// The user's role gets password; a clone is created without one, member
// of the user. A role created meanwhile by someone else makes the whole
// statement fail (42710), and the retry finds that role unmarked.
func createMarkedRoles(ctx context.Context, q Querier, u AppUser, run, secret, password string, st userRolesState) error {
	var stmts []string
	if !st.base.exists {
		clause, err := passwordClause(password)
		if err != nil {
			return err
		}
		create, err := markedCreate(u.Name, run, secret, "LOGIN "+clause)
		if err != nil {
			return err
		}
		stmts = append(stmts, create...)
	}
	if u.Strategy == StrategyAlternatingUsers && !st.clone.exists {
		create, err := markedCreate(u.Name+cloneSuffix, run, secret, "LOGIN IN ROLE "+quoteIdent(u.Name))
		if err != nil {
			return err
		}
		stmts = append(stmts, create...)
	}
	if len(stmts) == 0 {
		return nil
	}
	_, err := q.Exec(ctx, strings.Join(stmts, "; "))
	return err
}

func markedCreate(role, run, secret, options string) ([]string, error) {
	comment, err := quoteLiteral(roleMark(role, run, secret))
	if err != nil {
		return nil, err
	}
	r := quoteIdent(role)
	return []string{"CREATE ROLE " + r + " " + options, "COMMENT ON ROLE " + r + " IS " + comment}, nil
}
