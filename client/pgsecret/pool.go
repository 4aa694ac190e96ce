package pgsecret

import (
	"context"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/credstage/credstage/client/secretcache"
)

// Pool is a pgxpool.Pool whose new connections log in with the cached
// credentials of a secret and retry a refused password as Connect does.
//
// pgxpool opens connections itself, with no hook to retry a refused login
// (BeforeConnect runs before it), so the retry is around the operations
// that may open one: Acquire, AcquireFunc, Exec, Query, QueryRow,
// SendBatch, Begin, BeginTx, CopyFrom and Ping. A refused login is the
// failure of a connection attempt, before anything was sent on it, so
// running the operation again never runs a statement twice. The version
// to try reaches the pool's BeforeConnect in the context, which pgxpool
// hands to it. A query on an open connection reads no secret: a Secrets
// Manager outage never slows the connections already made.
//
// The pool is not embedded, so that no method can bypass the retry; the
// others of pgxpool.Pool (Close, Stat, Reset, Config, AcquireAllIdle) are
// passed on.
type Pool struct {
	pool     *pgxpool.Pool
	cache    *secretcache.Cache
	secretID string
	opts     Options
}

// NewPool makes the pool of secretID. It reads the secret once, so a
// wrong secret id fails here, and then connects as pgxpool.NewWithConfig
// does: lazily, or in the background for MinConns. Options.ConnString may
// hold pgxpool's pool_* settings (pool_max_conns=10), which only NewPool
// understands: Connect would send them to the server. configure may set
// the rest of the pool's configuration (a BeforeConnect set there runs
// after the one that sets the credentials). The configuration never holds
// a password: each connection gets its own.
func NewPool(ctx context.Context, cache *secretcache.Cache, secretID string, o Options, configure ...func(*pgxpool.Config)) (*Pool, error) {
	s, err := cache.Get(ctx, secretID)
	if err != nil {
		return nil, err
	}
	settings, err := connSettings(s, o)
	if err != nil {
		return nil, err
	}
	cfg, err := pgxpool.ParseConfig(settings)
	if err != nil {
		return nil, fmt.Errorf("pgsecret: connection settings of %s: %w", s, err)
	}
	for _, f := range configure {
		f(cfg)
	}
	p := &Pool{cache: cache, secretID: secretID, opts: o}
	theirs := cfg.BeforeConnect
	cfg.BeforeConnect = func(ctx context.Context, cc *pgx.ConnConfig) error {
		if err := p.beforeConnect(ctx, cc); err != nil {
			return err
		}
		if theirs != nil {
			return theirs(ctx, cc)
		}
		return nil
	}
	if p.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, err
	}
	return p, nil
}

// attempt is one run of a pool operation, carried in its context to the
// pool's BeforeConnect: the version to log in with (nil: the cached
// AWSCURRENT), and back from it the version a first run used, which the
// retry must know when that login was refused.
type attempt struct {
	version *secretcache.Secret
	mu      sync.Mutex
	used    string
}

type attemptKey struct{}

// beforeConnect sets the credentials of a new connection. A connection
// the pool opens on its own (MinConns, after a health check) has no
// attempt in its context and takes the cached AWSCURRENT.
func (p *Pool) beforeConnect(ctx context.Context, cc *pgx.ConnConfig) error {
	a, _ := ctx.Value(attemptKey{}).(*attempt)
	var s secretcache.Secret
	if a != nil && a.version != nil {
		s = *a.version
	} else {
		var err error
		if s, err = p.cache.Get(ctx, p.secretID); err != nil {
			return err
		}
		if a != nil {
			a.mu.Lock()
			a.used = s.VersionID
			a.mu.Unlock()
		}
	}
	login, err := Config(s, p.opts)
	if err != nil {
		return err
	}
	// What a secret decides; the rest (pool_* settings, a Tracer, the
	// query exec mode...) stays as configured.
	cc.Host, cc.Port, cc.Database, cc.User, cc.Password = login.Host, login.Port, login.Database, login.User, login.Password
	cc.TLSConfig, cc.Fallbacks = login.TLSConfig, login.Fallbacks
	return nil
}

// withLogin runs op, and runs it again as Connect retries a login when a
// connection it opened was refused its password.
func withLogin[T any](ctx context.Context, p *Pool, op func(context.Context) (T, error)) (T, error) {
	first := &attempt{}
	out, err := op(context.WithValue(ctx, attemptKey{}, first))
	if !refusedPassword(err) {
		return out, err
	}
	first.mu.Lock()
	refused := first.used
	first.mu.Unlock()
	return retryRefused(ctx, p.cache, p.secretID, p.opts, refused, err, func(ctx context.Context, s secretcache.Secret) (T, error) {
		return op(context.WithValue(ctx, attemptKey{}, &attempt{version: &s}))
	})
}

