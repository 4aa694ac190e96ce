package activities

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// superuserConn connects as localaws's own superuser over the cluster's
// unix socket (trust auth, reachable by root only): the only role that can
// read pg_authid, which the RDS-like master cannot.
func superuserConn(t *testing.T, st *stack) *pgx.Conn {
	t.Helper()
	dir, err := st.srv.InstanceDataDir(stackInstance)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := os.ReadFile(filepath.Join(dir, "data", "postmaster.pid"))
	if err != nil {
		t.Skipf("no postmaster.pid: %v", err)
	}
	lines := strings.Split(string(pid), "\n")
	if len(lines) < 5 {
		t.Skip("postmaster.pid without a socket folder")
	}
	port, _ := strconv.Atoi(strings.TrimSpace(lines[3]))
	cfg, err := pgx.ParseConfig("sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Host, cfg.Port, cfg.User, cfg.Database = strings.TrimSpace(lines[4]), uint16(port), "rdsadmin", "postgres"
	conn, err := pgx.ConnectConfig(context.Background(), cfg)
	if err != nil {
		t.Skipf("superuser socket not reachable (not root?): %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// TestSCRAMAgainstPostgres checks passwordHeld against verifiers that
// PostgreSQL computed itself from a plaintext password, and against the
// verifiers credstage sends.
func TestSCRAMAgainstPostgres(t *testing.T) {
	st := localStack(t)
	conn := superuserConn(t, st)
	ctx := context.Background()
	const role = "scram_check_role"
	_, _ = conn.Exec(ctx, "DROP ROLE IF EXISTS "+role)
	if _, err := conn.Exec(ctx, "CREATE ROLE "+role+" LOGIN PASSWORD 'Server-Hashed-Pa$$word!'"); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(ctx, "DROP ROLE IF EXISTS "+role)
	check := func(password string, wantHeld bool) {
		t.Helper()
		held, known, err := passwordHeld(ctx, conn, role, password)
		if err != nil || !known || held != wantHeld {
			t.Fatalf("%q: held %v known %v err %v, want held %v", password, held, known, err, wantHeld)
		}
	}
	check("Server-Hashed-Pa$$word!", true)
	check("Server-Hashed-Pa$$word", false)
	if err := setRolePassword(ctx, conn, role, `Cred'stage\Sent;--`); err != nil {
		t.Fatal(err)
	}
	check(`Cred'stage\Sent;--`, true)
	check("Server-Hashed-Pa$$word!", false)
	if held, known, err := passwordHeld(ctx, conn, "no_such_role_here", "x"); held || !known || err != nil {
		t.Fatalf("missing role: %v %v %v", held, known, err)
	}
	// The RDS-like master cannot read pg_authid: unknown, not an error.
	err := st.acts.login(ctx, "master", st.masterLogin(t), masterLogin, func(q Querier) error {
		held, known, err := passwordHeld(ctx, q, role, "x")
		if held || known || err != nil {
			t.Fatalf("as master: held %v known %v err %v", held, known, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
