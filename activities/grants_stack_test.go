package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

// grantsFixture is a database of its own on the shared instance, so
// schema public holds only what the test puts there, with a master
// session on it.
type grantsFixture struct {
	st     *stack
	db     string
	master DBSecret // on db
	q      Querier  // the master's session on db
	sfx    string   // makes the test's role names unique on the cluster
	admin  Querier  // the master's session on the instance's database
	roles  []string
}

func newGrantsFixture(t *testing.T, st *stack) *grantsFixture {
	t.Helper()
	n := userSeq.Add(1)
	f := &grantsFixture{st: st, db: fmt.Sprintf("grants_%d", n), sfx: fmt.Sprintf("_%d", n)}
	appMaster := st.masterLogin(t)
	f.admin = mustLogin(t, "master", appMaster)
	execAll(t, f.admin, "CREATE DATABASE "+quoteIdent(f.db))
	// Registered before any session on db, so it runs after they closed.
	t.Cleanup(func() {
		ctx := context.Background()
		stmts := []string{"DROP DATABASE IF EXISTS " + quoteIdent(f.db)}
		for _, r := range f.roles {
			stmts = append(stmts, "DROP ROLE IF EXISTS "+quoteIdent(r))
		}
		for _, s := range stmts {
			if _, err := f.admin.Exec(ctx, s); err != nil {
				t.Errorf("cleanup: %s: %v", s, err)
			}
		}
	})
	f.master = appMaster
	f.master.DBName = f.db
	f.q = mustLogin(t, "master", f.master)
	return f
}

// role creates a login role (its name made unique) and returns its name
// and a login on the fixture's database.
func (f *grantsFixture) role(t *testing.T, base string) (string, DBSecret) {
	t.Helper()
	name := base + f.sfx
	password := "Grants-Test-Password-" + name
	if _, err := createLoginRole(context.Background(), f.q, name, password, ""); err != nil {
		t.Fatal(err)
	}
	f.roles = append(f.roles, name)
	return name, DBSecret{Host: f.master.Host, Port: f.master.Port, DBName: f.db, Username: name, Password: password}
}

func (f *grantsFixture) grant(t *testing.T, role string, grants ...string) GrantReport {
	t.Helper()
	rep, err := ensureGrants(context.Background(), f.q, f.db, role, grants)
	if err != nil {
		t.Fatalf("ensureGrants(%s, %v): %v", role, grants, err)
	}
	return rep
}

// refused asserts that stmt fails for lack of a privilege.
func refused(t *testing.T, q Querier, stmt string) {
	t.Helper()
	_, err := q.Exec(context.Background(), stmt)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "42501" {
		t.Fatalf("%s: got %v, want permission denied", stmt, err)
	}
}

func sameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got  %q\n want %q", what, got, want)
	}
}

