package pgcluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credstage/credstage/localaws/internal/dbhost"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// newTestCluster initialises a cluster under a test temp folder and stops
// it when the test ends (t.TempDir then removes the files).
func newTestCluster(t *testing.T, dir string, b Bootstrap) *Cluster {
	t.Helper()
	port, err := dbhost.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(dir, port, Options{OwnRoot: filepath.Dir(dir)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Stop(); err != nil {
			t.Errorf("stop: %v", err)
		}
	})
	start := time.Now()
	if err := c.Init(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	t.Logf("Init took %v", time.Since(start))
	return c
}

func login(ctx context.Context, port int, user, password, db string) (*pgx.Conn, error) {
	cfg, err := pgx.ParseConfig("host=127.0.0.1 sslmode=disable")
	if err != nil {
		return nil, err
	}
	cfg.Port, cfg.User, cfg.Password, cfg.Database = uint16(port), user, password, db
	return pgx.ConnectConfig(ctx, cfg)
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

func TestClusterLifecycle(t *testing.T) {
	ctx := context.Background()
	const password = "first-Pass_word!1"
	verifier, err := SCRAMVerifier(password)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "c1")
	c := newTestCluster(t, dir, Bootstrap{MasterUser: "postgres", MasterPassword: verifier, DBName: "appdb"})
	if !c.Initialized() || !c.Running() || c.PID() == 0 {
		t.Fatalf("after Init: initialized=%v running=%v pid=%d", c.Initialized(), c.Running(), c.PID())
	}

	start := time.Now()
	conn, err := login(ctx, c.Port(), "postgres", password, "appdb")
	if err != nil {
		t.Fatalf("master login with SCRAM: %v", err)
	}
	t.Logf("SCRAM login took %v", time.Since(start))
	var super, createRole, createDB bool
	var owner, method string
	if err := conn.QueryRow(ctx, `SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user`).Scan(&super, &createRole, &createDB); err != nil {
		t.Fatal(err)
	}
	if super || !createRole || !createDB {
		t.Errorf("master attributes: super=%v createrole=%v createdb=%v; want false, true, true", super, createRole, createDB)
	}
	if err := conn.QueryRow(ctx, `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()`).Scan(&owner); err != nil || owner != "postgres" {
		t.Errorf("appdb owner = %q, %v; want postgres", owner, err)
	}
	if err := conn.QueryRow(ctx, `SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host' LIMIT 1`).Scan(&method); err == nil && method != "scram-sha-256" {
		t.Errorf("host auth = %q", method)
	}
	// The master can create and grant roles, as on RDS.
	for _, s := range []string{`CREATE ROLE app LOGIN PASSWORD 'app-pass-1'`, `GRANT app TO postgres`, `CREATE TABLE t (x int)`, `GRANT SELECT ON t TO app`} {
		if _, err := conn.Exec(ctx, s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	conn.Close(ctx)

	if _, err := login(ctx, c.Port(), "postgres", "wrong-password", "appdb"); sqlState(err) != "28P01" {
		t.Fatalf("wrong password: got %v, want SQLSTATE 28P01", err)
	}

	// Password change through the verifier.
	const newPassword = `it's-a "new" \one`
	v2, _ := SCRAMVerifier(newPassword)
	if err := c.SetPassword(ctx, "postgres", v2); err != nil {
		t.Fatal(err)
	}
	if _, err := login(ctx, c.Port(), "postgres", password, "appdb"); sqlState(err) != "28P01" {
		t.Fatalf("old password after change: got %v, want 28P01", err)
	}
	if conn, err := login(ctx, c.Port(), "postgres", newPassword, "appdb"); err != nil {
		t.Fatalf("new password: %v", err)
	} else {
		conn.Close(ctx)
	}
	// A plaintext password with quotes works too (quoted literal).
	if err := c.SetPassword(ctx, "app", `o'brien\x`); err != nil {
		t.Fatal(err)
	}
	if conn, err := login(ctx, c.Port(), "app", `o'brien\x`, "appdb"); err != nil {
		t.Fatalf("app login: %v", err)
	} else {
		conn.Close(ctx)
	}

	// Stop and start.
	pid := c.PID()
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if c.Running() || dbhost.Alive(pid) {
		t.Fatalf("still running after Stop (pid %d)", pid)
	}
	if err := c.SetPassword(ctx, "postgres", v2); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("SetPassword on a stopped cluster: %v, want ErrNotRunning", err)
	}
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if conn, err := login(ctx, c.Port(), "postgres", newPassword, "appdb"); err != nil {
		t.Fatalf("login after restart: %v", err)
	} else {
		conn.Close(ctx)
	}

	// A second handle on the same folder (an emulator restarted while the
	// postmaster kept running) adopts the postmaster instead of failing.
	c2, err := New(dir, c.Port(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Start(); err != nil || c2.PID() != c.PID() {
		t.Fatalf("adopt: err=%v pid %d vs %d", err, c2.PID(), c.PID())
	}

	if err := c.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("folder still there after Remove: %v", err)
	}
	if c.Running() {
		t.Fatal("running after Remove")
	}
}

// TestClusterLongPath checks the socket falls back to a short folder when
// the cluster folder is too deep for a unix socket path.
func TestClusterLongPath(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	v, _ := SCRAMVerifier("long-path-pass1")
	c := newTestCluster(t, dir, Bootstrap{MasterUser: "master", MasterPassword: v})
	c.mu.Lock()
	sock, tmp := c.sock.Path, c.sock.Temp
	c.mu.Unlock()
	if !tmp || len(sock) > maxSocketDirLen {
		t.Fatalf("socket folder %q (temp %v)", sock, tmp)
	}
	conn, err := c.AdminConn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	conn.Close(context.Background())
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("temp socket folder %s left after Stop", sock)
	}
}

// TestClusterPortMoves checks Start picks another port when the recorded
// one was taken while the cluster was down.
func TestClusterPortMoves(t *testing.T) {
	v, _ := SCRAMVerifier("port-pass-1")
	c := newTestCluster(t, filepath.Join(t.TempDir(), "c"), Bootstrap{MasterUser: "m", MasterPassword: v, DBName: "postgres"})
	// DBName "postgres" exists already: Init hands it to the master.
	conn, err := c.AdminConn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var owner string
	err = conn.QueryRow(context.Background(), `SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'postgres'`).Scan(&owner)
	conn.Close(context.Background())
	if err != nil || owner != "m" {
		t.Fatalf("owner of postgres = %q, %v", owner, err)
	}
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	old := c.Port()
	ln, err := listenOn(old)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if c.Port() == old {
		t.Fatalf("port did not move from %d", old)
	}
	if conn, err := login(context.Background(), c.Port(), "m", "port-pass-1", "postgres"); err != nil {
		t.Fatal(err)
	} else {
		conn.Close(context.Background())
	}
}

func TestQuoteLiteral(t *testing.T) {
	for in, want := range map[string]string{`a`: `'a'`, `it's`: `'it''s'`, `back\slash`: `'back\slash'`, `''`: `''''''`} {
		if got, err := QuoteLiteral(in); err != nil || got != want {
			t.Errorf("QuoteLiteral(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := QuoteLiteral("a\x00b"); err == nil {
		t.Error("NUL accepted")
	}
	if got := Ident(`we"ird`); got != `"we""ird"` {
		t.Errorf("Ident = %s", got)
	}
}

func TestSCRAMVerifierFormat(t *testing.T) {
	v, err := SCRAMVerifier("pw")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(v, "SCRAM-SHA-256$"+strconv.Itoa(scramIterations)+":") || strings.Count(v, "$") != 2 {
		t.Fatalf("verifier %q", v)
	}
	if _, err := SCRAMVerifier("pässword"); err == nil {
		t.Fatal("non-ASCII accepted")
	}
}

func TestFindBinDir(t *testing.T) {
	dir, err := FindBinDir("")
	if err != nil {
		t.Fatal(err)
	}
	if !hasServerBinaries(dir) {
		t.Fatalf("%s lacks binaries", dir)
	}
	if _, err := FindBinDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "make postgres") {
		t.Fatalf("bad explicit dir: %v", err)
	}
	t.Setenv(BinDirEnv, dir)
	if got, err := FindBinDir(""); err != nil || got != dir {
		t.Fatalf("env: %q %v", got, err)
	}
	v, err := Version(dir)
	if err != nil || !strings.Contains(v, ".") && len(v) < 2 {
		t.Fatalf("version %q %v", v, err)
	}
}
