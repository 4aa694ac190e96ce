package activities

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// superuserAppDB is superuserConn on the instance's application database,
// where the tables, default privileges and per-database settings live.
func superuserAppDB(t *testing.T, st *stack) *pgx.Conn {
	t.Helper()
	cfg := superuserConn(t, st).Config().Copy()
	cfg.Database = stackDB
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func execAll(t *testing.T, q Querier, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := q.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// pooledLogin logs in with s as a client behind a session-resetting pool
// would: a fresh session, then DISCARD ALL and RESET ROLE.
func pooledLogin(t *testing.T, secret string, s DBSecret) (*pgx.Conn, error) {
	t.Helper()
	cfg := localStack(t).connConfig(t, secret, s)
	// An application's session, not credstage's: the role's own settings
	// apply, not the bounds credstage puts on its own statements.
	delete(cfg.RuntimeParams, "lock_timeout")
	delete(cfg.RuntimeParams, "statement_timeout")
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	execAll(t, conn, "DISCARD ALL", "RESET ROLE")
	return conn, nil
}

func mustLogin(t *testing.T, secret string, s DBSecret) *pgx.Conn {
	t.Helper()
	conn, err := pooledLogin(t, secret, s)
	if err != nil {
		t.Fatalf("login as %s: %v", s.Username, err)
	}
	return conn
}

func show(t *testing.T, q Querier, param string) string {
	t.Helper()
	var v string
	if err := q.QueryRow(context.Background(), "SHOW "+param).Scan(&v); err != nil {
		t.Fatalf("SHOW %s: %v", param, err)
	}
	return v
}

// roleSettings is pg_db_role_setting of role, as "db|name=value".
func roleSettings(t *testing.T, q Querier, role string) map[string]bool {
	t.Helper()
	rows, err := q.Query(context.Background(), `SELECT COALESCE(d.datname, ''), unnest(s.setconfig)
		FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole LEFT JOIN pg_database d ON d.oid = s.setdatabase
		WHERE r.rolname = $1`, role)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var db, cfg string
		if err := rows.Scan(&db, &cfg); err != nil {
			t.Fatal(err)
		}
		out[db+"|"+cfg] = true
	}
	return out
}

// roleAttrsOf reads the attributes the twin copies.
func roleAttrsOf(t *testing.T, q Querier, role string) (canLogin, createDB bool, connLimit int) {
	t.Helper()
	if err := q.QueryRow(context.Background(), "SELECT rolcanlogin, rolcreatedb, rolconnlimit FROM pg_roles WHERE rolname = $1", role).
		Scan(&canLogin, &createDB, &connLimit); err != nil {
		t.Fatalf("role %s: %v", role, err)
	}
	return
}

// TestCloneTwinSettings: the clone carries the original's settings and
// attributes, follows their changes on later rotations, and an attribute
// the master cannot give is reported, not dropped.
func TestCloneTwinSettings(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategyAlternatingUsers)
	base := st.secretJSON(t, secret, stageCurrent).Username
	clone := base + cloneSuffix
	su := superuserAppDB(t, st)
	b, c := quoteIdent(base), quoteIdent(clone)
	execAll(t, su,
		"ALTER ROLE "+b+` SET search_path = "$user", public, "Weird, Schema"`,
		"ALTER ROLE "+b+" SET statement_timeout = '5s'",
		"ALTER ROLE "+b+" IN DATABASE "+stackDB+" SET work_mem = '8MB'",
		"ALTER ROLE "+b+" CONNECTION LIMIT 7 CREATEDB",
		"ALTER ROLE "+c+" SET lock_timeout = '1s'") // the clone's own, to be dropped

	rotate(t, st, timings{}, secret, StrategyAlternatingUsers)
	cur := st.secretJSON(t, secret, stageCurrent)
	if cur.Username != clone {
		t.Fatalf("current user %s, want the clone", cur.Username)
	}
	if want, got := roleSettings(t, su, base), roleSettings(t, su, clone); !maps.Equal(want, got) {
		t.Fatalf("clone settings %v, want %v", got, want)
	}
	conn := mustLogin(t, secret, cur)
	for param, want := range map[string]string{
		"search_path": `"$user", public, "Weird, Schema"`, "statement_timeout": "5s", "work_mem": "8MB", "lock_timeout": "0",
	} {
		if got := show(t, conn, param); got != want {
			t.Errorf("as the clone, %s = %q, want %q", param, got, want)
		}
	}
	if _, createDB, limit := roleAttrsOf(t, su, clone); !createDB || limit != 7 {
		t.Errorf("clone CREATEDB=%v CONNECTION LIMIT %d, want true and 7", createDB, limit)
	}

	// The original changes: the next set steps follow.
	execAll(t, su, "ALTER ROLE "+b+" SET statement_timeout = '7s'", "ALTER ROLE "+b+" RESET search_path", "ALTER ROLE "+b+" NOCREATEDB CONNECTION LIMIT -1")
	rotate(t, st, timings{}, secret, StrategyAlternatingUsers) // to the original; the clone is synced too
	rotate(t, st, timings{}, secret, StrategyAlternatingUsers) // back to the clone
	cur = st.secretJSON(t, secret, stageCurrent)
	conn = mustLogin(t, secret, cur)
	if got := show(t, conn, "statement_timeout"); got != "7s" {
		t.Errorf("statement_timeout %q after the change, want 7s", got)
	}
	if got := show(t, conn, "search_path"); got != `"$user", public` {
		t.Errorf("search_path %q after the reset, want the default", got)
	}
	if _, createDB, limit := roleAttrsOf(t, su, clone); createDB || limit != -1 {
		t.Errorf("clone CREATEDB=%v CONNECTION LIMIT %d after the change, want false and -1", createDB, limit)
	}

	// REPLICATION only a superuser can give: the set step says so.
	execAll(t, su, "ALTER ROLE "+b+" REPLICATION")
	defer execAll(t, su, "ALTER ROLE "+b+" NOREPLICATION")
	step := newStep(secret, StrategyAlternatingUsers)
	cr := must[CreateResult](t, st, st.acts.CreatePending, step)
	app := mustFail(t, st, st.acts.SetPending, step, ErrDatabaseRefused)
	if !app.NonRetryable() || !strings.Contains(app.Error(), fmt.Sprintf("%q", base)) || !strings.Contains(app.Error(), "REPLICATION") {
		t.Fatalf("error %q must be non-retryable and name the role and the attribute", app.Error())
	}
	must[RollbackResult](t, st, st.acts.Rollback, RollbackInput{Step: step, CurrentVersionID: cr.CurrentVersionID})
	st.assertInvariant(t, secret)
	st.assertNoPasswords(t, st.logs.String())
}

