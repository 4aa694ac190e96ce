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
	if s.Port != 6432 || s.DBName != "postgres" || s.effectiveSSLMode() != "require" {
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
		"127.0.0.1": "disable", "localhost": "disable", "::1": "disable", "/var/run/postgresql": "disable",
		"db.example.com": "require", "10.0.0.5": "require",
	} {
		if got := (DBSecret{Host: host}).effectiveSSLMode(); got != want {
			t.Errorf("%s: sslmode %s, want %s", host, got, want)
		}
	}
	if got := (DBSecret{Host: "127.0.0.1", SSLMode: "verify-full"}).effectiveSSLMode(); got != "verify-full" {
		t.Errorf("explicit sslmode ignored: %s", got)
	}
}

func TestConnConfigTLS(t *testing.T) {
	base := DBSecret{Host: "db.example.com", Port: 5432, DBName: "app", Username: "u", Password: "p"}
	cfg, err := base.connConfig("x", 0)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSConfig == nil || !cfg.TLSConfig.InsecureSkipVerify || len(cfg.Fallbacks) != 0 {
		t.Fatalf("remote default must be TLS (require) without fall-backs: %+v", cfg.TLSConfig)
	}
	full := base
	full.SSLMode = "verify-full"
	cfg, err = full.connConfig("x", 0)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSConfig == nil || cfg.TLSConfig.InsecureSkipVerify || cfg.TLSConfig.ServerName != "db.example.com" {
		t.Fatalf("verify-full must check the host name: %+v", cfg.TLSConfig)
	}
	local := base
	local.Host = "127.0.0.1"
	cfg, err = local.connConfig("x", 0)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSConfig != nil || len(cfg.Fallbacks) != 0 || cfg.Password != "p" {
		t.Fatalf("loopback default is plaintext, once: %+v", cfg.TLSConfig)
	}
	bad := base
	bad.SSLMode, bad.SSLRootCert = "verify-ca", "-----BEGIN CERTIFICATE-----\nnot a cert\n-----END CERTIFICATE-----\n"
	if _, err := bad.connConfig("x", 0); err == nil {
		t.Fatal("a bad sslrootcert must be refused")
	} else if typ, _ := appErrType(t, err); typ != ErrMalformedSecret {
		t.Fatalf("type %s", typ)
	}
}
