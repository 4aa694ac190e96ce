package pgsecret

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/credstage/credstage/client/secretcache"
)

// versions is a fake Secrets Manager holding one secret's AWSCURRENT and
// AWSPENDING version ids; a version's password is its id.
type versions struct {
	mu               sync.Mutex
	current, pending string
	reads, describes int
	port             int // of the secret's database, 5432 when 0
}

func (v *versions) set(current, pending string) {
	v.mu.Lock()
	v.current, v.pending = current, pending
	v.mu.Unlock()
}

func (v *versions) GetSecretValue(_ context.Context, in *secretsmanager.GetSecretValueInput, _ ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.reads++
	id := v.current
	if aws.ToString(in.VersionStage) == secretcache.StagePending {
		if id = v.pending; id == "" {
			return nil, notFound{}
		}
	}
	host, port := "db", 5432
	if v.port != 0 {
		host, port = "127.0.0.1", v.port
	}
	return &secretsmanager.GetSecretValueOutput{VersionId: aws.String(id),
		SecretString: aws.String(fmt.Sprintf(`{"host":%q,"port":%d,"username":"app","password":%q,"dbname":"orders"}`, host, port, id))}, nil
}

func (v *versions) DescribeSecret(context.Context, *secretsmanager.DescribeSecretInput, ...func(*secretsmanager.Options)) (*secretsmanager.DescribeSecretOutput, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.describes++
	return &secretsmanager.DescribeSecretOutput{VersionIdsToStages: map[string][]string{v.current: {secretcache.StageCurrent}}}, nil
}

type notFound struct{}

func (notFound) Error() string     { return "ResourceNotFoundException" }
func (notFound) ErrorCode() string { return "ResourceNotFoundException" }

// database accepts one password at a time and records the ones tried;
// it refuses the others as pgx reports a refused login.
type database struct {
	mu       sync.Mutex
	accepted string
	tried    []string
	refusal  error
}

func newDatabase(t *testing.T, accepted string) *database {
	return &database{accepted: accepted, refusal: refusedLogin(t)}
}

func (d *database) connect(_ context.Context, s secretcache.Secret) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.tried = append(d.tried, s.Password)
	if s.Password != d.accepted {
		return "", d.refusal
	}
	return "conn as " + s.Password, nil
}

func fast() Options {
	return Options{MinBackoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond, MaxWait: 500 * time.Millisecond}
}

func TestLoginRetriesAsARotationRequires(t *testing.T) {
	cases := map[string]struct {
		setup func(sm *versions, db *database) // after v1 is cached
		later func(sm *versions, db *database) // during the polling, if set
		tried string
	}{
		"rotated since it was cached: the refresh has the new version": {
			setup: func(sm *versions, db *database) { sm.set("v2", ""); db.accepted = "v2" },
			tried: "v1,v2",
		},
		"single-user window: AWSPENDING is already in the database": {
			setup: func(sm *versions, db *database) { sm.set("v1", "v2"); db.accepted = "v2" },
			tried: "v1,v2",
		},
		"AWSCURRENT moves while the client waits": {
			setup: func(sm *versions, db *database) { db.accepted = "v2" },
			later: func(sm *versions, db *database) { sm.set("v2", "") },
			tried: "v1,v2",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			sm, db := &versions{current: "v1"}, newDatabase(t, "v1")
			cache := secretcache.New(sm, secretcache.Options{CheckInterval: time.Hour})
			if _, err := login(context.Background(), cache, "app", fast(), db.connect); err != nil {
				t.Fatal(err)
			}
			db.tried = nil
			tc.setup(sm, db)
			if tc.later != nil {
				time.AfterFunc(100*time.Millisecond, func() { tc.later(sm, db) })
			}
			conn, err := login(context.Background(), cache, "app", fast(), db.connect)
			if err != nil || conn != "conn as v2" {
				t.Fatalf("login: %q, %v", conn, err)
			}
			if got := strings.Join(db.tried, ","); got != tc.tried {
				t.Fatalf("passwords tried %s, want %s", got, tc.tried)
			}
		})
	}
}

