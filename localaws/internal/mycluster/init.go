package mycluster

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// Bootstrap is what Init creates inside a fresh server, the way RDS does:
// a master account '<MasterUser>'@'%' with ALL PRIVILEGES ON *.* WITH
// GRANT OPTION (RDS's master has broad grants with grant option, short of
// SUPER), and optionally one database.
type Bootstrap struct {
	MasterUser string
	// MasterPasswordHash is the password's mysql_native_password hash
	// (NativePasswordHash); the plaintext never reaches the server.
	MasterPasswordHash string
	// DBName, when set, is created.
	DBName string
}

// Init creates the cluster from nothing and leaves it running:
//
//  1. stop any server on the folder and delete what an earlier,
//     interrupted Init left (there is no ready file, so it never finished);
//  2. mariadb-install-db as the cluster owner;
//  3. start, drop every account but root@localhost and MariaDB's own,
//     create the master account and the database;
//  4. write the ready file.
//
// If the process dies anywhere before step 4 the folder has no ready file
// and the next Init starts over; nothing outside the folder is changed
// except the search bit on the emulator's own parent folders.
func (c *Cluster) Init(ctx context.Context, b Bootstrap) (err error) {
	if b.MasterUser == "" {
		return errors.New("mycluster: no master user")
	}
	if !nativeHashRE.MatchString(b.MasterPasswordHash) {
		return errors.New("mycluster: the master password must be given as a mysql_native_password hash")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stopLocked(); err != nil {
		return err
	}
	if err := c.owner.FreshDir(c.dir, c.opts.OwnRoot); err != nil {
		return fmt.Errorf("mycluster: %w", err)
	}
	// --no-defaults: no option file of the machine takes part; the
	// settings that matter at start are in my.cnf.
	// A private tmpdir: servers bootstrapping side by side in a shared
	// /tmp trip over each other's temporary tables.
	if err := c.owner.Mkdir(c.tmpDir(), 0o700); err != nil {
		return err
	}
	if err := c.run(c.bins.InstallDB, "--no-defaults", "--datadir="+c.DataDir(), "--tmpdir="+c.tmpDir(),
		"--auth-root-authentication-method=normal", "--skip-test-db", "--skip-name-resolve"); err != nil {
		return fmt.Errorf("mycluster: mariadb-install-db %s: %w", c.dir, err)
	}
	if err := c.startLocked(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = c.stopLocked()
		}
	}()
	if err := c.bootstrap(ctx, b); err != nil {
		return fmt.Errorf("mycluster: bootstrap %s: %w", c.dir, err)
	}
	return c.owner.WriteFile(c.readyFile(), []byte(strconv.Itoa(c.port)+"\n"), 0o644)
}

func (c *Cluster) bootstrap(ctx context.Context, b Bootstrap) error {
	master, err := Account(b.MasterUser)
	if err != nil {
		return err
	}
	db, err := c.adminDBLocked()
	if err != nil {
		return err
	}
	defer db.Close()
	// mariadb-install-db also makes root@127.0.0.1, root@::1 and
	// root@<hostname> without a password: TCP ways in as root.
	rows, err := db.QueryContext(ctx, "SELECT User, Host FROM mysql.user WHERE NOT (User = 'root' AND Host = 'localhost') AND User <> 'mariadb.sys'")
	if err != nil {
		return err
	}
	var stmts []string
	for rows.Next() {
		var u, h string
		if err := rows.Scan(&u, &h); err != nil {
			rows.Close()
			return err
		}
		qu, _ := QuoteString(u)
		qh, _ := QuoteString(h)
		stmts = append(stmts, "DROP USER "+qu+"@"+qh)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	stmts = append(stmts,
		"CREATE USER "+master+" IDENTIFIED BY PASSWORD '"+b.MasterPasswordHash+"'",
		"GRANT ALL PRIVILEGES ON *.* TO "+master+" WITH GRANT OPTION")
	if b.DBName != "" {
		stmts = append(stmts, "CREATE DATABASE IF NOT EXISTS "+Ident(b.DBName))
	}
	return c.adminExecLocked(ctx, "bootstrap statement failed", stmts...)
}