// useTables selects from and inserts into every table over conn.
func useTables(t *testing.T, conn *pgx.Conn, who string, tables []string) {
	t.Helper()
	ctx := context.Background()
	for _, tbl := range tables {
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+tbl).Scan(&n); err != nil {
			t.Fatalf("%s: SELECT from %s: %v", who, tbl, err)
		}
		if _, err := conn.Exec(ctx, "INSERT INTO "+tbl+" (v) VALUES ($1)", who); err != nil {
			t.Fatalf("%s: INSERT into %s: %v", who, tbl, err)
		}
	}
}

// TestCloneTwinSharesObjects: tables (and their serial sequences) made
// through either role stay usable through both, over sessions reset as a
// pool resets them, flip after flip; so are those the clone made before
// credstage first made it a twin, in its own schema too.
func TestCloneTwinSharesObjects(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategyAlternatingUsers, "create")
	base := st.secretJSON(t, secret, stageCurrent).Username
	clone := base + cloneSuffix
	su := superuserAppDB(t, st)
	schema := quoteIdent(base + "_own")
	tables := []string{schema + ".pre", quoteIdent(base + "_pre")}
	execAll(t, su,
		"CREATE SCHEMA "+schema+" AUTHORIZATION "+quoteIdent(clone),
		"SET ROLE "+quoteIdent(clone),
		"CREATE TABLE "+tables[0]+" (id serial PRIMARY KEY, v text)",
		"CREATE TABLE "+tables[1]+" (id serial PRIMARY KEY, v text)",
		"RESET ROLE")
	for round := 1; round <= 4; round++ {
		rotate(t, st, timings{}, secret, StrategyAlternatingUsers)
		cur, prev := st.secretJSON(t, secret, stageCurrent), st.secretJSON(t, secret, stagePrevious)
		if cur.Username == prev.Username {
			t.Fatalf("round %d: no flip", round)
		}
		conn := mustLogin(t, secret, cur)
		useTables(t, conn, cur.Username, tables)
		tbl := quoteIdent(fmt.Sprintf("%s_r%d", base, round))
		execAll(t, conn, "CREATE TABLE "+tbl+" (id serial PRIMARY KEY, v text)", "INSERT INTO "+tbl+" (v) VALUES ('made')")
		tables = append(tables, tbl)
		// The other role, still valid as AWSPREVIOUS, uses them all too.
		useTables(t, mustLogin(t, secret, prev), prev.Username, tables)
	}
	st.assertNoPasswords(t, st.logs.String())
}

