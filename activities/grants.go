package activities

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
)

// An app user's grants (AppUser.Grants) are planned from the catalog and
// applied object by object, never with GRANT ... ON ALL TABLES: the master
// can only grant what it owns or holds a grant option on, and one table of
// another role's in schema public would fail the whole statement. What the
// master cannot grant is reported, not failed on; what the role holds
// already is left alone, so a second run grants nothing. See
// docs/architecture.md §7.

// GrantReport says what ensureGrants did for one role; it goes into the
// provisioning result, so keep it JSON-friendly and free of secrets.
type GrantReport struct {
	Granted []string `json:"granted,omitempty"` // what this call granted, e.g. "SELECT, INSERT, UPDATE, DELETE on table public.orders"
	Skipped []string `json:"skipped,omitempty"` // what it could not grant and why, e.g. "table public.ledger (owner legacy): the master holds no grant option on it"
	Future  []string `json:"future,omitempty"`  // which later objects are covered, e.g. "tables the master creates later in schema public"
}

// grantSchema is the one schema grants cover.
const grantSchema = "public"

// grantSet is what AppUser.Grants ask for beyond CONNECT on the database
// (always granted): privileges on schema public, on its tables (views and
// the like included) and on its sequences, each in GRANT's usual order.
type grantSet struct {
	schema, tables, sequences []string
}

var (
	tablePrivileges    = []string{"SELECT", "INSERT", "UPDATE", "DELETE"}
	sequencePrivileges = []string{"USAGE", "SELECT"}
	schemaPrivileges   = []string{"USAGE", "CREATE"}
)

// parseGrants reads AppUser.Grants (case-insensitive; repeats are fine).
func parseGrants(grants []string) (grantSet, error) {
	var schema, tables, sequences []string
	for _, g := range grants {
		switch strings.ToLower(g) {
		case "connect":
		case "readonly":
			schema = append(schema, "USAGE")
			tables = append(tables, "SELECT")
		case "readwrite":
			schema = append(schema, "USAGE")
			tables = append(tables, tablePrivileges...)
			sequences = append(sequences, sequencePrivileges...)
		case "create":
			schema = append(schema, schemaPrivileges...)
		default:
			return grantSet{}, fmt.Errorf("unknown grant %q (want CONNECT, readonly, readwrite or create)", g)
		}
	}
	return grantSet{
		schema:    inOrder(schemaPrivileges, schema),
		tables:    inOrder(tablePrivileges, tables),
		sequences: inOrder(sequencePrivileges, sequences),
	}, nil
}

// inOrder is the privileges of order that are in set, in order's order.
func inOrder(order, set []string) []string {
	var out []string
	for _, p := range order {
		if slices.Contains(set, p) {
			out = append(out, p)
		}
	}
	return out
}

// grantTarget is one object as the master sees it in the catalog.
type grantTarget struct {
	kind   string // "database", "schema", "table", "view", "sequence", ...
	schema string // of a relation; "" for a database or schema
	name   string
	owner  string
	want   []string // privileges the grants ask for on it
	// Of want: held are those the role holds in its own right (granted
	// to it or to a role whose privileges it has, not to PUBLIC, which
	// hardening revokes); effective those it can use, PUBLIC included;
	// grantable those the master can grant (it owns the object, holds a
	// grant option on it, or has a role's privileges that does).
	held, effective, grantable []string
}

func (t grantTarget) label() string {
	if t.schema == "" {
		return t.kind + " " + t.name
	}
	return t.kind + " " + t.schema + "." + t.name
}

// sqlName is the object as GRANT names it: SEQUENCE for sequences, TABLE
// for every other relation.
func (t grantTarget) sqlName() string {
	switch t.kind {
	case "database":
		return "DATABASE " + quoteIdent(t.name)
	case "schema":
		return "SCHEMA " + quoteIdent(t.name)
	case "sequence":
		return "SEQUENCE " + quoteIdent(t.schema) + "." + quoteIdent(t.name)
	default:
		return "TABLE " + quoteIdent(t.schema) + "." + quoteIdent(t.name)
	}
}

// futureGrant is one kind of object the master may create later, and the
// default privileges pg_default_acl already gives the role on it.
type futureGrant struct {
	objType    string // ALTER DEFAULT PRIVILEGES' word: TABLES or SEQUENCES
	defaclType string // pg_default_acl.defaclobjtype: r or S
	noun       string // for the report
	want, held []string
}

// grantCatalog is everything ensureGrants plans from.
type grantCatalog struct {
	master   string
	database grantTarget
	schema   grantTarget
	noSchema bool // the database has no schema public
	objects  []grantTarget
	future   []futureGrant
}

// grantStep is one statement and what the report says once it ran.
type grantStep struct{ stmt, granted string }

// errNoConnect is the one failure of planning: the role holds no CONNECT
// on the database, not even through PUBLIC, and the master cannot grant
// it, so the user could not even log in. dbError makes it a refusal.
type errNoConnect struct{ db, role, owner string }

func (e *errNoConnect) Error() string {
	return fmt.Sprintf("role %s holds no CONNECT on database %s, not even through PUBLIC, and the master holds no grant option to give it (the database's owner is %s): the user could not connect", e.role, e.db, e.owner)
}

