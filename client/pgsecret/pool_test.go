package pgsecret

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/credstage/credstage/client/secretcache"
)

// newTestPool is a pool over the fake server, with AWSCURRENT v1 cached
// and accepted.
func newTestPool(t *testing.T, interval time.Duration, configure ...func(*pgxpool.Config)) (*Pool, *versions, *fakeServer) {
	t.Helper()
	db := startFakeServer(t, "v1")
	sm := &versions{current: "v1", port: db.port()}
	cache := secretcache.New(sm, secretcache.Options{CheckInterval: interval})
	o := fast()
	o.ConnString = "sslmode=disable require_auth=password default_query_exec_mode=simple_protocol" // the fake server: plaintext, cleartext password
	p, err := NewPool(context.Background(), cache, "app", o, configure...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p, sm, db
}

// poolMethods are the operations of a Pool that may open a connection,
// each used as an application would.
var poolMethods = map[string]func(context.Context, *Pool) error{
	"Acquire": func(ctx context.Context, p *Pool) error {
		c, err := p.Acquire(ctx)
		if err == nil {
			c.Release()
		}
		return err
	},
	"AcquireFunc": func(ctx context.Context, p *Pool) error {
		return p.AcquireFunc(ctx, func(c *pgxpool.Conn) error { _, err := c.Exec(ctx, "SELECT 1"); return err })
	},
	"Exec": func(ctx context.Context, p *Pool) error { _, err := p.Exec(ctx, "SELECT 1"); return err },
	"Query": func(ctx context.Context, p *Pool) error {
		rows, err := p.Query(ctx, "SELECT 1")
		if err != nil {
			return err
		}
		_, err = pgx.CollectRows(rows, pgx.RowTo[int])
		return err
	},
	"QueryRow": func(ctx context.Context, p *Pool) error {
		var one int
		return p.QueryRow(ctx, "SELECT 1").Scan(&one)
	},
	"SendBatch": func(ctx context.Context, p *Pool) error {
		b := &pgx.Batch{}
		b.Queue("SELECT 1")
		return p.SendBatch(ctx, b).Close()
	},
	"SendBatch beginning a transaction": func(ctx context.Context, p *Pool) error {
		b := &pgx.Batch{}
		b.BeginTx(pgx.TxOptions{})
		b.Queue("SELECT 1")
		br := p.SendBatch(ctx, b)
		tx := br.Tx()
		if err := br.Close(); err != nil {
			return err
		}
		return tx.Commit(ctx)
	},
	"Begin": func(ctx context.Context, p *Pool) error {
		tx, err := p.Begin(ctx)
		if err != nil {
			return err
		}
		return tx.Commit(ctx)
	},
	"BeginTx": func(ctx context.Context, p *Pool) error {
		tx, err := p.BeginTx(ctx, pgx.TxOptions{})
		if err != nil {
			return err
		}
		return tx.Rollback(ctx)
	},
	"CopyFrom": func(ctx context.Context, p *Pool) error {
		_, err := p.CopyFrom(ctx, pgx.Identifier{"t"}, []string{"a"}, pgx.CopyFromRows([][]any{{1}}))
		var pgErr *pgconn.PgError
		if errors.As(err, &pgErr) && pgErr.Code == "0A000" {
			return nil // logged in; the fake server speaks no COPY
		}
		return err
	},
	"Ping": func(ctx context.Context, p *Pool) error { return p.Ping(ctx) },
}

func TestPoolRetriesARefusedLoginInEveryMethod(t *testing.T) {
	for name, use := range poolMethods {
		t.Run(name, func(t *testing.T) {
			p, sm, db := newTestPool(t, time.Hour)
			ctx := context.Background()
			// A rotation since v1 was cached: the database takes v2 only.
			sm.set("v2", "")
			db.accept("v2")
			if err := use(ctx, p); err != nil {
				t.Fatal(err)
			}
			if got := db.logins(); got != "v1,v2" {
				t.Fatalf("passwords tried %s, want v1,v2", got)
			}
			if n := p.Stat().AcquiredConns(); n != 0 {
				t.Fatalf("%d connections still acquired: not given back", n)
			}
			// The connection made is reused, with no new login.
			if err := use(ctx, p); err != nil || db.logins() != "" {
				t.Fatalf("second use: %v", err)
			}
		})
	}
}

func TestPoolTriesPendingInTheSingleUserWindow(t *testing.T) {
	p, sm, db := newTestPool(t, time.Hour)
	sm.set("v1", "v2")
	db.accept("v2")
	if _, err := p.Exec(context.Background(), "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	if got := db.logins(); got != "v1,v2" {
		t.Fatalf("passwords tried %s, want v1,v2", got)
	}
}

func TestPoolDoesNotRunAStatementTwice(t *testing.T) {
	p, _, db := newTestPool(t, time.Hour)
	const q = "SELECT 'raise 28P01'"
	_, err := p.Exec(context.Background(), q)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("want the statement's own error: %v", err)
	}
	if n, logins := db.queryCount(q), db.logins(); n != 1 || logins != "v1" {
		t.Fatalf("the statement ran %d times, logins %q: a statement's 28P01 is no refused login", n, logins)
	}
}