func TestLoginGivesUpBoundedAndNamesTheSecret(t *testing.T) {
	sm, db := &versions{current: "v1"}, newDatabase(t, "nobody")
	cache := secretcache.New(sm, secretcache.Options{CheckInterval: time.Hour})
	start := time.Now()
	_, err := login(context.Background(), cache, "prod/app", fast(), db.connect)
	if err == nil || !strings.Contains(err.Error(), "prod/app") || !strings.Contains(err.Error(), "still refused") {
		t.Fatalf("want a final refusal naming the secret: %v", err)
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("the server's refusal must stay inspectable: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("gave up after %v, want about MaxWait", took)
	}
	// The same refused version is never tried again, and reads stay few:
	// one per poll would be a describe, not a GetSecretValue.
	if len(db.tried) != 1 || sm.reads > 3 {
		t.Fatalf("tried %v with %d GetSecretValue", db.tried, sm.reads)
	}
}

func TestLoginDoesNotRetryOtherErrors(t *testing.T) {
	sm := &versions{current: "v1"}
	cache := secretcache.New(sm, secretcache.Options{})
	calls := 0
	_, err := login(context.Background(), cache, "app", fast(), func(context.Context, secretcache.Secret) (string, error) {
		calls++
		return "", errors.New("dial tcp: connection refused")
	})
	if err == nil || calls != 1 {
		t.Fatalf("calls %d, err %v", calls, err)
	}
}

func TestLoginDoesNotRetryAStatementRaising28P01(t *testing.T) {
	cache := secretcache.New(&versions{current: "v1"}, secretcache.Options{})
	calls := 0
	_, err := login(context.Background(), cache, "app", fast(), func(context.Context, secretcache.Secret) (string, error) {
		calls++
		return "", &pgconn.PgError{Severity: "ERROR", Code: "28P01", Message: "raised by a function, after the login"}
	})
	if err == nil || calls != 1 {
		t.Fatalf("calls %d, err %v", calls, err)
	}
}

func TestConfigTakesTheSecretAndNeverWritesThePassword(t *testing.T) {
	s := secretcache.Secret{Host: "db.example", Port: 6432, Username: "o'brien", Password: "pw-in-config-only", DBName: "orders", SSLMode: "verify-full"}
	cfg, err := Config(s, Options{ConnString: "sslmode=require connect_timeout=5"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host != "db.example" || cfg.Port != 6432 || cfg.User != "o'brien" || cfg.Database != "orders" || cfg.Password != "pw-in-config-only" {
		t.Fatalf("config %+v", cfg)
	}
	if cfg.TLSConfig == nil || cfg.TLSConfig.InsecureSkipVerify || cfg.TLSConfig.ServerName != "db.example" {
		t.Fatalf("the secret's sslmode verify-full must win: %+v", cfg.TLSConfig)
	}
	s.SSLRootCert = "-----BEGIN CERTIFICATE-----\n..."
	if _, err := Config(s, Options{}); err == nil || strings.Contains(fmt.Sprint(err), "pw-in-config-only") {
		t.Fatalf("inline sslrootcert: %v", err)
	}
}

func TestConfigDefaultsToVerifiedTLSAndSCRAM(t *testing.T) {
	s := secretcache.Secret{Host: "db.example", Port: 5432, Username: "app", Password: "pw", DBName: "orders"}
	cfg, err := Config(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TLSConfig == nil || cfg.TLSConfig.InsecureSkipVerify || cfg.TLSConfig.ServerName != "db.example" || len(cfg.Fallbacks) != 0 {
		t.Fatalf("no sslmode anywhere must mean verify-full without a plaintext fall-back: %+v, %d fall-backs", cfg.TLSConfig, len(cfg.Fallbacks))
	}
	if cfg.RequireAuth != "scram-sha-256" {
		t.Fatalf("require_auth %q, want scram-sha-256", cfg.RequireAuth)
	}
	if cfg, err = Config(s, Options{ConnString: "require_auth=scram-sha-256,md5"}); err != nil || cfg.RequireAuth != "scram-sha-256,md5" {
		t.Fatalf("ConnString must override the default: %v %q", err, cfg.RequireAuth)
	}
}
