package activities

import (
	"errors"
	"strings"
	"testing"

	"go.temporal.io/sdk/temporal"
)

const testPassword = "s3cr3t-P@ss'word!x"

func appErrType(t *testing.T, err error) (string, bool) {
	t.Helper()
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		t.Fatalf("want an ApplicationError, got %T: %v", err, err)
	}
	return app.Type(), app.NonRetryable()
}

func TestParseAppSecretErrors(t *testing.T) {
	cases := []struct {
		name, value, wantKey string
	}{
		{"not json", `{"password":"` + testPassword + `"`, "not a JSON object"},
		{"array", `["` + testPassword + `"]`, "not a JSON object"},
		{"trailing data", `{"host":"h","username":"u","password":"p"} {"password":"` + testPassword + `"}`, "after its JSON object"},
		{"missing host", `{"username":"u","password":"` + testPassword + `"}`, `"host"`},
		{"missing username", `{"host":"h","password":"` + testPassword + `"}`, `"username"`},
		{"missing password", `{"host":"h","username":"u"}`, `"password"`},
		{"empty password", `{"host":"h","username":"u","password":""}`, `"password"`},
		{"password not a string", `{"host":"h","username":"u","password":12345678}`, `"password" must be a string`},
		{"bad port", `{"host":"h","username":"u","password":"` + testPassword + `","port":"` + testPassword + `"}`, `"port"`},
		{"port out of range", `{"host":"h","username":"u","password":"` + testPassword + `","port":70000}`, `"port"`},
		{"engine", `{"engine":"mysql","host":"h","username":"u","password":"` + testPassword + `"}`, `"engine"`},
		{"sslmode prefer", `{"host":"h","username":"u","password":"` + testPassword + `","sslmode":"prefer"}`, `"sslmode"`},
		{"nul in user", `{"host":"h","username":"u\u0000x","password":"` + testPassword + `"}`, `"username" contains a NUL`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseAppSecret("prod/app/db", tc.value)
			if err == nil {
				t.Fatal("want an error")
			}
			typ, nonRetryable := appErrType(t, err)
			if typ != ErrMalformedSecret || !nonRetryable {
				t.Fatalf("type %s nonRetryable %v, want non-retryable %s", typ, nonRetryable, ErrMalformedSecret)
			}
			msg := err.Error()
			if !strings.Contains(msg, "prod/app/db") || !strings.Contains(msg, tc.wantKey) {
				t.Fatalf("message %q should name the secret and %s", msg, tc.wantKey)
			}
			if strings.Contains(msg, testPassword) || strings.Contains(msg, "12345678") {
				t.Fatalf("message %q leaks a value", msg)
			}
		})
	}
}

func TestParseAppSecretDefaultsAndKeys(t *testing.T) {
	s, err := parseAppSecret("x", `{"engine":"postgres","host":"db.example.com","username":"app","password":"pw","port":"6432","extra":{"a":1}}`)
	if err != nil {
		t.Fatal(err)
	}
	if s.Port != 6432 || s.DBName != "postgres" || s.effectiveSSLMode() != "verify-full" {
		t.Fatalf("got port %d db %q sslmode %q", s.Port, s.DBName, s.effectiveSSLMode())
	}
	if got := s.String() + s.GoString(); strings.Contains(got, "pw\"") || strings.Contains(got, "password") {
		t.Fatalf("String leaks: %s", got)
	}
	out, err := s.withCredentials("app_clone", "new-pw")
	if err != nil {
		t.Fatal(err)
	}
	again, err := parseAppSecret("x", out)
	if err != nil {
		t.Fatal(err)
	}
	if again.Username != "app_clone" || again.Password != "new-pw" || again.Port != 6432 || string(again.raw["extra"]) != `{"a":1}` {
		t.Fatalf("withCredentials lost something: %s", out)
	}
}

func TestEffectiveSSLMode(t *testing.T) {
	for host, want := range map[string]string{
		"127.0.0.1": "verify-full", "localhost": "verify-full", "::1": "verify-full",
		"db.example.com": "verify-full", "10.0.0.5": "verify-full",
		"/var/run/postgresql": "disable", // a unix socket: PostgreSQL has no TLS there
	} {
		if got := (DBSecret{Host: host}).effectiveSSLMode(); got != want {
			t.Errorf("%s: sslmode %s, want %s", host, got, want)
		}
	}
	if got := (DBSecret{Host: "127.0.0.1", SSLMode: "require"}).effectiveSSLMode(); got != "require" {
		t.Errorf("explicit sslmode ignored: %s", got)
	}
}

func TestConnConfigTLS(t *testing.T) {
	a := &Activities{}
	base := DBSecret{Host: "db.example.com", Port: 5432, DBName: "app", Username: "u", Password: "p"}
	cfg, err := a.connConfig("x", base)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSConfig == nil || cfg.TLSConfig.VerifyConnection == nil || cfg.TLSConfig.ServerName != "db.example.com" || len(cfg.Fallbacks) != 0 {
		t.Fatalf("the default must be TLS checked in full, without fall-backs: %+v", cfg.TLSConfig)
	}
	if cfg.RequireAuth != "scram-sha-256" || cfg.ChannelBinding != "prefer" {
		t.Fatalf("passwords must go only through SCRAM: require_auth %q channel_binding %q", cfg.RequireAuth, cfg.ChannelBinding)
	}
	req := base
	req.SSLMode = "require"
	if cfg, err = a.connConfig("x", req); err != nil {
		t.Fatal(err)
	}
	if cfg.TLSConfig == nil || cfg.TLSConfig.VerifyConnection != nil || !cfg.TLSConfig.InsecureSkipVerify {
		t.Fatalf("an explicit require encrypts without checking: %+v", cfg.TLSConfig)
	}
	off := base
	off.SSLMode = "disable"
	if cfg, err = a.connConfig("x", off); err != nil {
		t.Fatal(err)
	}
	if cfg.TLSConfig != nil || len(cfg.Fallbacks) != 0 || cfg.RequireAuth != "scram-sha-256" {
		t.Fatalf("disable is plaintext, once, and still SCRAM only: %+v", cfg.TLSConfig)
	}
	bad := base
	bad.SSLMode, bad.SSLRootCert = "verify-ca", "-----BEGIN CERTIFICATE-----\nnot a cert\n-----END CERTIFICATE-----\n"
	if _, err := a.connConfig("x", bad); err == nil {
		t.Fatal("a bad sslrootcert must be refused")
	} else if typ, _ := appErrType(t, err); typ != ErrMalformedSecret {
		t.Fatalf("type %s", typ)
	}
}
