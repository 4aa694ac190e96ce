package activities

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseGrants(t *testing.T) {
	got, err := parseGrants([]string{"create", "ReadWrite", "readonly", "CONNECT", "readwrite"})
	if err != nil {
		t.Fatal(err)
	}
	want := grantSet{
		schema:    []string{"USAGE", "CREATE"},
		tables:    []string{"SELECT", "INSERT", "UPDATE", "DELETE"},
		sequences: []string{"USAGE", "SELECT"},
	}
	if !slices.Equal(got.schema, want.schema) || !slices.Equal(got.tables, want.tables) || !slices.Equal(got.sequences, want.sequences) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	ro, _ := parseGrants([]string{"readonly"})
	if !slices.Equal(ro.schema, []string{"USAGE"}) || !slices.Equal(ro.tables, []string{"SELECT"}) || ro.sequences != nil {
		t.Errorf("readonly: %+v", ro)
	}
	if only, _ := parseGrants([]string{"connect"}); only.schema != nil || only.tables != nil {
		t.Errorf("CONNECT alone: %+v", only)
	}
	_, err = parseGrants([]string{"readonly", "superuser"})
	if err == nil || err.Error() != `unknown grant "superuser" (want CONNECT, readonly, readwrite or create)` {
		t.Errorf("unknown grant: %v", err)
	}
}

// grantTestCatalog is a readwrite plan's catalog: the role holds
// nothing, the master can grant everything on the database and schema.
func grantTestCatalog(objects ...grantTarget) grantCatalog {
	return grantCatalog{
		master:   "admin",
		database: grantTarget{kind: "database", name: "app db", owner: "admin", want: []string{"CONNECT"}, effective: []string{"CONNECT"}, grantable: []string{"CONNECT"}},
		schema:   grantTarget{kind: "schema", name: "public", owner: "pg_database_owner", want: []string{"USAGE"}, effective: []string{"USAGE"}, grantable: []string{"USAGE", "CREATE"}},
		objects:  objects,
		future: []futureGrant{
			{objType: "TABLES", noun: "tables and views", want: tablePrivileges},
			{objType: "SEQUENCES", noun: "sequences", want: sequencePrivileges, held: sequencePrivileges},
		},
	}
}

func TestPlanGrants(t *testing.T) {
	cat := grantTestCatalog(
		grantTarget{kind: "table", schema: "public", name: "zeta", owner: "admin", want: tablePrivileges, grantable: tablePrivileges},
		grantTarget{kind: "table", schema: "public", name: `we"ird`, owner: "legacy", want: tablePrivileges, effective: []string{"SELECT"}},
		grantTarget{kind: "sequence", schema: "public", name: "alpha_seq", owner: "admin", want: sequencePrivileges, held: []string{"USAGE"}, grantable: sequencePrivileges},
		grantTarget{kind: "view", schema: "public", name: "mid", owner: "legacy", want: tablePrivileges, held: []string{"SELECT"}, grantable: []string{"SELECT", "INSERT"}},
		grantTarget{kind: "table", schema: "public", name: "held", owner: "app", want: tablePrivileges, held: tablePrivileges},
	)
	steps, rep, err := planGrants(`r"x`, cat)
	if err != nil {
		t.Fatal(err)
	}
	var stmts []string
	for _, s := range steps {
		stmts = append(stmts, s.stmt)
	}
	wantStmts := []string{
		`GRANT CONNECT ON DATABASE "app db" TO "r""x"`,
		`GRANT USAGE ON SCHEMA "public" TO "r""x"`,
		`ALTER DEFAULT PRIVILEGES FOR ROLE "admin" IN SCHEMA "public" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "r""x"`,
		`GRANT SELECT ON SEQUENCE "public"."alpha_seq" TO "r""x"`,
		`GRANT INSERT ON TABLE "public"."mid" TO "r""x"`,
		`GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE "public"."zeta" TO "r""x"`,
	}
	if !slices.Equal(stmts, wantStmts) {
		t.Errorf("statements:\n got  %q\n want %q", stmts, wantStmts)
	}
	// The report names objects unquoted; sorted by name in byte order.
	sameLines(t, "skipped", rep.Skipped, []string{
		"view public.mid (owner legacy): the master holds no grant option for UPDATE, DELETE on it",
		`table public.we"ird (owner legacy): the master holds no grant option on it; the role has SELECT through PUBLIC only`,
	})
	if len(rep.Granted) != 0 {
		t.Errorf("planning granted %q", rep.Granted)
	}
	if steps[3].granted != "SELECT on sequence public.alpha_seq" {
		t.Errorf("granted %q", steps[3].granted)
	}
	sameLines(t, "future", rep.Future, []string{
		"SELECT, INSERT, UPDATE, DELETE on tables and views the master (admin) creates later in schema public",
		"USAGE, SELECT on sequences the master (admin) creates later in schema public",
		"not covered: objects other roles create later in schema public (their owners must grant on them, or give the master a grant option and provision again)",
	})
}

func TestPlanGrantsHeldIsNothing(t *testing.T) {
	cat := grantTestCatalog(grantTarget{kind: "table", schema: "public", name: "t", want: tablePrivileges, held: tablePrivileges})
	cat.database.held, cat.schema.held = []string{"CONNECT"}, []string{"USAGE"}
	cat.future[0].held = tablePrivileges
	steps, rep, err := planGrants("r", cat)
	if err != nil || len(steps) != 0 || len(rep.Skipped) != 0 || len(rep.Future) != 3 {
		t.Fatalf("steps %q, report %+v, err %v", steps, rep, err)
	}
}

func TestPlanGrantsConnect(t *testing.T) {
	// CONNECT through PUBLIC only and no grant option: a skip, the user
	// can still connect.
	cat := grantTestCatalog()
	cat.database.grantable, cat.database.owner = nil, "rdsadmin"
	_, rep, err := planGrants("r", cat)
	if err != nil {
		t.Fatal(err)
	}
	sameLines(t, "skipped", rep.Skipped, []string{"database app db (owner rdsadmin): the master holds no grant option on it; the role has CONNECT through PUBLIC only"})
	// Not even that: an error naming database and role, before any step.
	cat.database.effective = nil
	steps, _, err := planGrants("r", cat)
	var noConnect *errNoConnect
	if !errors.As(err, &noConnect) || steps != nil || !strings.Contains(err.Error(), "database app db") || !strings.Contains(err.Error(), "role r ") {
		t.Fatalf("steps %q, err %v", steps, err)
	}
}

func TestPlanGrantsNoSchema(t *testing.T) {
	cat := grantTestCatalog()
	cat.noSchema, cat.future = true, nil
	steps, rep, err := planGrants("r", cat)
	if err != nil || len(steps) != 1 {
		t.Fatalf("steps %q, err %v", steps, err)
	}
	sameLines(t, "skipped", rep.Skipped, []string{"schema public: database app db has none"})
	// CONNECT alone wants nothing of the schema.
	cat.schema.want = nil
	if _, rep, _ := planGrants("r", cat); len(rep.Skipped) != 0 {
		t.Errorf("CONNECT alone: %+v", rep)
	}
}