// TestRollbackDisablesCreatedClone: a rotation that created the clone and
// is rolled back leaves no clone that logs in; so does a later one that
// gave it LOGIN back; the next rotation brings it back. A clone credstage
// provisioned (no run of this secret created it) keeps its login.
func TestRollbackDisablesCreatedClone(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategyAlternatingUsers)
	base := st.secretJSON(t, secret, stageCurrent).Username
	clone := base + cloneSuffix
	su := superuserAppDB(t, st)
	execAll(t, su, "DROP ROLE "+quoteIdent(clone)) // as if the secret were adopted without its clone

	for i, wantCreated := range []bool{true, false} {
		step := newStep(secret, StrategyAlternatingUsers)
		c := must[CreateResult](t, st, st.acts.CreatePending, step)
		s := must[SetResult](t, st, st.acts.SetPending, step)
		if s.Username != clone || s.CreatedRole != wantCreated {
			t.Fatalf("run %d: set %+v, want %s created=%v", i, s, clone, wantCreated)
		}
		pending := st.secretJSON(t, secret, stagePending)
		must[TestResult](t, st, st.acts.TestPending, step)
		must[PromoteResult](t, st, st.acts.Promote, PromoteInput{Step: step, CurrentVersionID: c.CurrentVersionID})
		in := RollbackInput{Step: step, CurrentVersionID: c.CurrentVersionID, PasswordSet: true, Promoted: true}
		must[RollbackResult](t, st, st.acts.Rollback, in)
		must[RollbackResult](t, st, st.acts.Rollback, in)
		st.assertInvariant(t, secret)
		if _, err := pooledLogin(t, secret, pending); err == nil {
			t.Fatalf("run %d: the rolled-back clone still logs in", i)
		}
		if canLogin, _, _ := roleAttrsOf(t, su, clone); canLogin {
			t.Fatalf("run %d: the rolled-back clone still has LOGIN", i)
		}
	}

	rotate(t, st, timings{}, secret, StrategyAlternatingUsers)
	cur := st.secretJSON(t, secret, stageCurrent)
	if cur.Username != clone {
		t.Fatalf("current user %s, want the clone", cur.Username)
	}
	mustLogin(t, secret, cur)

	// A rollback never disables a clone no run of it enabled.
	other := st.newUser(t, StrategyAlternatingUsers)
	otherClone := st.secretJSON(t, other, stageCurrent).Username + cloneSuffix
	step := newStep(other, StrategyAlternatingUsers)
	c := must[CreateResult](t, st, st.acts.CreatePending, step)
	must[SetResult](t, st, st.acts.SetPending, step)
	must[RollbackResult](t, st, st.acts.Rollback, RollbackInput{Step: step, CurrentVersionID: c.CurrentVersionID, PasswordSet: true})
	if canLogin, _, _ := roleAttrsOf(t, su, otherClone); !canLogin {
		t.Fatal("a provisioned clone lost its LOGIN in a rollback")
	}
	st.assertNoPasswords(t, st.logs.String())
}
