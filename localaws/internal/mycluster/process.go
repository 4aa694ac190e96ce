package mycluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/credstage/credstage/localaws/internal/dbhost"
)

// startTimeout bounds how long Start waits for logins, stopTimeout how
// long Stop waits after SIGTERM before SIGKILL (InnoDB's shutdown with
// these settings takes well under a second).
const (
	startTimeout = 60 * time.Second
	stopTimeout  = 30 * time.Second
)

// Start runs mariadbd and returns once it accepts connections. A server
// already serving this data folder (left by an emulator that died without
// stopping it) is adopted rather than started twice. If the cluster's port
// was taken while it was down, Start moves it to a free one; callers
// persist Port() afterwards.
func (c *Cluster) Start() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.startLocked()
}

func (c *Cluster) startLocked() error {
	if pid := c.livePID(); pid > 0 {
		if port, sock, ok := c.confEndpoint(); ok {
			c.port, c.sock = port, dbhost.AdoptSocketDir(filepath.Dir(sock), c.dir)
			c.log.Info("mycluster: adopted running mariadbd", "pid", pid, "port", port)
			// It may have been started with other rules: make it take
			// the current ones.
			if err := c.writeSecurityFiles(); err != nil {
				return err
			}
			if err := c.writeConf(); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
			defer cancel()
			return c.adminExecLocked(ctx, "apply the TLS settings", "FLUSH SSL",
				"SET GLOBAL require_secure_transport = "+onOff(c.sec.ForceSSL))
		}
	}
	if !dbhost.PortFree(c.port) {
		p, err := dbhost.FreePort()
		if err != nil {
			return err
		}
		c.log.Warn("mycluster: port taken while the server was down; moving", "old", c.port, "new", p)
		c.port = p
	}
	if err := c.prepareSocketDir(); err != nil {
		return err
	}
	if err := c.writeSecurityFiles(); err != nil {
		return err
	}
	if err := c.writeConf(); err != nil {
		return err
	}
	// A pid file left by a server that died would name a stranger later.
	_ = os.Remove(c.pidFile())
	cmd := exec.Command(c.bins.Server, "--defaults-file="+c.confFile())
	cmd.Dir = c.dir
	cmd.Env = c.childEnv()
	cmd.SysProcAttr = c.owner.SysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("mycluster: start %s: %w", c.dir, err)
	}
	exited := make(chan struct{})
	go func() {
		// Reap the server whenever it exits, so it never lingers as a
		// zombie that still looks alive.
		_ = cmd.Wait()
		close(exited)
	}()
	c.exited = exited
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := c.waitReady(ctx, cmd.Process.Pid, exited); err != nil {
		_ = syscall.Kill(cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		return fmt.Errorf("mycluster: start %s: %w%s", c.dir, err, c.logTail())
	}
	c.log.Debug("mycluster: started", "pid", cmd.Process.Pid, "port", c.port)
	return nil
}

// waitReady polls until the server answers an admin ping over its socket
// and has written its pid file (what livePID tracks it by).
func (c *Cluster) waitReady(ctx context.Context, pid int, exited <-chan struct{}) error {
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := c.pingLocked(pctx)
		cancel()
		if err == nil && c.livePID() == pid {
			return nil
		}
		select {
		case <-exited:
			return errors.New("mariadbd exited during start-up")
		case <-ctx.Done():
			return fmt.Errorf("mariadbd did not accept connections within %v (last: %v)", startTimeout, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop shuts the server down: SIGTERM to the pid in its pid file (a clean
// InnoDB shutdown, sessions disconnected), SIGKILL if it is still there
// after stopTimeout. Stopping a stopped server is a no-op.
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
	if err := syscall.Kill(pid, syscall.SIGTERM); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("mycluster: signal mariadbd %d of %s: %w", pid, c.dir, err)
	}
	if c.waitGone(pid, stopTimeout) {
		return nil
	}
	c.log.Warn("mycluster: mariadbd did not stop after SIGTERM; sending SIGKILL", "pid", pid)
	_ = syscall.Kill(pid, syscall.SIGKILL)
	if c.waitGone(pid, 10*time.Second) {
		return nil
	}
	return fmt.Errorf("mycluster: mariadbd %d of %s did not stop", pid, c.dir)
}

// Running reports whether a mariadbd serves this data folder.
func (c *Cluster) Running() bool { return c.livePID() > 0 }

// PID is the server's pid, 0 when not running.
func (c *Cluster) PID() int { return c.livePID() }

// livePID reads the pid file and returns the pid if that process is alive
// and is the server of this data folder (mariadbd works in its datadir), so
// a stale file whose pid was reused never names a stranger.
func (c *Cluster) livePID() int {
	data, err := os.ReadFile(c.pidFile())
	if err != nil {
		return 0
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil || pid <= 0 || !dbhost.Alive(pid) {
		return 0
	}
	if ok, err := dbhost.WorksIn(pid, c.DataDir()); err != nil || !ok {
		return 0
	}
	return pid
}

// waitGone waits for pid to exit; for a server this handle started, until
// it is reaped too, so its port is free when Stop returns.
func (c *Cluster) waitGone(pid int, timeout time.Duration) bool {
	if !dbhost.WaitGone(pid, timeout) {
		return false
	}
	if c.exited != nil {
		select {
		case <-c.exited:
		case <-time.After(5 * time.Second):
		}
		c.exited = nil
	}
	return true
}

// run executes mariadb-install-db as the cluster owner, in the cluster
// folder, with MYSQL* variables removed so a caller's settings cannot
// redirect it.
func (c *Cluster) run(bin string, args ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if text, err := c.owner.Run(ctx, c.dir, c.childEnv(), bin, args...); err != nil {
		return fmt.Errorf("%s: %w: %s", filepath.Base(bin), err, dbhost.Tail(text))
	}
	return nil
}

func (c *Cluster) childEnv() []string { return c.owner.Env("MYSQL", "MARIADB") }

// logTail returns the end of the server log to explain a failed start.
func (c *Cluster) logTail() string { return dbhost.LogTail(c.logFile()) }
