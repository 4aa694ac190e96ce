package dbhost

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Both clusters find their server by a pid file and must never mistake a
// stranger that inherited a stale pid, or a zombie nobody reaped yet, for
// it; these are the checks they share.

// Alive reports whether pid runs; a zombie (exited, not yet reaped by
// whoever inherited it) counts as gone.
func Alive(pid int) bool {
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

// WaitGone polls until pid is no longer Alive or timeout passes, and
// reports whether it is gone.
func WaitGone(pid int, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if !Alive(pid) {
			return true
		}
	}
	return !Alive(pid)
}

// WorksIn reports whether pid's working directory is dir: both servers
// work in their data folder, which tells them from a process that reused a
// stale pid. The error is set when /proc does not say (e.g. another
// user's process without the right to look).
func WorksIn(pid int, dir string) (bool, error) {
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	if err != nil {
		return false, err
	}
	return filepath.Clean(cwd) == filepath.Clean(dir), nil
}