// TestEnsureGrantsAgainstPostgres: schema public holds a table of another
// role's (legacy's ledger, with rows), tables of the master's and of a
// role the master is a member of, and a table of legacy's on which the
// master holds only SELECT WITH GRANT OPTION. Each grant covers what the
// master can grant, reports the rest with its owner, repeats as a no-op,
// and covers the master's later tables through default privileges but
// not legacy's.
func TestEnsureGrantsAgainstPostgres(t *testing.T) {
	st := localStack(t)
	f := newGrantsFixture(t, st)
	m := f.master.Username
	legacy, legacyLogin := f.role(t, "legacy")
	migrator, _ := f.role(t, "migrator")
	execAll(t, f.q,
		"GRANT CREATE ON SCHEMA public TO "+quoteIdent(legacy)+", "+quoteIdent(migrator),
		"CREATE TABLE orders (id bigserial PRIMARY KEY, item text NOT NULL)",
		"INSERT INTO orders (item) VALUES ('first')",
		// The master grants as migrator's member: owner's rights.
		"GRANT "+quoteIdent(migrator)+" TO CURRENT_USER",
		"SET ROLE "+quoteIdent(migrator),
		"CREATE TABLE audit (at timestamptz DEFAULT now())",
		"RESET ROLE")
	lq := mustLogin(t, "legacy", legacyLogin)
	execAll(t, lq,
		"CREATE TABLE ledger (id int, amount numeric)",
		"INSERT INTO ledger VALUES (1, 10), (2, 20)",
		"CREATE TABLE rates (code text)",
		"GRANT SELECT ON rates TO "+quoteIdent(m)+" WITH GRANT OPTION")

	app, appLogin := f.role(t, "app")
	rep := f.grant(t, app, "readwrite")
	tablesLater := "tables and views the master (" + m + ") creates later in schema public"
	sequencesLater := "sequences the master (" + m + ") creates later in schema public"
	notCovered := "not covered: objects other roles create later in schema public (their owners must grant on them, or give the master a grant option and provision again)"
	sameLines(t, "granted", rep.Granted, []string{
		"CONNECT on database " + f.db,
		"USAGE on schema public",
		"SELECT, INSERT, UPDATE, DELETE on " + tablesLater,
		"USAGE, SELECT on " + sequencesLater,
		"SELECT, INSERT, UPDATE, DELETE on table public.audit",
		"SELECT, INSERT, UPDATE, DELETE on table public.orders",
		"USAGE, SELECT on sequence public.orders_id_seq",
		"SELECT on table public.rates",
	})
	wantSkipped := []string{
		"table public.ledger (owner " + legacy + "): the master holds no grant option on it",
		"table public.rates (owner " + legacy + "): the master holds no grant option for INSERT, UPDATE, DELETE on it",
	}
	sameLines(t, "skipped", rep.Skipped, wantSkipped)
	wantFuture := []string{"SELECT, INSERT, UPDATE, DELETE on " + tablesLater, "USAGE, SELECT on " + sequencesLater, notCovered}
	sameLines(t, "future", rep.Future, wantFuture)

	aq := mustLogin(t, "app", appLogin)
	execAll(t, aq,
		"SELECT * FROM orders",
		"INSERT INTO orders (item) VALUES ('second')", // nextval: USAGE on the sequence
		"UPDATE orders SET item = item",
		"INSERT INTO audit DEFAULT VALUES",
		"SELECT * FROM rates")
	refused(t, aq, "SELECT * FROM ledger")
	refused(t, aq, "INSERT INTO rates VALUES ('x')")

	again := f.grant(t, app, "readwrite")
	sameLines(t, "granted again", again.Granted, nil)
	sameLines(t, "skipped again", again.Skipped, wantSkipped)
	sameLines(t, "future again", again.Future, wantFuture)

	reader, readerLogin := f.role(t, "reader")
	rep = f.grant(t, reader, "readonly")
	sameLines(t, "readonly granted", rep.Granted, []string{
		"CONNECT on database " + f.db,
		"USAGE on schema public",
		"SELECT on " + tablesLater,
		"SELECT on table public.audit",
		"SELECT on table public.orders",
		"SELECT on table public.rates",
	})
	sameLines(t, "readonly skipped", rep.Skipped, []string{wantSkipped[0]})
	sameLines(t, "readonly future", rep.Future, []string{"SELECT on " + tablesLater, notCovered})
	rq := mustLogin(t, "reader", readerLogin)
	execAll(t, rq, "SELECT * FROM orders")
	refused(t, rq, "INSERT INTO orders (item) VALUES ('x')")
	refused(t, rq, "SELECT nextval('orders_id_seq')")

	creator, creatorLogin := f.role(t, "creator")
	rep = f.grant(t, creator, "CONNECT", "create")
	sameLines(t, "create granted", rep.Granted, []string{"CONNECT on database " + f.db, "USAGE, CREATE on schema public"})
	if len(rep.Skipped)+len(rep.Future) > 0 {
		t.Errorf("create: %+v", rep)
	}
	cq := mustLogin(t, "creator", creatorLogin)
	execAll(t, cq, "CREATE TABLE creators_own (id int)", "INSERT INTO creators_own VALUES (1)")
	refused(t, cq, "SELECT * FROM orders")

	// Later objects: the master's are covered, legacy's are not.
	execAll(t, f.q, "CREATE TABLE shipments (id int)", "INSERT INTO shipments VALUES (1)", "CREATE SEQUENCE invoice_no")
	execAll(t, lq, "CREATE TABLE ledger_2025 (id int)")
	execAll(t, aq, "SELECT * FROM shipments", "INSERT INTO shipments VALUES (2)", "SELECT nextval('invoice_no')")
	execAll(t, rq, "SELECT * FROM shipments")
	refused(t, aq, "SELECT * FROM ledger_2025")
	refused(t, rq, "SELECT * FROM ledger_2025")

	// The master's later objects are held already; legacy's new table is
	// one more skip; creators_own, the creator's, is granted like any
	// table the master has no grant option on: not at all.
	third := f.grant(t, app, "readwrite")
	sameLines(t, "granted third", third.Granted, nil)
	sameLines(t, "skipped third", third.Skipped, []string{
		"table public.creators_own (owner " + creator + "): the master holds no grant option on it",
		wantSkipped[0],
		"table public.ledger_2025 (owner " + legacy + "): the master holds no grant option on it",
		wantSkipped[1],
	})
}

// TestEnsureGrantsWithoutConnect: on a database whose owner revoked
// CONNECT from PUBLIC and gave the master CONNECT without a grant option,
// the role could not connect at all, which is an error naming both; a
// role the owner gave CONNECT needs nothing and gets nothing.
func TestEnsureGrantsWithoutConnect(t *testing.T) {
	st := localStack(t)
	f := newGrantsFixture(t, st)
	owner, ownerLogin := f.role(t, "dbowner")
	app, _ := f.role(t, "app")
	ok, _ := f.role(t, "ok")
	m := f.master.Username
	// The master makes owner the database's owner, then steps out of it.
	execAll(t, f.admin,
		"GRANT "+quoteIdent(owner)+" TO CURRENT_USER",
		"ALTER DATABASE "+quoteIdent(f.db)+" OWNER TO "+quoteIdent(owner))
	oq := mustLogin(t, "dbowner", ownerLogin)
	execAll(t, oq,
		"REVOKE CONNECT ON DATABASE "+quoteIdent(f.db)+" FROM PUBLIC",
		"GRANT CONNECT ON DATABASE "+quoteIdent(f.db)+" TO "+quoteIdent(m)+", "+quoteIdent(ok))
	execAll(t, f.admin, "REVOKE "+quoteIdent(owner)+" FROM CURRENT_USER")
	// Dropping the database needs the owner's rights again.
	t.Cleanup(func() { execAll(t, f.admin, "GRANT "+quoteIdent(owner)+" TO CURRENT_USER") })

	_, err := ensureGrants(context.Background(), f.q, f.db, app, []string{"CONNECT"})
	var noConnect *errNoConnect
	if !errors.As(err, &noConnect) || !strings.Contains(err.Error(), app) || !strings.Contains(err.Error(), f.db) {
		t.Fatalf("got %v, want the role that could not connect", err)
	}
	if rep := f.grant(t, ok, "CONNECT"); len(rep.Granted)+len(rep.Skipped) > 0 {
		t.Fatalf("a role holding CONNECT: %+v", rep)
	}
}
