package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// The catalog queries of ensureGrants. $1 is always the grantee; each
// query is handed the privileges wanted and answers which of them the
// grantee holds (heldSQL), can use (has_*_privilege, PUBLIC included) and
// the master can grant (has_*_privilege WITH GRANT OPTION, which counts
// ownership and the privileges of roles the master is a member of).

// heldSQL lists the privileges of want the grantee ($1) holds in acl in
// its own right: granted to it or to a role whose privileges it has, but
// not to PUBLIC (grantee 0). A missing ACL means the object's defaults,
// which acl must already have turned into acldefault.
func heldSQL(want, acl string) string {
	return `ARRAY(SELECT p FROM unnest(` + want + `) p WHERE EXISTS (
		SELECT 1 FROM aclexplode(` + acl + `) a
		WHERE a.privilege_type = p AND a.grantee <> 0 AND pg_has_role($1::name, a.grantee, 'USAGE')))`
}

// privSQL lists the privileges of want for which check(p) is true.
func privSQL(want, check string) string {
	return `ARRAY(SELECT p FROM unnest(` + want + `) p WHERE ` + check + `)`
}

var (
	grantDatabaseSQL = `SELECT current_database(), current_user, pg_get_userbyid(d.datdba), ` +
		heldSQL("$2::text[]", "COALESCE(d.datacl, acldefault('d', d.datdba))") + `, ` +
		privSQL("$2::text[]", "has_database_privilege($1::name, d.oid, p)") + `, ` +
		privSQL("$2::text[]", "has_database_privilege(current_user, d.oid, p || ' WITH GRANT OPTION')") + `
		FROM pg_catalog.pg_database d WHERE d.datname = current_database()`

	grantSchemaSQL = `SELECT pg_get_userbyid(n.nspowner), ` +
		heldSQL("$2::text[]", "COALESCE(n.nspacl, acldefault('n', n.nspowner))") + `, ` +
		privSQL("$2::text[]", "has_schema_privilege($1::name, n.oid, p)") + `, ` +
		privSQL("$2::text[]", "has_schema_privilege(current_user, n.oid, p || ' WITH GRANT OPTION')") + `
		FROM pg_catalog.pg_namespace n WHERE n.nspname = $3`

	// Tables, partitioned tables, views, materialized views and foreign
	// tables take table privileges ($2), sequences theirs ($3); the CASEs
	// keep has_sequence_privilege off relations that are no sequences.
	grantRelationsSQL = `SELECT c.relname, c.relkind::text, pg_get_userbyid(c.relowner), w.want, ` +
		heldSQL("w.want", "COALESCE(c.relacl, acldefault(w.acltype, c.relowner))") + `, ` +
		privSQL("w.want", `CASE WHEN c.relkind = 'S' THEN has_sequence_privilege($1::name, c.oid, p)
			ELSE has_table_privilege($1::name, c.oid, p) END`) + `, ` +
		privSQL("w.want", `CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(current_user, c.oid, p || ' WITH GRANT OPTION')
			ELSE has_table_privilege(current_user, c.oid, p || ' WITH GRANT OPTION') END`) + `
		FROM pg_catalog.pg_class c
		JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
		CROSS JOIN LATERAL (SELECT
			CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char" AS acltype,
			CASE WHEN c.relkind = 'S' THEN $3::text[] ELSE $2::text[] END AS want) w
		WHERE n.nspname = $4 AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND cardinality(w.want) > 0`

	// Default privileges for the master's objects in the schema ($3) and
	// for all its objects (namespace 0) both apply to what it creates
	// there; $4 is pg_default_acl's object type.
	grantFutureSQL = "SELECT " + privSQL("$2::text[]", `EXISTS (
		SELECT 1 FROM pg_catalog.pg_default_acl d CROSS JOIN LATERAL aclexplode(d.defaclacl) a
		WHERE d.defaclrole = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = current_user)
			AND d.defaclobjtype = $4::"char"
			AND d.defaclnamespace IN (0, (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = $3))
			AND a.privilege_type = p AND a.grantee <> 0 AND pg_has_role($1::name, a.grantee, 'USAGE'))`)
)

// relationKinds names pg_class.relkind for the report.
var relationKinds = map[string]string{
	"r": "table", "p": "table", "v": "view", "m": "materialized view", "f": "foreign table", "S": "sequence",
}

// readGrantCatalog reads what planGrants needs, for role on the database
// q is connected to, which must be dbName: the table grants are that
// database's.
func readGrantCatalog(ctx context.Context, q Querier, dbName, role string, want grantSet) (grantCatalog, error) {
	connect := []string{"CONNECT"}
	cat := grantCatalog{database: grantTarget{kind: "database", want: connect}}
	db := &cat.database
	err := q.QueryRow(ctx, grantDatabaseSQL, role, connect).Scan(&db.name, &cat.master, &db.owner, &db.held, &db.effective, &db.grantable)
	if err != nil {
		return grantCatalog{}, err
	}
	if db.name != dbName {
		return grantCatalog{}, fmt.Errorf("grants for database %s asked on a connection to database %s", dbName, db.name)
	}

	// Every grant but CONNECT wants something on the schema.
	cat.schema = grantTarget{kind: "schema", name: grantSchema, want: want.schema}
	if len(want.schema) == 0 {
		return cat, nil
	}
	s := &cat.schema
	err = q.QueryRow(ctx, grantSchemaSQL, role, want.schema, grantSchema).Scan(&s.owner, &s.held, &s.effective, &s.grantable)
	if errors.Is(err, pgx.ErrNoRows) {
		cat.noSchema = true
		return cat, nil
	}
	if err != nil {
		return grantCatalog{}, err
	}

	if len(want.tables)+len(want.sequences) > 0 {
		rows, err := q.Query(ctx, grantRelationsSQL, role, want.tables, want.sequences, grantSchema)
		if err != nil {
			return grantCatalog{}, err
		}
		for rows.Next() {
			t := grantTarget{schema: grantSchema}
			var relkind string
			if err := rows.Scan(&t.name, &relkind, &t.owner, &t.want, &t.held, &t.effective, &t.grantable); err != nil {
				rows.Close()
				return grantCatalog{}, err
			}
			t.kind = relationKinds[relkind]
			cat.objects = append(cat.objects, t)
		}
		if err := rows.Err(); err != nil {
			return grantCatalog{}, err
		}
	}

	for _, f := range []futureGrant{
		{objType: "TABLES", defaclType: "r", noun: "tables and views", want: want.tables},
		{objType: "SEQUENCES", defaclType: "S", noun: "sequences", want: want.sequences},
	} {
		if len(f.want) == 0 {
			continue
		}
		if err := q.QueryRow(ctx, grantFutureSQL, role, f.want, grantSchema, f.defaclType).Scan(&f.held); err != nil {
			return grantCatalog{}, err
		}
		cat.future = append(cat.future, f)
	}
	return cat, nil
}
