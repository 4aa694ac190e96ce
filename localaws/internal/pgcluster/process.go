package pgcluster

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/credstage/credstage/localaws/internal/dbhost"
)

// pgCtlTimeout bounds every pg_ctl wait (-t) and initdb run.
const pgCtlTimeout = 60 * time.Second

// Start runs the postmaster (pg_ctl start -w) and returns once it accepts
// connections. A postmaster already serving this data folder (left by an
// emulator that died without stopping it) is adopted rather than started
// twice. If the cluster's port was taken while it was down, Start moves it
// to a free one; callers persist Port() afterwards.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startLocked()
}

func (c *Cluster) startLocked() error {
	if pid := c.livePID(); pid > 0 {
		if port, sock, ok := c.pidFileEndpoint(); ok {
			c.port, c.sock = port, dbhost.AdoptSocketDir(sock, c.dir)
			c.log.Info("pgcluster: adopted running postmaster", "pid", pid, "port", port)
			// It may have been started with other rules (by an older
			// emulator): make it take the current ones.
			if err := c.writeSecurityFiles(); err != nil {
				return err
			}
			if err := c.writeRuntimeConf(); err != nil {
				return err
			}
			return c.reloadLocked()
		}
	}
	if !dbhost.PortFree(c.port) {
		p, err := dbhost.FreePort()
		if err != nil {
			return err
		}
		c.log.Warn("pgcluster: port taken while the cluster was down; moving", "old", c.port, "new", p)
		c.port = p
	}
	if err := c.prepareSocketDir(); err != nil {
		return err
	}
	if err := c.writeRuntimeConf(); err != nil {
		return err
	}
	if err := c.writeSecurityFiles(); err != nil {
		return err
	}
	_, err := c.run(filepath.Join(c.binDir, "pg_ctl"), "start", "-w", "-s",
		"-t", strconv.Itoa(int(pgCtlTimeout.Seconds())), "-D", c.DataDir(), "-l", c.logFile())
	if err != nil {
		return fmt.Errorf("pgcluster: start %s: %w%s", c.dir, err, c.logTail())
	}
	c.log.Debug("pgcluster: started", "pid", c.livePID(), "port", c.port)
	return nil
}

// Stop shuts the postmaster down (pg_ctl stop -m fast: sessions are
// disconnected, nothing is lost). If pg_ctl cannot do it, the postmaster
// recorded in this data folder's postmaster.pid gets SIGQUIT. Stopping a
// stopped cluster is a no-op.
func (c *Cluster) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopLocked()
}

func (c *Cluster) stopLocked() error {
	defer c.sock.Drop()
	pid := c.livePID()
	if pid == 0 {
		return nil
	}
	_, err := c.run(filepath.Join(c.binDir, "pg_ctl"), "stop", "-w", "-s", "-m", "fast",
		"-t", strconv.Itoa(int(pgCtlTimeout.Seconds())), "-D", c.DataDir())
	if err == nil {
		// pg_ctl returns once postmaster.pid is gone; the process exits a
		// moment later. Wait, so the port is free when Stop returns.
		dbhost.WaitGone(pid, 5*time.Second)
		return nil
	}
	if !dbhost.Alive(pid) {
		return nil
	}
	c.log.Warn("pgcluster: pg_ctl stop failed; sending SIGQUIT to the postmaster", "pid", pid, "err", err)
	_ = syscall.Kill(pid, syscall.SIGQUIT)
	if dbhost.WaitGone(pid, 10*time.Second) {
		return nil
	}
	return fmt.Errorf("pgcluster: postmaster %d of %s did not stop: %w", pid, c.dir, err)
}

// Running reports whether a postmaster serves this data folder.
func (c *Cluster) Running() bool { return c.livePID() > 0 }

// PID is the postmaster's pid, 0 when not running.
func (c *Cluster) PID() int { return c.livePID() }

// livePID reads data/postmaster.pid and returns the pid if that process is
// alive and is the postmaster of this data folder (its working directory is
// PGDATA), so a stale file whose pid was reused never names a stranger.
func (c *Cluster) livePID() int {
	lines := c.pidFileLines()
	if len(lines) == 0 {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil || pid <= 0 || !dbhost.Alive(pid) {
		return 0
	}
	// Unlike mycluster, a cwd /proc does not show is given the benefit of
	// the doubt.
	if ok, err := dbhost.WorksIn(pid, c.DataDir()); err == nil && !ok {
		return 0
	}
	return pid
}

func (c *Cluster) pidFileLines() []string {
	data, err := os.ReadFile(filepath.Join(c.DataDir(), "postmaster.pid"))
	if err != nil {
		return nil
	}
	return strings.Split(string(data), "\n")
}

// pidFileEndpoint reads the port (line 4) and socket folder (line 5) a
// running postmaster recorded.
func (c *Cluster) pidFileEndpoint() (port int, sockDir string, ok bool) {
	lines := c.pidFileLines()
	if len(lines) < 5 {
		return 0, "", false
	}
	port, err := strconv.Atoi(strings.TrimSpace(lines[3]))
	sockDir = strings.TrimSpace(lines[4])
	return port, sockDir, err == nil && sockDir != ""
}

// run executes a PostgreSQL binary as the cluster owner, in the cluster
// folder, with PG* variables removed from the environment so a caller's
// PGDATA or PGPORT cannot redirect it.
func (c *Cluster) run(bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), pgCtlTimeout+10*time.Second)
	defer cancel()
	text, err := c.owner.Run(ctx, c.dir, c.childEnv(), bin, args...)
	if err != nil {
		if text != "" {
			return text, fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), args[0], err, text)
		}
		return text, fmt.Errorf("%s %s: %w", filepath.Base(bin), args[0], err)
	}
	return text, nil
}

func (c *Cluster) childEnv() []string { return c.owner.Env("PG") }

// logTail returns the end of the server log to explain a failed start.
func (c *Cluster) logTail() string { return dbhost.LogTail(c.logFile()) }
