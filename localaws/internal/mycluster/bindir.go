package mycluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/credstage/credstage/localaws/internal/dbhost"
)

// BinDirEnv names the environment variable that overrides where mariadbd
// (and mariadb-install-db) are looked up.
const BinDirEnv = "CREDSTAGE_MARIADB_BINDIR"

// Binaries are the two programs a cluster needs.
type Binaries struct {
	Server    string // mariadbd
	InstallDB string // mariadb-install-db
}

// FindBinaries looks for mariadbd in explicit if set, else
// $CREDSTAGE_MARIADB_BINDIR, else PATH, /usr/sbin and /usr/bin, and for
// mariadb-install-db beside it, else on PATH or in /usr/bin (Debian puts
// mariadbd in /usr/sbin and mariadb-install-db in /usr/bin).
func FindBinaries(explicit string) (Binaries, error) {
	named := explicit
	if named == "" {
		named = os.Getenv(BinDirEnv)
	}
	var dirs []string
	if named != "" {
		// A folder the user named must work; do not silently fall back.
		dirs = []string{named}
	} else {
		if p, err := exec.LookPath("mariadbd"); err == nil {
			dirs = append(dirs, filepath.Dir(p))
		}
		dirs = append(dirs, "/usr/sbin", "/usr/bin")
	}
	for _, d := range dirs {
		server := filepath.Join(d, "mariadbd")
		if !isExecutable(server) {
			continue
		}
		if install := findInstallDB(d); install != "" {
			return Binaries{Server: server, InstallDB: install}, nil
		}
	}
	if named != "" {
		return Binaries{}, fmt.Errorf("mycluster: %s has no mariadbd and mariadb-install-db (run make mariadb, or fix %s)", named, BinDirEnv)
	}
	return Binaries{}, fmt.Errorf("mycluster: MariaDB server binaries (mariadbd, mariadb-install-db) not found in %s; run make mariadb (installs Debian's mariadb-server package) or set %s",
		strings.Join(dirs, ", "), BinDirEnv)
}

func findInstallDB(serverDir string) string {
	if p := filepath.Join(serverDir, "mariadb-install-db"); isExecutable(p) {
		return p
	}
	if p, err := exec.LookPath("mariadb-install-db"); err == nil {
		return p
	}
	if p := "/usr/bin/mariadb-install-db"; isExecutable(p) {
		return p
	}
	return ""
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode().Perm()&0o111 != 0
}

var versionRE = regexp.MustCompile(`Ver (\d+\.\d+\.\d+)-MariaDB`)

// Version is the server version of mariadbd, e.g. "10.11.14".
func Version(server string) (string, error) {
	v, err := dbhost.Version(server, "MariaDB", versionRE)
	if err != nil {
		return "", fmt.Errorf("mycluster: %w", err)
	}
	return v, nil
}