func TestPoolReadsNoSecretOnAnOpenConnection(t *testing.T) {
	p, sm, db := newTestPool(t, time.Millisecond)
	ctx := context.Background()
	if _, err := p.Exec(ctx, "SELECT 1"); err != nil {
		t.Fatal(err)
	}
	sm.mu.Lock()
	calls := sm.reads + sm.describes
	sm.mu.Unlock()
	time.Sleep(5 * time.Millisecond) // the cached value is due for a check
	for range 10 {
		if _, err := p.Exec(ctx, "SELECT 1"); err != nil {
			t.Fatal(err)
		}
	}
	sm.mu.Lock()
	defer sm.mu.Unlock()
	if sm.reads+sm.describes != calls || db.logins() != "v1" {
		t.Fatalf("queries on an open connection called Secrets Manager %d times", sm.reads+sm.describes-calls)
	}
}

func TestPoolGivesUpBoundedAndNamesTheSecret(t *testing.T) {
	p, _, db := newTestPool(t, time.Hour)
	db.accept("nobody")
	start := time.Now()
	_, err := p.Exec(context.Background(), "SELECT 1")
	var pgErr *pgconn.PgError
	if err == nil || !strings.Contains(err.Error(), "app") || !strings.Contains(err.Error(), "still refused") ||
		!errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("want a final refusal naming the secret, the server's error inspectable: %v", err)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("gave up after %v, want about MaxWait", took)
	}
}

func TestNewPoolKeepsItsConfigurationAndNoPassword(t *testing.T) {
	var user string
	var password bool
	p, _, _ := newTestPool(t, time.Hour, func(c *pgxpool.Config) {
		c.MaxConns = 2
		c.BeforeConnect = func(_ context.Context, cc *pgx.ConnConfig) error {
			user, password = cc.User, cc.Password != ""
			return nil
		}
	})
	if err := p.Ping(context.Background()); err != nil {
		t.Fatal(err)
	}
	if user != "app" || !password {
		t.Fatalf("the application's BeforeConnect saw user %q, a password: %v; want the secret's credentials set before it", user, password)
	}
	if cfg := p.Config(); cfg.MaxConns != 2 || cfg.ConnConfig.Password != "" {
		t.Fatalf("config: MaxConns %d, a password: %v", cfg.MaxConns, cfg.ConnConfig.Password != "")
	}
}

// TestPoolCoversPgxpool: every method of pgxpool.Pool has its counterpart,
// so a pgx upgrade that adds a way to open connections cannot bypass the
// retry unnoticed.
func TestPoolCoversPgxpool(t *testing.T) {
	theirs, ours := reflect.TypeFor[*pgxpool.Pool](), reflect.TypeFor[*Pool]()
	for i := range theirs.NumMethod() {
		if name := theirs.Method(i).Name; !hasMethod(ours, name) {
			t.Errorf("pgxpool.Pool has %s, Pool does not: pass it on, under withLogin if it may open a connection", name)
		}
	}
}

func hasMethod(t reflect.Type, name string) bool {
	_, ok := t.MethodByName(name)
	return ok
}
