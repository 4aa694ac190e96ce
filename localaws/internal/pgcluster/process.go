package pgcluster

import (
	"bytes"
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
			c.port, c.sockDir = port, sock
			c.tmpSock = !dbhost.IsWithin(sock, c.dir)
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
	defer c.dropTempSocketDir()
	pid := c.livePID()
	if pid == 0 {
		return nil
	}
	_, err := c.run(filepath.Join(c.binDir, "pg_ctl"), "stop", "-w", "-s", "-m", "fast",
		"-t", strconv.Itoa(int(pgCtlTimeout.Seconds())), "-D", c.DataDir())
	if err == nil {
		// pg_ctl returns once postmaster.pid is gone; the process exits a
		// moment later. Wait, so the port is free when Stop returns.
		waitGone(pid, 5*time.Second)
		return nil
	}
	if !alive(pid) {
		return nil
	}
	c.log.Warn("pgcluster: pg_ctl stop failed; sending SIGQUIT to the postmaster", "pid", pid, "err", err)
	_ = syscall.Kill(pid, syscall.SIGQUIT)
	if waitGone(pid, 10*time.Second) {
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
	if err != nil || pid <= 0 || !alive(pid) {
		return 0
	}
	if cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd"); err == nil {
		if filepath.Clean(cwd) != filepath.Clean(c.DataDir()) {
			return 0
		}
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

// alive reports whether pid runs; a zombie (exited, not yet reaped by
// whoever inherited it) counts as gone.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// Format: pid (comm) state ...; comm may contain spaces or parens.
	if i := bytes.LastIndexByte(stat, ')'); i >= 0 && i+2 < len(stat) {
		return stat[i+2] != 'Z'
	}
	return true
}

func waitGone(pid int, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !alive(pid) {
			return true
		}
	}
	return !alive(pid)
}

// run executes a PostgreSQL binary as the cluster owner, in the cluster
// folder, with PG* variables removed from the environment so a caller's
// PGDATA or PGPORT cannot redirect it.
func (c *Cluster) run(bin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), pgCtlTimeout+10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = c.dir
	cmd.Env = c.childEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.owner.Credential(), Setpgid: true}
	// The postmaster pg_ctl forks writes to its log file, not to our pipes;
	// WaitDelay is a safety net should a child ever keep them open.
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := strings.TrimSpace(out.String())
	if err != nil {
		if text != "" {
			return text, fmt.Errorf("%s %s: %w: %s", filepath.Base(bin), args[0], err, text)
		}
		return text, fmt.Errorf("%s %s: %w", filepath.Base(bin), args[0], err)
	}
	return text, nil
}

func (c *Cluster) childEnv() []string {
	env := []string{"LC_ALL=C", "LANG=C"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || k == "LC_ALL" || k == "LANG" || (c.owner != nil && (k == "HOME" || k == "USER" || k == "LOGNAME")) {
			continue
		}
		env = append(env, kv)
	}
	if c.owner != nil {
		env = append(env, "HOME="+c.owner.Home(), "USER="+c.owner.Name(), "LOGNAME="+c.owner.Name())
	}
	return env
}

// logTail returns the end of postgres.log to explain a failed start.
func (c *Cluster) logTail() string {
	data, err := os.ReadFile(c.logFile())
	if err != nil || len(data) == 0 {
		return ""
	}
	if len(data) > 1500 {
		data = data[len(data)-1500:]
	}
	return "\n" + strings.TrimSpace(string(data))
}
