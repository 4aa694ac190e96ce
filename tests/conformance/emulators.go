//go:build conformance

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// emulator is one server process under test. It runs in its own process
// group, so that stopping it by its id also stops whatever it started
// (localaws's PostgreSQL clusters), and nothing is ever stopped by name.
type emulator struct {
	name string
	url  string
	cmd  *exec.Cmd
	log  *os.File
}

// freePort asks the kernel for a port nobody listens on. Another process
// could take it before the emulator binds it; the start then fails loudly
// (the health check never answers) rather than talking to a stranger.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startEmulator runs argv with env added, its output in logPath, and waits
// until health (a URL under the emulator) answers.
func startEmulator(name string, argv []string, env []string, logPath string, port int, health string) (*emulator, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	e := &emulator{name: name, url: "http://127.0.0.1:" + strconv.Itoa(port), cmd: cmd, log: log}
	if err := waitHealthy(e.url+health, 60*time.Second); err != nil {
		e.stop()
		return nil, fmt.Errorf("%s did not start (its log is kept as conformance-%s beside the report): %w", name, filepath.Base(logPath), err)
	}
	return e, nil
}

func waitHealthy(url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM to the emulator's process group (localaws then stops
// its PostgreSQL clusters and removes its ephemeral folder), and SIGKILL
// after a grace period.
func (e *emulator) stop() {
	if e == nil || e.cmd.Process == nil {
		return
	}
	pgid := e.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- e.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-done
	}
	e.log.Close()
}

// buildLocalAWS compiles cmd/localaws into dir: running the binary itself
// (not `go run`, whose child would outlive a signal to go) keeps the
// process id the emulator's own.
func buildLocalAWS(dir string) (string, error) {
	bin := filepath.Join(dir, "localaws")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/localaws")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build ./cmd/localaws: %w", err)
	}
	return bin, nil
}

// startBoth starts localaws (ephemeral, its temporary folder under work so
// nothing outlives the run) and moto_server, each on a free port.
func startBoth(work string) (local, moto *emulator, err error) {
	bin, err := buildLocalAWS(work)
	if err != nil {
		return nil, nil, err
	}
	tmp := filepath.Join(work, "tmp")
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, nil, err
	}
	lport, err := freePort()
	if err != nil {
		return nil, nil, err
	}
	local, err = startEmulator("localaws",
		[]string{bin, "--ephemeral", "--addr", "127.0.0.1:" + strconv.Itoa(lport), "--log-level", "warn"},
		[]string{"TMPDIR=" + tmp}, filepath.Join(work, "localaws.log"), lport, "/_localaws/health")
	if err != nil {
		return nil, nil, err
	}
	mport, err := freePort()
	if err != nil {
		local.stop()
		return nil, nil, err
	}
	motoBin, err := exec.LookPath("moto_server")
	if err != nil {
		local.stop()
		return nil, nil, errors.New("moto_server not found on PATH (the machine image ships moto 5.2.1)")
	}
	moto, err = startEmulator("moto",
		[]string{motoBin, "-H", "127.0.0.1", "-p", strconv.Itoa(mport)},
		nil, filepath.Join(work, "moto.log"), mport, "/moto-api/")
	if err != nil {
		local.stop()
		return nil, nil, err
	}
	return local, moto, nil
}
