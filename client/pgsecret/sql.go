package pgsecret

import (
	"context"
	"database/sql"
	"database/sql/driver"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/credstage/credstage/client/secretcache"
)

// Connector is a database/sql connector: every new connection of the
// sql.DB takes its credentials from the cache and retries a refused
// password inside Connect, so the pool never hands out a failed login
// while a rotation is under way.
type Connector struct {
	cache    *secretcache.Cache
	secretID string
	opts     Options
}

var _ driver.Connector = (*Connector)(nil)

// NewConnector makes the connector of secretID.
func NewConnector(cache *secretcache.Cache, secretID string, o Options) *Connector {
	return &Connector{cache: cache, secretID: secretID, opts: o}
}

// OpenDB is sql.OpenDB over NewConnector.
func OpenDB(cache *secretcache.Cache, secretID string, o Options) *sql.DB {
	return sql.OpenDB(NewConnector(cache, secretID, o))
}

// Connect opens one connection.
func (c *Connector) Connect(ctx context.Context) (driver.Conn, error) {
	return login(ctx, c.cache, c.secretID, c.opts, func(ctx context.Context, s secretcache.Secret) (driver.Conn, error) {
		cfg, err := Config(s, c.opts)
		if err != nil {
			return nil, err
		}
		return stdlib.GetConnector(*cfg).Connect(ctx)
	})
}

// Driver is pgx's database/sql driver.
func (c *Connector) Driver() driver.Driver { return stdlib.GetDefaultDriver() }
