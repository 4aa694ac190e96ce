package activities

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQL on roles, shared by rotation and provisioning. Functions here return
// raw driver errors; callers classify them with dbError and the secret
// values they hold, so redaction sees every password in play.

// maxIdentLen is PostgreSQL's NAMEDATALEN-1: longer names are truncated
// silently, which would make two roles one.
const maxIdentLen = 63

const cloneSuffix = "_clone"

// alternateUser is the other role of an alternating pair:
// name <-> name_clone.
func alternateUser(name string) string {
	if base, ok := strings.CutSuffix(name, cloneSuffix); ok && base != "" {
		return base
	}
	return name + cloneSuffix
}

// baseUser is the original role of an alternating pair.
func baseUser(name string) string {
	if base, ok := strings.CutSuffix(name, cloneSuffix); ok && base != "" {
		return base
	}
	return name
}

func roleExists(ctx context.Context, q Querier, role string) (bool, error) {
	var exists bool
	err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = $1)", role).Scan(&exists)
	return exists, err
}

// passwordHeld reports whether role's stored SCRAM verifier matches
// password. known is false when that cannot be told without a login:
// pg_authid is readable by superusers only, and the master on RDS (and in
// localaws) is none; the caller then simply sets the password again, which
// is idempotent.
func passwordHeld(ctx context.Context, q Querier, role, password string) (held, known bool, err error) {
	var verifier *string
	err = q.QueryRow(ctx, "SELECT rolpassword FROM pg_catalog.pg_authid WHERE rolname = $1", role).Scan(&verifier)
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42501":
		return false, false, nil
	case errors.Is(err, pgx.ErrNoRows):
		return false, true, nil
	case err != nil:
		return false, false, err
	case verifier == nil:
		return false, true, nil
	}
	held, known = scramMatches(*verifier, password)
	return held, known, nil
}

// passwordClause is "PASSWORD '<verifier>'": the server stores the SCRAM
// verifier it is given, so the plaintext never reaches its memory, logs or
// pg_stat_activity. A password SASLprep would alter is sent as is.
func passwordClause(password string) (string, error) {
	value := password
	if scramASCII(password) {
		v, err := makeSCRAMVerifier(password)
		if err != nil {
			return "", err
		}
		value = v
	}
	lit, err := quoteLiteral(value)
	if err != nil {
		return "", err
	}
	return "PASSWORD " + lit, nil
}

func setRolePassword(ctx context.Context, q Querier, role, password string) error {
	clause, err := passwordClause(password)
	if err != nil {
		return err
	}
	_, err = q.Exec(ctx, "ALTER ROLE "+quoteIdent(role)+" "+clause)
	return err
}

// createLoginRole creates role with LOGIN, the password when one is given
// (none leaves a role no password can log in as), and membership in
// memberOf when set. created is false when the role already existed.
func createLoginRole(ctx context.Context, q Querier, role, password, memberOf string) (created bool, err error) {
	stmt := "CREATE ROLE " + quoteIdent(role) + " LOGIN"
	if password != "" {
		clause, err := passwordClause(password)
		if err != nil {
			return false, err
		}
		stmt += " " + clause
	}
	if memberOf != "" {
		stmt += " IN ROLE " + quoteIdent(memberOf)
	}
	_, err = q.Exec(ctx, stmt)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42710" { // duplicate_object: a concurrent or earlier create
		return false, nil
	}
	return err == nil, err
}

// grantMembership makes member a member of role (idempotent).
func grantMembership(ctx context.Context, q Querier, role, member string) error {
	_, err := q.Exec(ctx, "GRANT "+quoteIdent(role)+" TO "+quoteIdent(member))
	return err
}

// dropRole removes role and everything granted to it in the current
// database. The master needs the role's privileges to DROP OWNED, which
// CREATEROLE lets it grant itself. dropped is false when there was no
// such role.
func dropRole(ctx context.Context, q Querier, role string) (dropped bool, err error) {
	exists, err := roleExists(ctx, q, role)
	if err != nil || !exists {
		return false, err
	}
	r := quoteIdent(role)
	for _, stmt := range []string{"GRANT " + r + " TO CURRENT_USER", "DROP OWNED BY " + r, "DROP ROLE IF EXISTS " + r} {
		if _, err := q.Exec(ctx, stmt); err != nil {
			return false, err
		}
	}
	return true, nil
}
