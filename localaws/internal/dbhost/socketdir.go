package dbhost

import (
	"fmt"
	"os"
	"path/filepath"
)

// shortTempMax is the longest $TMPDIR a short socket folder is made in;
// a longer one gives way to /tmp.
const shortTempMax = 40

// SocketDir is the folder a server's unix socket lives in while it runs.
// A unix socket path may have 107 bytes only, so a cluster folder too deep
// for one gets a short private folder under /tmp instead, which Drop
// removes again (one left by a crash is an empty folder).
type SocketDir struct {
	Path string // "" when the server is not running
	Temp bool   // Path is a short folder under /tmp, removed by Drop
}

// NewSocketDir picks <clusterDir>/sock when it is at most maxLen bytes
// long, else a fresh folder under /tmp named after pattern (os.MkdirTemp),
// and gives it to the owner.
func (o *Owner) NewSocketDir(clusterDir string, maxLen int, pattern string) (SocketDir, error) {
	dir := filepath.Join(clusterDir, "sock")
	if len(dir) <= maxLen {
		return SocketDir{Path: dir}, o.Mkdir(dir, 0o700)
	}
	base := os.TempDir()
	if len(base) > shortTempMax {
		base = "/tmp"
	}
	tmp, err := os.MkdirTemp(base, pattern)
	if err != nil {
		return SocketDir{}, fmt.Errorf("make a short socket folder: %w", err)
	}
	if err := o.Chown(tmp); err != nil {
		_ = os.Remove(tmp)
		return SocketDir{}, err
	}
	return SocketDir{Path: tmp, Temp: true}, nil
}

// AdoptSocketDir is the socket folder of a server found running: a
// temporary one when it is not inside clusterDir.
func AdoptSocketDir(path, clusterDir string) SocketDir {
	return SocketDir{Path: path, Temp: !IsWithin(path, clusterDir)}
}

// Drop removes a temporary socket folder and forgets the folder.
func (s *SocketDir) Drop() {
	if s.Temp && s.Path != "" {
		_ = os.RemoveAll(s.Path)
		*s = SocketDir{}
	}
}
