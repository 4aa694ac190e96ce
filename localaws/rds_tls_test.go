package localaws

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// tlsLogin logs in with sslmode (and the CA bundle file for the verify
// modes), to host instead of the endpoint's address when host is set.
func tlsLogin(t testing.TB, endpoint *rdstypes.Endpoint, sslmode, bundle, host, user, password string) error {
	t.Helper()
	if host == "" {
		host = aws.ToString(endpoint.Address)
	}
	// The host goes in the string: pgx makes no TLS configuration for the
	// unix socket it would default to.
	conn := fmt.Sprintf("host=%s port=%d connect_timeout=10 dbname=postgres sslmode=%s", host, aws.ToInt32(endpoint.Port), sslmode)
	if bundle != "" {
		conn += " sslrootcert=" + bundle
	}
	cfg, err := pgx.ParseConfig(conn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.User, cfg.Password, cfg.Fallbacks = user, password, nil
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err == nil {
		c.Close(ctx)
	}
	return err
}

// TestRDSServesTLSLikeRDS: every instance serves a certificate from the
// data folder's CA for 127.0.0.1 and its own DNS name; rds.force_ssl
// (default 1) refuses plaintext; a parameter group can turn it off and on
// again, taking effect for new logins at once; the CA outlives a restart.
func TestRDSServesTLSLikeRDS(t *testing.T) {
	dataDir := t.TempDir()
	srv, c := startRDSServer(t, Options{DataDir: dataDir})
	const user, pw = "master", "tls-test-password-1"
	db := createWithPassword(t, c, "tls1", user, pw)
	bundle := filepath.Join(dataDir, CABundleFile)

	t.Run("the bundle is a file and an endpoint", func(t *testing.T) {
		file, err := os.ReadFile(bundle)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(srv.URL() + "/_localaws/rds/ca.pem")
		if err != nil {
			t.Fatal(err)
		}
		served, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !bytes.Equal(file, served) || !bytes.Equal(file, srv.RDSCABundle()) {
			t.Fatalf("GET ca.pem: %d, %d bytes; file %d bytes", resp.StatusCode, len(served), len(file))
		}
	})
	t.Run("plaintext is refused while force_ssl is 1", func(t *testing.T) {
		err := tlsLogin(t, db.Endpoint, "disable", "", "", user, pw)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "28000" || !strings.Contains(pgErr.Message, "no encryption") {
			t.Fatalf("plaintext login: %v, want pg_hba.conf's rejection without encryption", err)
		}
	})
	t.Run("verify-full passes for the address and the DNS name, fails elsewhere", func(t *testing.T) {
		if err := tlsLogin(t, db.Endpoint, "verify-full", bundle, "", user, pw); err != nil {
			t.Fatalf("verify-full to 127.0.0.1: %v", err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(srv.RDSCABundle())
		cert := serverCert(t, db.Endpoint)
		if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: srv.InstanceDNSName("tls1")}); err != nil {
			t.Fatalf("the certificate is not valid for the instance's name: %v", err)
		}
		err := tlsLogin(t, db.Endpoint, "verify-full", bundle, "localhost", user, pw)
		var hostErr x509.HostnameError
		if !errors.As(err, &hostErr) {
			t.Fatalf("verify-full to localhost: %v, want a host name error", err)
		}
	})
	t.Run("another CA is refused", func(t *testing.T) {
		other, _, err := newCA()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "other.pem")
		if err := os.WriteFile(path, other.certPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		err = tlsLogin(t, db.Endpoint, "verify-ca", path, "", user, pw)
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Fatalf("verify-ca with another CA: %v, want unknown authority", err)
		}
	})
	t.Run("a parameter group turns force_ssl off and on", func(t *testing.T) {
		ctx := rdsCtx(t)
		if _, err := c.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("no-tls"),
			DBParameterGroupFamily: aws.String(srv.rds.family()), Description: aws.String("plaintext allowed")}); err != nil {
			t.Fatal(err)
		}
		setForceSSL := func(v string) {
			if _, err := c.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String("no-tls"),
				Parameters: []rdstypes.Parameter{{ParameterName: aws.String("rds.force_ssl"), ParameterValue: aws.String(v), ApplyMethod: rdstypes.ApplyMethodImmediate}}}); err != nil {
				t.Fatal(err)
			}
		}
		setForceSSL("0")
		if _, err := c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("tls1"),
			DBParameterGroupName: aws.String("no-tls"), ApplyImmediately: aws.Bool(true)}); err != nil {
			t.Fatal(err)
		}
		if got := aws.ToString(describeOne(t, c, "tls1").DBParameterGroups[0].DBParameterGroupName); got != "no-tls" {
			t.Fatalf("instance's parameter group %q", got)
		}
		if err := tlsLogin(t, db.Endpoint, "disable", "", "", user, pw); err != nil {
			t.Fatalf("plaintext with force_ssl 0: %v", err)
		}
		setForceSSL("1")
		if err := tlsLogin(t, db.Endpoint, "disable", "", "", user, pw); err == nil {
			t.Fatal("plaintext accepted after force_ssl went back to 1")
		}
		_, err := c.DeleteDBParameterGroup(ctx, &rds.DeleteDBParameterGroupInput{DBParameterGroupName: aws.String("no-tls")})
		wantAPIError(t, err, "InvalidDBParameterGroupState", 400)
		_, err = c.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String("no-tls"),
			Parameters: []rdstypes.Parameter{{ParameterName: aws.String("rds.force_ssl"), ParameterValue: aws.String("2")}}})
		wantAPIError(t, err, "InvalidParameterValue", 400)
		_, err = c.ModifyDBInstance(ctx, &rds.ModifyDBInstanceInput{DBInstanceIdentifier: aws.String("tls1"), DBParameterGroupName: aws.String("nope")})
		wantAPIError(t, err, "DBParameterGroupNotFound", 404)
	})
	t.Run("the CA outlives a restart", func(t *testing.T) {
		before := srv.RDSCABundle()
		closeRDSServer(t, srv)
		again, c2 := startRDSServer(t, Options{DataDir: dataDir})
		if !bytes.Equal(before, again.RDSCABundle()) {
			t.Fatal("a restart made a new CA")
		}
		db := waitAvailable(t, c2, "tls1")
		if err := tlsLogin(t, db.Endpoint, "verify-full", bundle, "", user, pw); err != nil {
			t.Fatalf("verify-full after restart: %v", err)
		}
		if err := tlsLogin(t, db.Endpoint, "disable", "", "", user, pw); err == nil {
			t.Fatal("the parameter group's force_ssl=1 was lost by the restart")
		}
	})
}

