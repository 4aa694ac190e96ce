package activities

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// A clone that a rotation brings to life (creates, or gives LOGIN back)
// carries a COMMENT ON ROLE naming that rotation's token. The comment is
// the only proof credstage keeps that the role is its own and which run
// enabled it, so a rollback can take the login away again without ever
// touching a role someone else made: no marker, or another token, and
// the rollback leaves the role alone. The comment is written in the same
// implicit transaction (one simple-protocol query) as the CREATE or
// ALTER it describes, so no crash can leave one without the other.

// cloneMarker is the comment prefix every credstage-made clone carries.
func cloneMarker(base string) string {
	return "credstage: alternating-users clone of " + base
}

// cloneLoginMarker is the comment of a clone whose login rotation token
// enabled.
func cloneLoginMarker(base, token string) string {
	return cloneMarker(base) + "; login enabled by rotation " + token
}

// roleState is what provisioning and ensureCloneLogin need to know of a role.
type roleState struct {
	exists   bool
	canLogin bool
	comment  string
}

func readRoleState(ctx context.Context, q Querier, role string) (roleState, error) {
	var s roleState
	err := q.QueryRow(ctx, `SELECT rolcanlogin, COALESCE(pg_catalog.shobj_description(oid, 'pg_authid'), '')
		FROM pg_catalog.pg_roles WHERE rolname = $1`, role).Scan(&s.canLogin, &s.comment)
	if errors.Is(err, pgx.ErrNoRows) {
		return roleState{}, nil
	}
	s.exists = err == nil
	return s, err
}

// ensureCloneLogin makes clone (of base) a LOGIN role with password,
// member of base. created says the role did not exist; passwordSet that
// the password went in here (with the CREATE, or with the LOGIN given
// back to a clone a rollback had disabled), so the caller need not set
// it again.
//
// Dying right after it is safe: the role, its password and its marker
// went in together; the retry finds the role with LOGIN and only sets the
// password again.
func ensureCloneLogin(ctx context.Context, q Querier, base, clone, password, token string) (created, passwordSet bool, err error) {
	st, err := readRoleState(ctx, q, clone)
	if err != nil {
		return false, false, err
	}
	clause, err := passwordClause(password)
	if err != nil {
		return false, false, err
	}
	r := quoteIdent(clone)
	comment, err := quoteLiteral(cloneLoginMarker(base, token))
	if err != nil {
		return false, false, err
	}
	switch {
	case !st.exists:
		_, err = q.Exec(ctx, "CREATE ROLE "+r+" LOGIN INHERIT "+clause+" IN ROLE "+quoteIdent(base)+"; COMMENT ON ROLE "+r+" IS "+comment)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "42710" { // created concurrently: not ours to mark
			return false, false, nil
		}
		return err == nil, err == nil, err
	case !st.canLogin && strings.HasPrefix(st.comment, cloneMarker(base)):
		// A rollback disabled it: this run enables it again, and owns
		// the login from now on.
		_, err = q.Exec(ctx, "ALTER ROLE "+r+" LOGIN "+clause+"; COMMENT ON ROLE "+r+" IS "+comment)
		return false, err == nil, err
	case !st.canLogin:
		// Not credstage's marker: the role is the secret's pending user,
		// so it must log in, but no rollback will ever disable it.
		_, err = q.Exec(ctx, "ALTER ROLE "+r+" LOGIN "+clause)
		return false, err == nil, err
	}
	return false, false, nil
}

// disableCloneLogin takes the login away from clone when, and only when,
// its marker says rotation token enabled it; the password goes too, so
// a LOGIN given back by hand still cannot use the rolled-back password.
// The role stays (it may own objects, and the next rotation reuses it).
// disabled reports that the marker matched; running it again is harmless.
func disableCloneLogin(ctx context.Context, q Querier, base, clone, token string) (disabled bool, err error) {
	st, err := readRoleState(ctx, q, clone)
	if err != nil || !st.exists || st.comment != cloneLoginMarker(base, token) {
		return false, err
	}
	if st.canLogin {
		if _, err := q.Exec(ctx, "ALTER ROLE "+quoteIdent(clone)+" NOLOGIN PASSWORD NULL"); err != nil {
			return false, err
		}
	}
	return true, nil
}
