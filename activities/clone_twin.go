package activities

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// The clone of an alternating pair must be the original's twin: a client
// must not be able to tell, after a flip, which of the two it logs in as.
// syncCloneTwin makes it so, in the secret's database, on every set step
// (whichever role is pending), because the original may have changed
// since the last rotation. Every part is idempotent, and all but ALTER
// DEFAULT PRIVILEGES (which rewrites the same entry) compare first, so a
// repeated set step changes nothing.
//
//   - Attributes. CONNECTION LIMIT is copied. SUPERUSER, CREATEROLE,
//     CREATEDB, REPLICATION and BYPASSRLS follow the original, never
//     exceeding it; one the original has and the master cannot give is a
//     non-retryable error naming the role and the attribute. The clone is
//     always INHERIT, even when the original is NOINHERIT: its privileges
//     come through its membership in the original, and inheritance still
//     stops at a NOINHERIT original, so the clone reaches exactly what the
//     original holds directly, as the original does.
//   - Settings (ALTER ROLE ... SET, global and per database): the clone's
//     become the original's, extra ones reset (clone_settings.go).
//   - Objects (clone_privileges.go). Ownership follows the role that
//     creates an object, and the application alternates between the two.
//     What the original owns the clone uses through its membership. What
//     the clone owns the original gets by default privileges FOR ROLE
//     clone, and by grants on what the clone owned before those existed.
//
// The master must hold the privileges of both roles for the last part (on
// RDS it is CREATEROLE, not superuser); it is granted them as dropRole
// does. Dying anywhere in here is safe: the retry compares again and does
// what is left.
func syncCloneTwin(ctx context.Context, q Querier, secretID, base, clone string) error {
	roles, err := readTwinRoles(ctx, q, base, clone)
	if err != nil {
		return err
	}
	if err := syncAttributes(ctx, q, secretID, roles); err != nil {
		return err
	}
	if err := syncSettings(ctx, q, secretID, base, clone); err != nil {
		return err
	}
	if err := masterHoldsRoles(ctx, q, secretID, roles.master, base, clone); err != nil {
		return err
	}
	return shareCloneObjects(ctx, q, secretID, base, clone)
}

// roleAttrs are the attributes of a role that the twin copies or checks.
type roleAttrs struct {
	name                                             string
	super, createRole, createDB, replication, bypass bool
	inherit                                          bool
	connLimit                                        int
}

type twinRoles struct{ base, clone, master roleAttrs }

func readTwinRoles(ctx context.Context, q Querier, base, clone string) (twinRoles, error) {
	rows, err := q.Query(ctx, `SELECT rolname, rolname = current_user, rolsuper, rolcreaterole, rolcreatedb,
		rolreplication, rolbypassrls, rolinherit, rolconnlimit
		FROM pg_catalog.pg_roles WHERE rolname IN ($1, $2) OR rolname = current_user`, base, clone)
	if err != nil {
		return twinRoles{}, err
	}
	defer rows.Close()
	var out twinRoles
	found := map[string]bool{}
	for rows.Next() {
		var a roleAttrs
		var isMaster bool
		if err := rows.Scan(&a.name, &isMaster, &a.super, &a.createRole, &a.createDB, &a.replication, &a.bypass, &a.inherit, &a.connLimit); err != nil {
			return twinRoles{}, err
		}
		switch {
		case isMaster:
			out.master = a
		case a.name == base:
			out.base = a
		case a.name == clone:
			out.clone = a
		}
		found[a.name] = true
	}
	if err := rows.Err(); err != nil {
		return twinRoles{}, err
	}
	for _, r := range []string{base, clone} {
		if !found[r] {
			return twinRoles{}, nonRetryable(ErrDatabaseRefused, fmt.Sprintf("role %q does not exist", r))
		}
	}
	return out, nil
}

