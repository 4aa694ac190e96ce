package dbhost

import (
	"fmt"
	"log/slog"
	"path/filepath"
)

// CheckPort refuses a TCP port number no server can listen on, before a
// cluster is described with it.
func CheckPort(port int) error {
	if port <= 0 || port > 65535 {
		return fmt.Errorf("invalid port %d", port)
	}
	return nil
}

// ClusterLogger is l (a discarding logger when nil) tagged with the
// cluster folder's name, so the lines of many servers can be told apart.
func ClusterLogger(l *slog.Logger, dir string) *slog.Logger {
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return l.With("cluster", filepath.Base(dir))
}
