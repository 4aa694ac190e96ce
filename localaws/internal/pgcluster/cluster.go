package pgcluster

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/credstage/credstage/localaws/internal/dbhost"
)

// AdminUser is the superuser the emulator connects as over the unix socket.
// RDS calls its own superuser rdsadmin too and reserves the name.
const AdminUser = "rdsadmin"

// Options say where the binaries are and who runs them.
type Options struct {
	// BinDir holds initdb, pg_ctl and postgres; empty means FindBinDir("").
	BinDir string
	// RunAs is the unprivileged OS user for the cluster when the process is
	// root (PostgreSQL refuses root). Default "postgres". Ignored otherwise.
	RunAs string
	// OwnRoot is the emulator's data folder: folders at or below it may be
	// made traversable for RunAs (dbhost.Owner.EnsureReachable).
	OwnRoot string
	Logger  *slog.Logger
	// Security is how the cluster takes TCP logins from its first start
	// on; SetSecurity changes it later.
	Security Security
}

// Cluster is one PostgreSQL data folder and the postmaster serving it.
// Methods are safe for concurrent use; the cluster serialises its own
// start/stop/remove so two callers never race pg_ctl on one data folder.
type Cluster struct {
	dir    string
	binDir string
	owner  *dbhost.Owner
	opts   Options
	log    *slog.Logger

	mu   sync.Mutex
	sec  Security
	port int
	sock dbhost.SocketDir // where the socket lives while running
}

// New describes the cluster in dir listening on port. It touches nothing on
// disk: call Init to create it, Start to run an existing one.
func New(dir string, port int, opts Options) (*Cluster, error) {
	if err := dbhost.CheckPort(port); err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	binDir, err := FindBinDir(opts.BinDir)
	if err != nil {
		return nil, err
	}
	if err := opts.Security.validate(); err != nil {
		return nil, err
	}
	o, err := dbhost.ResolveOwner(opts.RunAs, "postgres", "PostgreSQL")
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	return &Cluster{dir: abs, binDir: binDir, owner: o, opts: opts, port: port, sec: opts.Security,
		log: dbhost.ClusterLogger(opts.Logger, abs)}, nil
}

// Dir is the cluster folder.
func (c *Cluster) Dir() string { return c.dir }

// DataDir is PGDATA.
func (c *Cluster) DataDir() string { return filepath.Join(c.dir, "data") }

// Port is the TCP port on 127.0.0.1. Start may move it when the recorded
// port was taken by someone else while the cluster was down.
func (c *Cluster) Port() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.port
}

// BinDir is where the PostgreSQL binaries used by this cluster live.
func (c *Cluster) BinDir() string { return c.binDir }

func (c *Cluster) readyFile() string { return filepath.Join(c.dir, "ready") }
func (c *Cluster) logFile() string   { return filepath.Join(c.dir, "postgres.log") }

// Initialized reports whether Init completed for this folder. A folder
// without the ready file is a leftover of an Init that died half-way and is
// wiped by the next Init.
func (c *Cluster) Initialized() bool {
	_, err := os.Stat(c.readyFile())
	return err == nil
}

// Remove stops the postmaster and deletes the cluster folder. Safe to call
// again after a crash half-way: a missing folder is success.
func (c *Cluster) Remove() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.stopLocked(); err != nil {
		return err
	}
	if err := os.RemoveAll(c.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("pgcluster: remove %s: %w", c.dir, err)
	}
	return nil
}
