package activities

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Querier is what a step needs of a connection, pooled or fresh.
type Querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// MasterCredentials is a master login as read from its secret.
type MasterCredentials struct {
	SecretARN string
	VersionID string
	Config    *pgx.ConnConfig
}

// MasterLoader reads the master secret; the connector calls it to build a
// pool and again when the master's login is refused.
type MasterLoader func(ctx context.Context) (MasterCredentials, error)

// Connector opens PostgreSQL connections. A new connection costs about
// 27 ms and the machine sustains only ~35 a second (README.md, The local stack), so
// master work goes over one small pool per instance, and fresh logins are
// spent only where a login is the thing being proven.
type Connector interface {
	// WithMaster runs fn over a pooled master connection. key identifies
	// the pool (host:port/db and master secret ARN). When the master's login
	// is refused, load is called again and the pool rebuilt once: the
	// master password may have been rotated since the pool was made.
	WithMaster(ctx context.Context, key string, load MasterLoader, fn func(Querier) error) error
	// Login opens one fresh connection with cfg, runs fn over it and
	// closes it.
	Login(ctx context.Context, cfg *pgx.ConnConfig, fn func(Querier) error) error
	// Close closes every pool.
	Close()
}

// NewPGXConnector is the real Connector; maxConns bounds each pool.
func NewPGXConnector(maxConns int32) Connector {
	if maxConns <= 0 {
		maxConns = 2
	}
	return &pgxConnector{maxConns: maxConns, pools: map[string]*masterPool{}}
}

type pgxConnector struct {
	maxConns int32
	mu       sync.Mutex
	pools    map[string]*masterPool
	closed   bool
}

// masterPool is one instance's pool and the master secret version it
// logs in with.
type masterPool struct {
	mu      sync.Mutex
	pool    *pgxpool.Pool
	version string
}

var errConnectorClosed = errors.New("connector closed")

func (c *pgxConnector) entry(key string) (*masterPool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errConnectorClosed
	}
	mp := c.pools[key]
	if mp == nil {
		mp = &masterPool{}
		c.pools[key] = mp
	}
	return mp, nil
}

func (c *pgxConnector) WithMaster(ctx context.Context, key string, load MasterLoader, fn func(Querier) error) error {
	mp, err := c.entry(key)
	if err != nil {
		return err
	}
	conn, err := mp.acquire(ctx, load, c.maxConns, false)
	if err != nil && isAuthFailure(err) {
		conn, err = mp.acquire(ctx, load, c.maxConns, true)
	}
	if err != nil {
		return err
	}
	defer conn.Release()
	return fn(conn)
}

// acquire takes a connection from the pool, building the pool first when
// there is none or when reload asks for fresh master credentials.
func (mp *masterPool) acquire(ctx context.Context, load MasterLoader, maxConns int32, reload bool) (*pgxpool.Conn, error) {
	mp.mu.Lock()
	if mp.pool == nil || reload {
		creds, err := load(ctx)
		if err != nil {
			mp.mu.Unlock()
			return nil, err
		}
		pool, err := newMasterPool(ctx, creds.Config, maxConns)
		if err != nil {
			mp.mu.Unlock()
			return nil, err
		}
		if old := mp.pool; old != nil {
			go old.Close() // waits for connections still in use elsewhere
		}
		mp.pool, mp.version = pool, creds.VersionID
	}
	pool := mp.pool
	mp.mu.Unlock()
	return pool.Acquire(ctx)
}

func newMasterPool(ctx context.Context, cfg *pgx.ConnConfig, maxConns int32) (*pgxpool.Pool, error) {
	pcfg, err := pgxpool.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, err
	}
	pcfg.ConnConfig = cfg
	pcfg.MaxConns = maxConns
	pcfg.MinConns = 0
	pcfg.MaxConnIdleTime = 5 * time.Minute
	pcfg.MaxConnLifetime = 30 * time.Minute
	pcfg.HealthCheckPeriod = time.Minute
	return pgxpool.NewWithConfig(ctx, pcfg)
}

func (c *pgxConnector) Login(ctx context.Context, cfg *pgx.ConnConfig, fn func(Querier) error) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	return fn(conn)
}

func (c *pgxConnector) Close() {
	c.mu.Lock()
	pools := c.pools
	c.pools, c.closed = map[string]*masterPool{}, true
	c.mu.Unlock()
	for _, mp := range pools {
		mp.mu.Lock()
		if mp.pool != nil {
			mp.pool.Close()
		}
		mp.mu.Unlock()
	}
}

// isAuthFailure reports a refused login (wrong password or no such role).
func isAuthFailure(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && (pgErr.Code == "28P01" || pgErr.Code == "28000")
}

// resetConnections closes every pooled connection (the pools stay): the
// next master call logs in anew. Tests use it to exercise the re-read of a
// rotated master secret.
func (c *pgxConnector) resetConnections() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, mp := range c.pools {
		mp.mu.Lock()
		if mp.pool != nil {
			mp.pool.Reset()
		}
		mp.mu.Unlock()
	}
}