// planGrants decides, from the catalog alone, which statements to run:
// per object, one GRANT of what is wanted, missing and grantable; a
// Skipped line for what is missing and not grantable; nothing for what
// the role holds. Default privileges for the master's later objects come
// before the existing objects, so the window in which a table the master
// creates meanwhile is covered by neither is the few milliseconds since
// the catalog was read (the next call grants on such a table).
func planGrants(role string, cat grantCatalog) ([]grantStep, GrantReport, error) {
	var steps []grantStep
	var rep GrantReport
	r := quoteIdent(role)
	object := func(t grantTarget) {
		var grant, skip []string
		for _, p := range t.want {
			switch {
			case slices.Contains(t.held, p):
			case slices.Contains(t.grantable, p):
				grant = append(grant, p)
			default:
				skip = append(skip, p)
			}
		}
		if len(grant) > 0 {
			privs := strings.Join(grant, ", ")
			steps = append(steps, grantStep{
				stmt:    "GRANT " + privs + " ON " + t.sqlName() + " TO " + r,
				granted: privs + " on " + t.label(),
			})
		}
		if len(skip) > 0 {
			why := "the master holds no grant option on it"
			if len(skip) < len(t.want) {
				why = "the master holds no grant option for " + strings.Join(skip, ", ") + " on it"
			}
			if public := inOrder(skip, t.effective); len(public) > 0 {
				why += "; the role has " + strings.Join(public, ", ") + " through PUBLIC only"
			}
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s (owner %s): %s", t.label(), t.owner, why))
		}
	}

	db := cat.database
	if !slices.Contains(db.held, "CONNECT") && !slices.Contains(db.grantable, "CONNECT") && !slices.Contains(db.effective, "CONNECT") {
		return nil, GrantReport{}, &errNoConnect{db: db.name, role: role, owner: db.owner}
	}
	object(db)
	if len(cat.schema.want) == 0 {
		return steps, rep, nil
	}
	if cat.noSchema {
		rep.Skipped = append(rep.Skipped, "schema "+grantSchema+": database "+db.name+" has none")
		return steps, rep, nil
	}
	object(cat.schema)
	for _, f := range cat.future {
		covers := f.noun + " the master (" + cat.master + ") creates later in schema " + grantSchema
		if missing := slices.DeleteFunc(slices.Clone(f.want), func(p string) bool { return slices.Contains(f.held, p) }); len(missing) > 0 {
			privs := strings.Join(missing, ", ")
			steps = append(steps, grantStep{
				stmt: "ALTER DEFAULT PRIVILEGES FOR ROLE " + quoteIdent(cat.master) + " IN SCHEMA " + quoteIdent(grantSchema) +
					" GRANT " + privs + " ON " + f.objType + " TO " + r,
				granted: privs + " on " + covers,
			})
		}
		rep.Future = append(rep.Future, strings.Join(f.want, ", ")+" on "+covers)
	}
	if len(cat.future) > 0 {
		rep.Future = append(rep.Future, "not covered: objects other roles create later in schema "+grantSchema+
			" (their owners must grant on them, or give the master a grant option and provision again)")
	}
	// Byte order, not the database's collation: the same catalog always
	// gives the same statements.
	objects := slices.SortedFunc(slices.Values(cat.objects), func(a, b grantTarget) int {
		return cmp.Or(strings.Compare(a.name, b.name), strings.Compare(a.kind, b.kind))
	})
	for _, t := range objects {
		object(t)
	}
	return steps, rep, nil
}

// ensureGrants gives role, on the database the master's connection q is
// on (dbName), what grants ask for, as far as the master can: CONNECT on
// the database; USAGE on schema public (readonly, readwrite) or USAGE and
// CREATE (create); on every table, view and sequence now in public SELECT
// (readonly) or SELECT, INSERT, UPDATE, DELETE and USAGE, SELECT on
// sequences (readwrite); and the same on the tables and sequences the
// master creates there later, through its default privileges.
//
// It reads the catalog first and then grants per object only what is
// missing. An object the master cannot grant on (another role's table) is
// reported in Skipped, with its owner, and is no failure; the one failure
// is a role that could not connect at all. If the process dies between two
// statements, the next call finds the earlier ones' effects in the catalog
// and grants the rest; a call after a complete one grants nothing. Errors
// are the driver's (callers classify them with dbError); on an error the
// report names what was granted before it.
func ensureGrants(ctx context.Context, q Querier, dbName, role string, grants []string) (GrantReport, error) {
	want, err := parseGrants(grants)
	if err != nil {
		return GrantReport{}, err
	}
	cat, err := readGrantCatalog(ctx, q, dbName, role, want)
	if err != nil {
		return GrantReport{}, err
	}
	steps, rep, err := planGrants(role, cat)
	if err != nil {
		return GrantReport{}, err
	}
	for _, s := range steps {
		if _, err := q.Exec(ctx, s.stmt); err != nil {
			return rep, err
		}
		rep.Granted = append(rep.Granted, s.granted)
	}
	return rep, nil
}
