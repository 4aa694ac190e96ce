package dbhost

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// SysProcAttr runs a server's program as the owner and in its own process
// group, so a Ctrl-C meant for the emulator does not reach the server,
// which the emulator stops itself, in order.
func (o *Owner) SysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Credential: o.Credential(), Setpgid: true}
}

// Run executes bin as the owner in dir with env until it exits or ctx
// ends, and returns what it wrote to stdout and stderr, trimmed. A server
// a tool forks writes to its log file, not to these pipes; WaitDelay is a
// safety net should a child ever keep them open.
func (o *Owner) Run(ctx context.Context, dir string, env []string, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = o.SysProcAttr()
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return strings.TrimSpace(out.String()), err
}
