package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
)

// Objects made through either role of an alternating pair must stay
// usable through both after any number of flips. Ownership follows the
// role that runs CREATE, and a connection pool that resets its sessions
// (DISCARD ALL, RESET ROLE) undoes any SET ROLE, so the fix lives in the
// catalog, not in the session:
//
//   - The original's objects: the clone is an INHERIT member of the
//     original, so it has the owner's privileges on them already.
//   - The clone's future objects: ALTER DEFAULT PRIVILEGES FOR ROLE clone
//     (no IN SCHEMA, so in every schema) grants ALL on tables, sequences,
//     functions, types and schemas to the original.
//   - The clone's existing objects (made before the default privileges):
//     each relation and schema the clone owns that the original cannot
//     fully use is granted to it, at most shareBatch per set step; what is
//     left waits for the next one.
//
// Not covered: default privileges and pg_class are per database, so only
// the secret's database is handled; the original cannot ALTER or DROP
// what the clone owns (that needs ownership, and a role cannot be a
// member of its own member), so DDL on shared objects should be run as
// the original (SET ROLE name in the migration); objects a third role
// makes are whatever that role grants.

// shareBatch bounds the grants on existing objects in one set step.
const shareBatch = 500

// cloneObjectsSQL lists what the clone owns and the original lacks a
// privilege on: kind 'S' sequence, 'n' schema, else a relation.
const cloneObjectsSQL = `
WITH r AS (SELECT (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1) AS clone, $2::name AS base)
SELECT kind, schema, name FROM (
	SELECT 'n' AS kind, n.nspname AS schema, '' AS name, n.oid
	FROM pg_catalog.pg_namespace n, r
	WHERE n.nspowner = r.clone
	  AND NOT (pg_catalog.has_schema_privilege(r.base, n.oid, 'USAGE') AND pg_catalog.has_schema_privilege(r.base, n.oid, 'CREATE'))
	UNION ALL
	SELECT CASE WHEN c.relkind = 'S' THEN 'S' ELSE 't' END, n.nspname, c.relname, c.oid
	FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace, r
	WHERE c.relowner = r.clone AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND c.relpersistence <> 't'
	  AND NOT CASE WHEN c.relkind = 'S' THEN
		pg_catalog.has_sequence_privilege(r.base, c.oid, 'USAGE') AND pg_catalog.has_sequence_privilege(r.base, c.oid, 'SELECT')
		AND pg_catalog.has_sequence_privilege(r.base, c.oid, 'UPDATE')
	  ELSE
		pg_catalog.has_table_privilege(r.base, c.oid, 'SELECT') AND pg_catalog.has_table_privilege(r.base, c.oid, 'INSERT')
		AND pg_catalog.has_table_privilege(r.base, c.oid, 'UPDATE') AND pg_catalog.has_table_privilege(r.base, c.oid, 'DELETE')
		AND pg_catalog.has_table_privilege(r.base, c.oid, 'TRUNCATE') AND pg_catalog.has_table_privilege(r.base, c.oid, 'REFERENCES')
		AND pg_catalog.has_table_privilege(r.base, c.oid, 'TRIGGER')
	  END
) o ORDER BY kind = 'n' DESC, oid LIMIT $3`

// shareCloneObjects puts the default privileges in place (ALTER DEFAULT
// PRIVILEGES is idempotent) and grants the original what the clone
// already owns. The master must hold the clone's privileges.
func shareCloneObjects(ctx context.Context, q Querier, secretID, base, clone string) error {
	b, c := quoteIdent(base), quoteIdent(clone)
	var stmt string
	for _, kind := range []string{"TABLES", "SEQUENCES", "FUNCTIONS", "TYPES", "SCHEMAS"} {
		stmt += "ALTER DEFAULT PRIVILEGES FOR ROLE " + c + " GRANT ALL ON " + kind + " TO " + b + ";"
	}
	if _, err := q.Exec(ctx, stmt); err != nil {
		return twinError(secretID, fmt.Sprintf("default privileges for %q's objects to %q", clone, base), err)
	}
	type object struct{ kind, schema, name string }
	rows, err := q.Query(ctx, cloneObjectsSQL, clone, base, shareBatch)
	if err != nil {
		return err
	}
	var objects []object
	for rows.Next() {
		var o object
		if err := rows.Scan(&o.kind, &o.schema, &o.name); err != nil {
			rows.Close()
			return err
		}
		objects = append(objects, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, o := range objects {
		var grant string
		switch o.kind {
		case "n":
			grant = "GRANT ALL ON SCHEMA " + quoteIdent(o.schema) + " TO " + b
		case "S":
			grant = "GRANT ALL ON SEQUENCE " + quoteIdent(o.schema) + "." + quoteIdent(o.name) + " TO " + b
		default:
			grant = "GRANT ALL ON TABLE " + quoteIdent(o.schema) + "." + quoteIdent(o.name) + " TO " + b
		}
		_, err := q.Exec(ctx, grant)
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && (pgErr.Code == "42P01" || pgErr.Code == "3F000") {
			continue // dropped meanwhile: nothing to share
		}
		if err != nil {
			return twinError(secretID, fmt.Sprintf("granting %q's %s.%s to %q", clone, o.schema, o.name, base), err)
		}
	}
	if len(objects) == shareBatch {
		logger(ctx).Warn("clone owns more objects than one set step shares; the next set step continues",
			"secret", secretID, "clone", clone, "shared", len(objects))
	}
	return nil
}