// roleFlag is one privileged attribute: its keyword, how to read it, and
// whether the master can give it. PostgreSQL lets only a superuser give
// SUPERUSER, REPLICATION and BYPASSRLS; CREATEROLE lets a role give
// CREATEDB and CREATEROLE, and from PostgreSQL 16 only those it has
// itself, which is asked on every version so the answer does not depend
// on it.
type roleFlag struct {
	keyword  string
	get      func(roleAttrs) bool
	canGrant func(master roleAttrs) bool
}

var roleFlags = []roleFlag{
	{"SUPERUSER", func(a roleAttrs) bool { return a.super }, func(m roleAttrs) bool { return m.super }},
	{"CREATEROLE", func(a roleAttrs) bool { return a.createRole }, func(m roleAttrs) bool { return m.super || m.createRole }},
	{"CREATEDB", func(a roleAttrs) bool { return a.createDB }, func(m roleAttrs) bool { return m.super || (m.createRole && m.createDB) }},
	{"REPLICATION", func(a roleAttrs) bool { return a.replication }, func(m roleAttrs) bool { return m.super }},
	{"BYPASSRLS", func(a roleAttrs) bool { return a.bypass }, func(m roleAttrs) bool { return m.super }},
}

// syncAttributes gives the clone the original's attributes in one ALTER
// ROLE, or none when they already match.
func syncAttributes(ctx context.Context, q Querier, secretID string, r twinRoles) error {
	var clauses string
	for _, f := range roleFlags {
		want, have := f.get(r.base), f.get(r.clone)
		switch {
		case want == have:
		case want && !f.canGrant(r.master):
			return nonRetryable(ErrDatabaseRefused, fmt.Sprintf(
				"secret %s: role %q has %s, which the master %q cannot give its clone %q; grant it to %q by hand (as a superuser) or remove it from %q",
				secretID, r.base.name, f.keyword, r.master.name, r.clone.name, r.clone.name, r.base.name))
		case want:
			clauses += " " + f.keyword
		default:
			clauses += " NO" + f.keyword
		}
	}
	if !r.clone.inherit {
		clauses += " INHERIT"
	}
	if r.clone.connLimit != r.base.connLimit {
		clauses += " CONNECTION LIMIT " + strconv.Itoa(r.base.connLimit)
	}
	if clauses == "" {
		return nil
	}
	if _, err := q.Exec(ctx, "ALTER ROLE "+quoteIdent(r.clone.name)+clauses); err != nil {
		return twinError(secretID, fmt.Sprintf("giving %q the attributes of %q (%s)", r.clone.name, r.base.name, clauses[1:]), err)
	}
	return nil
}

// masterHoldsRoles grants the master membership in the roles whose
// privileges it lacks: ALTER DEFAULT PRIVILEGES FOR ROLE and GRANT on
// another role's objects need them when the master is not a superuser.
func masterHoldsRoles(ctx context.Context, q Querier, secretID string, master roleAttrs, roles ...string) error {
	if master.super {
		return nil
	}
	for _, role := range roles {
		var holds bool
		if err := q.QueryRow(ctx, "SELECT pg_catalog.pg_has_role(current_user, $1::text, 'USAGE')", role).Scan(&holds); err != nil {
			return err
		}
		if !holds {
			if _, err := q.Exec(ctx, "GRANT "+quoteIdent(role)+" TO CURRENT_USER"); err != nil {
				return twinError(secretID, fmt.Sprintf("granting the master %q membership in %q", master.name, role), err)
			}
		}
	}
	return nil
}

// twinError names what a refused statement of the twin was doing: the
// driver's message alone would not say which role or setting. A failure a
// retry may fix is left for dbError to classify. No statement of the twin
// carries a password, so there is nothing to redact.
func twinError(secretID, what string, err error) error {
	var pgErr *pgconn.PgError
	if err == nil || isClassified(err) || !errors.As(err, &pgErr) ||
		transientSQLStates[pgErr.Code] || strings.HasPrefix(pgErr.Code, "08") {
		return err
	}
	return nonRetryable(ErrDatabaseRefused, fmt.Sprintf("secret %s: %s: %s (SQLSTATE %s)", secretID, what, pgErr.Message, pgErr.Code))
}