// serverCert is the certificate an instance presents.
func serverCert(t *testing.T, endpoint *rdstypes.Endpoint) *x509.Certificate {
	t.Helper()
	var got *x509.Certificate
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d connect_timeout=10 dbname=postgres sslmode=require user=nobody password=x",
		aws.ToString(endpoint.Address), aws.ToInt32(endpoint.Port)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Fallbacks = nil
	cfg.TLSConfig.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
		got, err = x509.ParseCertificate(raw[0])
		return err
	}
	ctx := rdsCtx(t)
	if conn, err := pgx.ConnectConfig(ctx, cfg); err == nil {
		conn.Close(ctx)
	}
	if got == nil {
		t.Fatal("no certificate seen")
	}
	return got
}

// BenchmarkRDSLogin measures what TLS adds to a fresh login (connect,
// SCRAM, close) on this machine: verify-full against the CA bundle, with
// channel binding, beside plaintext with rds.force_ssl turned off.
//
//	go test ./localaws/ -run '^$' -bench BenchmarkRDSLogin -benchtime 200x
func BenchmarkRDSLogin(b *testing.B) {
	dataDir := b.TempDir()
	opts := Options{DataDir: dataDir, Addr: "127.0.0.1:0"}
	srv, err := New(opts)
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Start(); err != nil {
		b.Fatal(err)
	}
	c := newRDSTestClient(srv.URL())
	ctx := context.Background()
	if _, err := c.CreateDBParameterGroup(ctx, &rds.CreateDBParameterGroupInput{DBParameterGroupName: aws.String("plain"),
		DBParameterGroupFamily: aws.String(srv.rds.family()), Description: aws.String("bench")}); err != nil {
		b.Fatal(err)
	}
	if _, err := c.ModifyDBParameterGroup(ctx, &rds.ModifyDBParameterGroupInput{DBParameterGroupName: aws.String("plain"),
		Parameters: []rdstypes.Parameter{{ParameterName: aws.String(paramForceSSL), ParameterValue: aws.String("0")}}}); err != nil {
		b.Fatal(err)
	}
	const user, pw = "master", "bench-password-1"
	if _, err := c.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("bench"),
		DBInstanceClass: aws.String("db.t4g.micro"), Engine: aws.String("postgres"), MasterUsername: aws.String(user),
		MasterUserPassword: aws.String(pw), DBParameterGroupName: aws.String("plain")}); err != nil {
		b.Fatal(err)
	}
	var db rdstypes.DBInstance
	for db.Endpoint == nil || aws.ToString(db.DBInstanceStatus) != "available" {
		time.Sleep(100 * time.Millisecond)
		out, err := c.DescribeDBInstances(ctx, &rds.DescribeDBInstancesInput{DBInstanceIdentifier: aws.String("bench")})
		if err != nil {
			b.Fatal(err)
		}
		db = out.DBInstances[0]
	}
	bundle := filepath.Join(dataDir, CABundleFile)
	for _, mode := range []string{"disable", "verify-full"} {
		b.Run(mode, func(b *testing.B) {
			for b.Loop() {
				if err := tlsLogin(b, db.Endpoint, mode, map[string]string{"verify-full": bundle}[mode], "", user, pw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestRDSCAIsKeptOrRefused: the CA is made once; one whose key is gone
// or is not the certificate's is refused, never replaced behind the
// clients' backs; a key left without a bundle (a creation that died) is
// replaced.
func TestRDSCAIsKeptOrRefused(t *testing.T) {
	dir := t.TempDir()
	first, err := loadOrCreateCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, err := loadOrCreateCA(dir)
	if err != nil || !bytes.Equal(first.certPEM, again.certPEM) {
		t.Fatalf("the CA changed on reload: %v", err)
	}
	keyPath, bundlePath := filepath.Join(dir, caKeyFile), filepath.Join(dir, CABundleFile)
	key, _ := os.ReadFile(keyPath)
	_, otherKey, err := newCA()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyPath, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: otherKey}), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateCA(dir); err == nil || !strings.Contains(err.Error(), "not the certificate's") {
		t.Fatalf("a foreign key: %v", err)
	}
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrCreateCA(dir); err == nil || !strings.Contains(err.Error(), "lost its key") {
		t.Fatalf("a bundle without its key: %v", err)
	}
	if b, _ := os.ReadFile(bundlePath); !bytes.Equal(b, first.certPEM) {
		t.Fatal("the bundle was replaced")
	}
	if err := os.WriteFile(keyPath, key, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(bundlePath); err != nil {
		t.Fatal(err)
	}
	if made, err := loadOrCreateCA(dir); err != nil || bytes.Equal(made.certPEM, first.certPEM) {
		t.Fatalf("a key without a bundle must give a new CA: %v", err)
	}
}
