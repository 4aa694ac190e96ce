package pgcluster

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/credstage/credstage/localaws/internal/dbhost"
)

// BinDirEnv names the environment variable that overrides where initdb and
// pg_ctl are looked up.
const BinDirEnv = "CREDSTAGE_PG_BINDIR"

// FindBinDir returns the folder holding initdb, pg_ctl and postgres:
// explicit if set, else $CREDSTAGE_PG_BINDIR, else `pg_config --bindir`,
// else the newest /usr/lib/postgresql/<major>/bin (Debian's layout, where
// pg_config may belong to the client package only).
func FindBinDir(explicit string) (string, error) {
	var tried []string
	candidates := func(yield func(string) bool) {
		if explicit != "" && !yield(explicit) {
			return
		}
		if env := os.Getenv(BinDirEnv); env != "" && !yield(env) {
			return
		}
		if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
			if !yield(strings.TrimSpace(string(out))) {
				return
			}
		}
		for _, d := range debianBinDirs() {
			if !yield(d) {
				return
			}
		}
	}
	for dir := range candidates {
		tried = append(tried, dir)
		if hasServerBinaries(dir) {
			return dir, nil
		}
		if dir == explicit || dir == os.Getenv(BinDirEnv) {
			// A folder the user named must work; do not silently fall back.
			return "", fmt.Errorf("pgcluster: %s has no initdb, pg_ctl and postgres (run make postgres, or fix %s)", dir, BinDirEnv)
		}
	}
	return "", fmt.Errorf("pgcluster: PostgreSQL server binaries (initdb, pg_ctl) not found in %s; run make postgres (installs Debian's postgresql package) or set %s",
		strings.Join(append(tried, "/usr/lib/postgresql/*/bin"), ", "), BinDirEnv)
}

func hasServerBinaries(dir string) bool {
	for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
		if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.IsDir() {
			return false
		}
	}
	return true
}

// debianBinDirs lists /usr/lib/postgresql/<major>/bin, newest major first.
func debianBinDirs() []string {
	entries, _ := os.ReadDir("/usr/lib/postgresql")
	var majors []int
	for _, e := range entries {
		if n, err := strconv.Atoi(e.Name()); err == nil {
			majors = append(majors, n)
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(majors)))
	dirs := make([]string, 0, len(majors))
	for _, m := range majors {
		dirs = append(dirs, filepath.Join("/usr/lib/postgresql", strconv.Itoa(m), "bin"))
	}
	return dirs
}

var versionRE = regexp.MustCompile(`\(PostgreSQL\) (\d+(?:\.\d+)?)`)

// Version is the server version of the binaries in binDir, e.g. "15.14".
func Version(binDir string) (string, error) {
	v, err := dbhost.Version(filepath.Join(binDir, "postgres"), "PostgreSQL", versionRE)
	if err != nil {
		return "", fmt.Errorf("pgcluster: %w", err)
	}
	return v, nil
}
