package mycluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"database/sql"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credstage/credstage/localaws/internal/dbhost"
	"github.com/go-sql-driver/mysql"
)

// testCert is a self-signed certificate for 127.0.0.1 and the pool that
// trusts it.
func testCert(t *testing.T) (certPEM, keyPEM []byte, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), pool
}

// login opens a TCP session and runs a query; tlsCfg nil is plaintext.
func login(ctx context.Context, port int, user, password, db string, tlsCfg *tls.Config) (*sql.DB, error) {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User, cfg.Passwd, cfg.DBName = "tcp", "127.0.0.1:"+strconv.Itoa(port), user, password, db
	cfg.Timeout = 5 * time.Second
	cfg.TLS = tlsCfg
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	sdb := sql.OpenDB(connector)
	if err := sdb.PingContext(ctx); err != nil {
		sdb.Close()
		return nil, err
	}
	return sdb, nil
}

func mysqlErrno(err error) uint16 {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number
	}
	return 0
}

// TestCluster runs one server through its life in a folder deep enough to
// need the short socket folder: Init, TLS and plaintext logins, ForceSSL,
// SetPassword, a second handle adopting it, Stop and Start keeping data,
// Remove.
func TestCluster(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	deep := filepath.Join(t.TempDir(), strings.Repeat("d", 60), strings.Repeat("e", 60))
	certPEM, keyPEM, pool := testCert(t)
	tlsCfg := &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12}
	port, err := dbhost.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(deep, port, Options{Security: Security{CertPEM: certPEM, KeyPEM: keyPEM}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Stop() })
	if err := c.Init(ctx, Bootstrap{MasterUser: "admin", MasterPasswordHash: NativePasswordHash("First-Pass-1"), DBName: "app"}); err != nil {
		t.Fatal(err)
	}
	if !c.Initialized() || !c.Running() || c.PID() == 0 {
		t.Fatalf("after Init: initialized %v running %v pid %d", c.Initialized(), c.Running(), c.PID())
	}
	if !strings.HasPrefix(c.sock.Path, os.TempDir()) && !strings.HasPrefix(c.sock.Path, "/tmp") {
		t.Fatalf("socket folder %s: want a short one under /tmp", c.sock.Path)
	}

	db, err := login(ctx, c.Port(), "admin", "First-Pass-1", "app", tlsCfg)
	if err != nil {
		t.Fatalf("TLS login: %v", err)
	}
	var name, cipher string
	if err := db.QueryRowContext(ctx, "SHOW SESSION STATUS LIKE 'Ssl_cipher'").Scan(&name, &cipher); err != nil || cipher == "" {
		t.Fatalf("Ssl_cipher %q, %v", cipher, err)
	}
	var grants string
	if err := db.QueryRowContext(ctx, "SHOW GRANTS").Scan(&grants); err != nil || !strings.Contains(grants, "ALL PRIVILEGES ON *.*") || !strings.Contains(grants, "WITH GRANT OPTION") {
		t.Fatalf("grants %q, %v", grants, err)
	}
	if _, err := db.ExecContext(ctx, "CREATE TABLE kept (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := login(ctx, c.Port(), "root", "", "", tlsCfg); mysqlErrno(err) != 1045 {
		t.Fatalf("root over TCP: %v, want error 1045", err)
	}
	plain, err := login(ctx, c.Port(), "admin", "First-Pass-1", "app", nil)
	if err != nil {
		t.Fatalf("plaintext login without ForceSSL: %v", err)
	}
	plain.Close()

	if err := c.SetSecurity(Security{CertPEM: certPEM, KeyPEM: keyPEM, ForceSSL: true}); err != nil {
		t.Fatal(err)
	}
	if plain, err := login(ctx, c.Port(), "admin", "First-Pass-1", "app", nil); err == nil {
		plain.Close()
		t.Fatal("plaintext login with ForceSSL succeeded")
	}

	if err := c.SetPassword(ctx, "admin", NativePasswordHash("Second-Pass-2")); err != nil {
		t.Fatal(err)
	}
	if _, err := login(ctx, c.Port(), "admin", "First-Pass-1", "app", tlsCfg); mysqlErrno(err) != 1045 {
		t.Fatalf("old password: %v, want error 1045", err)
	}
	if err := c.SetPassword(ctx, "admin", "Second-Pass-2"); err == nil {
		t.Fatal("SetPassword took a plaintext password")
	}

	// A second handle, as after an emulator restart, adopts the server.
	pid := c.PID()
	c2, err := New(deep, port, Options{Security: Security{CertPEM: certPEM, KeyPEM: keyPEM, ForceSSL: true}})
	if err != nil {
		t.Fatal(err)
	}
	if err := c2.Start(); err != nil || c2.PID() != pid {
		t.Fatalf("adopt: %v, pid %d want %d", err, c2.PID(), pid)
	}
	if err := c2.Stop(); err != nil {
		t.Fatal(err)
	}
	if c.Running() || !dbhost.PortFree(port) {
		t.Fatalf("after Stop: running %v, port free %v", c.Running(), dbhost.PortFree(port))
	}

	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	db, err = login(ctx, c.Port(), "admin", "Second-Pass-2", "app", tlsCfg)
	if err != nil {
		t.Fatalf("login after restart: %v", err)
	}
	if _, err := db.ExecContext(ctx, "INSERT INTO kept VALUES (1)"); err != nil {
		t.Fatalf("table lost over a restart: %v", err)
	}
	db.Close()
	if plain, err := login(ctx, c.Port(), "admin", "Second-Pass-2", "app", nil); err == nil {
		plain.Close()
		t.Fatal("ForceSSL lost over a restart")
	}

	sock := c.sock.Path
	if err := c.Remove(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{deep, sock} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s left after Remove (%v)", p, err)
		}
	}
}

func TestNativePasswordHash(t *testing.T) {
	// MariaDB: SELECT PASSWORD('password').
	if got, want := NativePasswordHash("password"), "*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19"; got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}