// Acquire is pgxpool.Pool.Acquire.
func (p *Pool) Acquire(ctx context.Context) (*pgxpool.Conn, error) {
	return withLogin(ctx, p, p.pool.Acquire)
}

// AcquireFunc is pgxpool.Pool.AcquireFunc: f runs once, on a connection
// whose login succeeded.
func (p *Pool) AcquireFunc(ctx context.Context, f func(*pgxpool.Conn) error) error {
	c, err := p.Acquire(ctx)
	if err != nil {
		return err
	}
	defer c.Release()
	return f(c)
}

// Exec is pgxpool.Pool.Exec.
func (p *Pool) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return withLogin(ctx, p, func(ctx context.Context) (pgconn.CommandTag, error) { return p.pool.Exec(ctx, sql, args...) })
}

// Query is pgxpool.Pool.Query.
func (p *Pool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return withLogin(ctx, p, func(ctx context.Context) (pgx.Rows, error) { return p.pool.Query(ctx, sql, args...) })
}

// QueryRow is pgxpool.Pool.QueryRow. pgxpool defers a failed acquire's
// error to Scan, too late to retry, so the connection is acquired here.
func (p *Pool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c, err := p.Acquire(ctx)
	if err != nil {
		return errRow{err}
	}
	return &releasingRow{row: c.QueryRow(ctx, sql, args...), c: c}
}

// SendBatch is pgxpool.Pool.SendBatch, acquiring here as QueryRow does.
func (p *Pool) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	c, err := p.Acquire(ctx)
	if err != nil {
		return pgx.FailedBatchResults(b, err)
	}
	br := c.SendBatch(ctx, b)
	if tx := br.Tx(); tx != nil {
		return &releasingBatch{BatchResults: br, tx: &releasingTx{Tx: tx, c: c}}
	}
	return &releasingBatch{BatchResults: br, c: c}
}

// Begin is pgxpool.Pool.Begin.
func (p *Pool) Begin(ctx context.Context) (pgx.Tx, error) {
	return p.BeginTx(ctx, pgx.TxOptions{})
}

// BeginTx is pgxpool.Pool.BeginTx.
func (p *Pool) BeginTx(ctx context.Context, txOptions pgx.TxOptions) (pgx.Tx, error) {
	return withLogin(ctx, p, func(ctx context.Context) (pgx.Tx, error) { return p.pool.BeginTx(ctx, txOptions) })
}

// CopyFrom is pgxpool.Pool.CopyFrom.
func (p *Pool) CopyFrom(ctx context.Context, tableName pgx.Identifier, columnNames []string, rowSrc pgx.CopyFromSource) (int64, error) {
	return withLogin(ctx, p, func(ctx context.Context) (int64, error) {
		return p.pool.CopyFrom(ctx, tableName, columnNames, rowSrc)
	})
}

// Ping is pgxpool.Pool.Ping.
func (p *Pool) Ping(ctx context.Context) error {
	_, err := withLogin(ctx, p, func(ctx context.Context) (struct{}, error) { return struct{}{}, p.pool.Ping(ctx) })
	return err
}

// AcquireAllIdle is pgxpool.Pool.AcquireAllIdle, which opens nothing.
func (p *Pool) AcquireAllIdle(ctx context.Context) []*pgxpool.Conn { return p.pool.AcquireAllIdle(ctx) }

// Close is pgxpool.Pool.Close.
func (p *Pool) Close() { p.pool.Close() }

// Reset is pgxpool.Pool.Reset.
func (p *Pool) Reset() { p.pool.Reset() }

// Stat is pgxpool.Pool.Stat.
func (p *Pool) Stat() *pgxpool.Stat { return p.pool.Stat() }

// Config is pgxpool.Pool.Config: it holds no password.
func (p *Pool) Config() *pgxpool.Config { return p.pool.Config() }

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }

// releasingRow gives its connection back to the pool once scanned.
type releasingRow struct {
	row pgx.Row
	c   *pgxpool.Conn
}

func (r *releasingRow) Scan(dest ...any) error {
	defer r.c.Release()
	return r.row.Scan(dest...)
}

// releasingBatch gives its connection back at Close, or leaves that to the
// transaction the batch began.
type releasingBatch struct {
	pgx.BatchResults
	c  *pgxpool.Conn
	tx *releasingTx
}

func (br *releasingBatch) Close() error {
	err := br.BatchResults.Close()
	if br.c != nil {
		br.c.Release()
	}
	return err
}

func (br *releasingBatch) Tx() pgx.Tx {
	if br.tx == nil {
		return nil
	}
	return br.tx
}

// releasingTx gives its connection back when it ends.
type releasingTx struct {
	pgx.Tx
	c *pgxpool.Conn
}

func (tx *releasingTx) Commit(ctx context.Context) error {
	defer tx.c.Release()
	return tx.Tx.Commit(ctx)
}

func (tx *releasingTx) Rollback(ctx context.Context) error {
	defer tx.c.Release()
	return tx.Tx.Rollback(ctx)
}
