package activities

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.temporal.io/sdk/temporal"

	"github.com/credstage/credstage/localaws"
)

// TestTLSRefusalsNameTheirCause: with the instance forcing TLS, every way a
// certificate check can fail is refused, non-retryably, with an error
// that says what the certificate was checked against; and a server that
// asks for a cleartext password gets none.
func TestTLSRefusalsNameTheirCause(t *testing.T) {
	st := localStack(t)
	master := st.masterLogin(t)
	// secretID stores s as a new secret.
	secretID := func(t *testing.T, s DBSecret) string {
		t.Helper()
		v := map[string]any{"engine": s.Engine, "host": s.Host, "port": s.Port, "dbname": s.DBName,
			"username": s.Username, "password": s.Password}
		if s.SSLMode != "" {
			v["sslmode"] = s.SSLMode
		}
		if s.SSLRootCert != "" {
			v["sslrootcert"] = s.SSLRootCert
		}
		return st.putSecret(t, fmt.Sprintf("tls/case-%d", userSeq.Add(1)), v)
	}
	mustRefuse := func(t *testing.T, a *Activities, s DBSecret, errType string) *temporal.ApplicationError {
		t.Helper()
		saved := st.acts // exec registers st.acts
		st.acts = a
		defer func() { st.acts = saved }()
		return mustFail(t, st, a.VerifyLogin, LoginCheckInput{SecretID: secretID(t, s)}, errType)
	}
	noBundle := New(st.cfg, Options{})
	defer noBundle.Close()
	base := DBSecret{Engine: "postgres", Host: st.instance.Address, Port: int(st.instance.Port), DBName: stackDB,
		Username: master.Username, Password: master.Password}

	t.Run("verify-full with the bundle logs in", func(t *testing.T) {
		if _, err := st.exec(st.acts.VerifyLogin, LoginCheckInput{SecretID: secretID(t, base)}); err != nil {
			t.Fatalf("default sslmode with localaws's bundle: %v", err)
		}
	})
	cases := []struct {
		name     string
		acts     *Activities
		secret   func(DBSecret) DBSecret
		errType  string
		mentions []string
	}{
		{"no bundle given: the system's roots do not know the RDS CA", noBundle, nil,
			ErrTLSRequired, []string{"system's trusted roots", EnvRDSCABundle, "unknown authority"}},
		{"a certificate from another CA", st.acts, func(s DBSecret) DBSecret {
			s.SSLMode, s.SSLRootCert = "verify-ca", otherCAPEM(t)
			return s
		}, ErrTLSRequired, []string{"sslrootcert", "unknown authority"}},
		{"a host name the certificate does not name", st.acts, func(s DBSecret) DBSecret {
			s.Host = "localhost"
			return s
		}, ErrTLSRequired, []string{`"localhost"`, "verify-full"}},
		{"plaintext to a server that forces TLS", st.acts, func(s DBSecret) DBSecret {
			s.SSLMode = "disable"
			return s
		}, ErrTLSRequired, []string{"rds.force_ssl"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			if tc.secret != nil {
				s = tc.secret(s)
			}
			app := mustRefuse(t, tc.acts, s, tc.errType)
			for _, want := range tc.mentions {
				if !contains(app.Error(), want) {
					t.Errorf("message %q should mention %q", app.Error(), want)
				}
			}
		})
	}
	t.Run("a server asking for a cleartext password gets none", func(t *testing.T) {
		if err := st.srv.SetInstanceHostAuth(stackInstance, localaws.HostAuthPassword); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if err := st.srv.SetInstanceHostAuth(stackInstance, localaws.HostAuthMD5); err != nil {
				t.Fatal(err)
			}
		}()
		app := mustRefuse(t, st.acts, base, ErrAuthMethodRefused)
		if !contains(app.Error(), "cleartext password") || !contains(app.Error(), "none was sent") {
			t.Fatalf("message %q", app.Error())
		}
		// The same server takes the password from a client that sends it.
		cfg := st.connConfig(t, "x", base)
		cfg.RequireAuth = ""
		conn, err := pgx.ConnectConfig(context.Background(), cfg)
		if err != nil {
			t.Fatalf("the server does not really ask for a cleartext password: %v", err)
		}
		conn.Close(context.Background())
	})
	st.assertNoPasswords(t, st.logs.String())
}

// otherCAPEM is a CA certificate that signed nothing localaws serves.
func otherCAPEM(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "some other CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

// TestMD5RoleGetsSCRAMOnFirstRotation: a role whose stored password is
// still an MD5 hash (common on instances upgraded from old PostgreSQL) is
// refused by credstage's login (the server would ask for an MD5 password),
// and its first rotation through the master gives it a SCRAM verifier, so
// it logs in with SCRAM from then on.
func TestMD5RoleGetsSCRAMOnFirstRotation(t *testing.T) {
	st := localStack(t)
	secret := st.newUser(t, StrategySingleUser)
	current := st.secretJSON(t, secret, stageCurrent)
	quoted, err := quoteLiteral(current.Password)
	if err != nil {
		t.Fatal(err)
	}
	master := st.masterLogin(t)
	err = st.acts.db.Login(context.Background(), st.connConfig(t, "master", master), func(q Querier) error {
		if _, err := q.Exec(context.Background(), "SET password_encryption = 'md5'"); err != nil {
			return err
		}
		_, err := q.Exec(context.Background(), "ALTER ROLE "+quoteIdent(current.Username)+" PASSWORD "+quoted)
		return err
	})
	if err != nil {
		t.Fatalf("store an MD5 hash: %v", err)
	}
	app := mustFail(t, st, st.acts.VerifyLogin, LoginCheckInput{SecretID: secret}, ErrAuthMethodRefused)
	if !contains(app.Error(), "MD5") {
		t.Fatalf("message %q", app.Error())
	}
	rotate(t, st, timings{}, secret, StrategySingleUser)
	if _, err := st.exec(st.acts.VerifyLogin, LoginCheckInput{SecretID: secret}); err != nil {
		t.Fatalf("after the first rotation the role must log in with SCRAM: %v", err)
	}
}
