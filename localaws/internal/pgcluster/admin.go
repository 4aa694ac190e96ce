package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNotRunning is returned by operations that need the postmaster.
var ErrNotRunning = errors.New("pgcluster: PostgreSQL is not running")

// AdminConn opens a connection as the superuser over the unix socket. The
// caller closes it. Admin work is rare (bootstrap, password changes), so
// there is no pool.
func (c *Cluster) AdminConn(ctx context.Context) (*pgx.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.adminConnLocked(ctx)
}

func (c *Cluster) adminConnLocked(ctx context.Context) (*pgx.Conn, error) {
	if c.livePID() == 0 {
		return nil, ErrNotRunning
	}
	sock, port := c.sock.Path, c.port
	if sock == "" {
		p, s, ok := c.pidFileEndpoint()
		if !ok {
			return nil, ErrNotRunning
		}
		sock, port = s, p
	}
	cfg, err := pgx.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, err
	}
	cfg.Host, cfg.Port, cfg.User, cfg.Database, cfg.Password = sock, uint16(port), AdminUser, "postgres", ""
	cfg.TLSConfig, cfg.Fallbacks = nil, nil
	cfg.ConnectTimeout = 10 * time.Second
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: admin connection to %s: %w", c.dir, err)
	}
	return conn, nil
}

// SetPassword sets a role's password. password is a SCRAM-SHA-256 verifier
// (preferred: the plaintext never reaches the server or its log) or a
// plaintext. ALTER ROLE takes no bind parameters, hence the quoted literal.
func (c *Cluster) SetPassword(ctx context.Context, role, password string) error {
	lit, err := QuoteLiteral(password)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	conn, err := c.adminConnLocked(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "ALTER ROLE "+Ident(role)+" PASSWORD "+lit); err != nil {
		return fmt.Errorf("pgcluster: set the password of role %q: %w", role, err)
	}
	return nil
}

// Ident quotes an identifier.
func Ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// QuoteLiteral quotes a string literal for a server with
// standard_conforming_strings on (the default since 9.1): quotes doubled,
// backslashes literal. NUL cannot be represented and is refused.
func QuoteLiteral(s string) (string, error) {
	if strings.ContainsRune(s, 0) {
		return "", errors.New("pgcluster: a NUL byte cannot appear in a SQL literal")
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
}
