package mycluster

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// ErrNotRunning is returned by operations that need the server.
var ErrNotRunning = errors.New("mycluster: MariaDB is not running")

// adminTimeout bounds one admin round of statements.
const adminTimeout = 30 * time.Second

// adminDBLocked opens a one-connection pool as root over the unix socket.
// Admin work is rare (bootstrap, password changes), so nothing is kept
// open between calls. The caller closes it.
func (c *Cluster) adminDBLocked() (*sql.DB, error) {
	if c.sock.Path == "" {
		if _, sock, ok := c.confEndpoint(); ok {
			return openAdmin(sock), nil
		}
		return nil, ErrNotRunning
	}
	return openAdmin(c.socketPath()), nil
}

func openAdmin(sock string) *sql.DB {
	cfg := mysql.NewConfig()
	cfg.Net, cfg.Addr, cfg.User = "unix", sock, AdminUser
	cfg.Timeout, cfg.ReadTimeout, cfg.WriteTimeout = 5*time.Second, adminTimeout, adminTimeout
	connector, _ := mysql.NewConnector(cfg)
	db := sql.OpenDB(connector)
	db.SetMaxOpenConns(1)
	return db
}

func (c *Cluster) pingLocked(ctx context.Context) error {
	db, err := c.adminDBLocked()
	if err != nil {
		return err
	}
	defer db.Close()
	return db.PingContext(ctx)
}

// adminExecLocked runs statements in order on one admin session. what
// names the work in errors: statements are never echoed, as they may
// carry a password hash.
func (c *Cluster) adminExecLocked(ctx context.Context, what string, stmts ...string) error {
	if c.livePID() == 0 {
		return ErrNotRunning
	}
	db, err := c.adminDBLocked()
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("mycluster: admin connection to %s: %w", c.dir, err)
	}
	defer conn.Close()
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("mycluster: %s: %w", what, err)
		}
	}
	return nil
}

// AdminDB opens a connection pool as root over the unix socket for a
// caller (tests) that needs to look inside; the caller closes it.
func (c *Cluster) AdminDB() (*sql.DB, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.livePID() == 0 {
		return nil, ErrNotRunning
	}
	return c.adminDBLocked()
}

// SetPassword sets the password of '<user>'@'%' from its
// mysql_native_password hash (NativePasswordHash), so the plaintext never
// reaches the server, its logs or the emulator's state.
func (c *Cluster) SetPassword(ctx context.Context, user, hash string) error {
	if !nativeHashRE.MatchString(hash) {
		return errors.New("mycluster: SetPassword needs a mysql_native_password hash (*40 hex digits)")
	}
	account, err := Account(user)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.adminExecLocked(ctx, fmt.Sprintf("set the password of user %q", user),
		"ALTER USER "+account+" IDENTIFIED BY PASSWORD '"+hash+"'")
}

var nativeHashRE = regexp.MustCompile(`^\*[0-9A-F]{40}$`)

// Account is the quoted account '<user>'@'%' the master and the users
// the emulator manages are, as on RDS.
func Account(user string) (string, error) {
	lit, err := QuoteString(user)
	if err != nil {
		return "", err
	}
	return lit + "@'%'", nil
}

// QuoteString quotes a string literal for MariaDB's default sql_mode
// (backslash escapes on): backslashes and quotes are escaped. NUL is
// refused.
func QuoteString(s string) (string, error) {
	if strings.ContainsRune(s, 0) {
		return "", errors.New("mycluster: a NUL byte cannot appear in a SQL literal")
	}
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", `\'`) + "'", nil
}

// Ident quotes an identifier (a database name) with backticks.
func Ident(name string) string { return "`" + strings.ReplaceAll(name, "`", "``") + "`" }
