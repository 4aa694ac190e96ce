package pgcluster

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
)

// Bootstrap is what Init creates inside a fresh cluster, the way RDS does:
// a master role that can create roles and databases but is no superuser,
// and optionally one database it owns.
type Bootstrap struct {
	MasterUser string
	// MasterPassword is a SCRAM-SHA-256 verifier (see SCRAMVerifier) or a
	// plaintext password; a verifier keeps the plaintext off the server.
	MasterPassword string
	// DBName, when set, is created with the master as owner.
	DBName string
}

// Init creates the cluster from nothing and leaves it running:
//
//  1. stop any postmaster on the folder and delete what an earlier,
//     interrupted Init left (there is no ready file, so it never finished);
//  2. initdb as the cluster owner, install localaws.conf and pg_hba.conf;
//  3. start, create rds_superuser, the master role and the database;
//  4. write the ready file.
//
// If the process dies anywhere before step 4 the folder has no ready file
// and the next Init starts over; nothing outside the folder is changed
// except the search bit on the emulator's own parent folders.
func (c *Cluster) Init(ctx context.Context, b Bootstrap) (err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stopLocked(); err != nil {
		return err
	}
	if err := c.owner.FreshDir(c.dir, c.opts.OwnRoot); err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	if _, err := c.run(filepath.Join(c.binDir, "initdb"), "-D", c.DataDir(), "-U", AdminUser,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale",
		"--no-sync", "--no-instructions"); err != nil {
		return fmt.Errorf("pgcluster: initdb %s: %w", c.dir, err)
	}
	if err := c.configure(); err != nil {
		return fmt.Errorf("pgcluster: configure %s: %w", c.dir, err)
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
		return fmt.Errorf("pgcluster: bootstrap %s: %w", c.dir, err)
	}
	return c.owner.WriteFile(c.readyFile(), []byte(strconv.Itoa(c.port)+"\n"), 0o644)
}

func (c *Cluster) bootstrap(ctx context.Context, b Bootstrap) error {
	if b.MasterUser == "" {
		return fmt.Errorf("no master user")
	}
	pw, err := QuoteLiteral(b.MasterPassword)
	if err != nil {
		return err
	}
	conn, err := c.adminConnLocked(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	master := Ident(b.MasterUser)
	stmts := []string{
		"CREATE ROLE rds_superuser NOLOGIN",
		"GRANT pg_monitor, pg_signal_backend TO rds_superuser",
		"CREATE ROLE " + master + " LOGIN CREATEROLE CREATEDB PASSWORD " + pw,
		"GRANT rds_superuser TO " + master + " WITH ADMIN OPTION",
	}
	switch b.DBName {
	case "":
	case "postgres":
		// Exists already (initdb makes it); hand it over instead.
		stmts = append(stmts, "ALTER DATABASE postgres OWNER TO "+master)
	default:
		stmts = append(stmts, "CREATE DATABASE "+Ident(b.DBName)+" OWNER "+master)
	}
	for _, s := range stmts {
		if _, err := conn.Exec(ctx, s); err != nil {
			// The statement is not echoed: it may carry the password.
			return fmt.Errorf("bootstrap statement failed: %w", err)
		}
	}
	return nil
}
