// Package pgsecret opens PostgreSQL connections with the credentials of a
// Secrets Manager secret, read through a secretcache.Cache at every new
// connection, so a rotation never needs a restart or a code change: one
// connection with Connect (pgx), a database/sql pool with OpenDB, a pgxpool
// with NewPool.
//
// A login refused for its password (SQLSTATE 28P01) is retried by each of
// them, in the order a rotation makes necessary:
//
//  1. the secret is checked again at once (Cache.Refresh): it may have
//     been rotated since it was cached;
//  2. if that is the very version that was refused, the single-user
//     window is open (the database has the new password, AWSCURRENT does
//     not yet): AWSPENDING is tried once;
//  3. then AWSCURRENT is re-read with backoff and jitter (MinBackoff
//     doubling to MaxBackoff, for up to MaxWait), so a fleet of clients
//     spreads its reads over the account's shared read budget.
package pgsecret

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/credstage/credstage/client/secretcache"
)

// Options tune the logins; zero values take the defaults.
type Options struct {
	// ConnString holds the connection settings a secret does not: TLS
	// above all, e.g. "sslmode=verify-full sslrootcert=/etc/rds/global-bundle.pem".
	// Host, port, database, user and password come from the secret, and
	// the secret's own sslmode and sslrootcert, when it has them, win.
	ConnString string
	// MinBackoff, MaxBackoff and MaxWait bound step 3 (default 250 ms,
	// 4 s, 30 s).
	MinBackoff, MaxBackoff, MaxWait time.Duration
}

func (o Options) withDefaults() Options {
	if o.MinBackoff <= 0 {
		o.MinBackoff = 250 * time.Millisecond
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 4 * time.Second
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 30 * time.Second
	}
	return o
}

// Config is the pgx configuration of a login with s.
func Config(s secretcache.Secret, o Options) (*pgx.ConnConfig, error) {
	settings, err := connSettings(s, o)
	if err != nil {
		return nil, err
	}
	// The password is set on the parsed config, never written into a
	// connection string, which pgx may quote in an error.
	cfg, err := pgx.ParseConfig(settings)
	if err != nil {
		return nil, fmt.Errorf("pgsecret: connection settings of %s: %w", s, err)
	}
	cfg.Password = s.Password
	return cfg, nil
}

// defaultSettings come first, so Options.ConnString and the secret may
// override them: TLS with the certificate and host checked (pgx's own
// default, prefer, falls back to plaintext silently), and the password
// only ever through SCRAM, so a server asking for cleartext or an MD5 hash
// (an impostor, or a misconfigured pg_hba.conf) gets nothing derived from
// it.
const defaultSettings = "sslmode=verify-full require_auth=scram-sha-256"

// connSettings is the connection string of a login with s, without its
// password.
func connSettings(s secretcache.Secret, o Options) (string, error) {
	settings := []string{defaultSettings, o.ConnString,
		"host=" + quote(s.Host), "port=" + strconv.Itoa(max(s.Port, 0)),
		"user=" + quote(s.Username), "dbname=" + quote(s.DBName)}
	if s.SSLMode != "" {
		settings = append(settings, "sslmode="+quote(s.SSLMode))
	}
	switch {
	case strings.Contains(s.SSLRootCert, "-----BEGIN"):
		return "", fmt.Errorf("pgsecret: secret %s holds its sslrootcert inline; give the bundle as a file (sslrootcert= in Options.ConnString)", s)
	case s.SSLRootCert != "":
		settings = append(settings, "sslrootcert="+quote(s.SSLRootCert))
	}
	return strings.Join(settings, " "), nil
}

// quote writes a keyword/value connection string value.
func quote(v string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
}

// login runs connect with the secret's current credentials and retries a
// refused password as the package comment says.
func login[C any](ctx context.Context, cache *secretcache.Cache, secretID string, o Options, connect func(context.Context, secretcache.Secret) (C, error)) (C, error) {
	s, err := cache.Get(ctx, secretID)
	if err != nil {
		var zero C
		return zero, err
	}
	conn, err := connect(ctx, s)
	if !refusedPassword(err) {
		return conn, err
	}
	return retryRefused(ctx, cache, secretID, o, s.VersionID, err, connect)
}

// retryRefused is steps 1 to 3 of the package comment, after the login
// with version refused failed with err.
func retryRefused[C any](ctx context.Context, cache *secretcache.Cache, secretID string, o Options, refused string, err error, connect func(context.Context, secretcache.Secret) (C, error)) (C, error) {
	o = o.withDefaults()
	var zero C
	var conn C
	if s, rerr := cache.Refresh(ctx, secretID); rerr == nil && s.Stale == nil && s.VersionID != refused {
		if conn, err = connect(ctx, s); !refusedPassword(err) {
			return conn, err
		}
		refused = s.VersionID
	}
	if p, ok, perr := cache.Pending(ctx, secretID); perr == nil && ok && p.VersionID != refused {
		if conn, err = connect(ctx, p); !refusedPassword(err) {
			return conn, err
		}
	}
	delay, deadline := o.MinBackoff, time.Now().Add(o.MaxWait)
	for time.Now().Before(deadline) {
		// Full jitter: between half the delay and all of it.
		pause := delay/2 + time.Duration(rand.Int64N(int64(delay/2)+1))
		select {
		case <-ctx.Done():
			return zero, errors.Join(err, ctx.Err())
		case <-time.After(pause):
		}
		delay = min(delay*2, o.MaxBackoff)
		s, rerr := cache.Refresh(ctx, secretID)
		if rerr != nil || s.Stale != nil || s.VersionID == refused {
			continue
		}
		if conn, err = connect(ctx, s); !refusedPassword(err) {
			return conn, err
		}
		refused = s.VersionID
	}
	return zero, fmt.Errorf("pgsecret: the login with secret %s is still refused after %v of re-reading it: %w", secretID, o.MaxWait, err)
}

// refusedPassword: the server refused the password (SQLSTATE 28P01) of
// a login. A statement that raises 28P01 is no login: retrying it would
// run it again.
func refusedPassword(err error) bool {
	var connErr *pgconn.ConnectError
	var pgErr *pgconn.PgError
	return errors.As(err, &connErr) && errors.As(err, &pgErr) && pgErr.Code == "28P01"
}

// Connect opens one pgx connection with the credentials of secretID.
func Connect(ctx context.Context, cache *secretcache.Cache, secretID string, o Options) (*pgx.Conn, error) {
	return login(ctx, cache, secretID, o, func(ctx context.Context, s secretcache.Secret) (*pgx.Conn, error) {
		cfg, err := Config(s, o)
		if err != nil {
			return nil, err
		}
		return pgx.ConnectConfig(ctx, cfg)
	})
}
