package pgcluster

import (
	"fmt"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// owner is the OS account the cluster's processes run as. A nil *owner
// means "the current user" (the process is not root), and then nothing is
// chowned or switched.
type owner struct {
	name     string
	uid, gid int
	home     string
}

// resolveOwner returns nil when the process is not root; otherwise the
// unprivileged account PostgreSQL must run as.
func resolveOwner(runAs string) (*owner, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if runAs == "" {
		runAs = "postgres"
	}
	u, err := user.Lookup(runAs)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: PostgreSQL refuses to run as root and the OS user %q to run it as cannot be found: %w", runAs, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("pgcluster: OS user %q has a non-numeric uid/gid", runAs)
	}
	if uid == 0 {
		return nil, fmt.Errorf("pgcluster: OS user %q is root; PostgreSQL needs an unprivileged user", runAs)
	}
	return &owner{name: runAs, uid: uid, gid: gid, home: u.HomeDir}, nil
}

// credential is what exec.Cmd needs to run a command as the owner.
func (o *owner) credential() *syscall.Credential {
	if o == nil {
		return nil
	}
	return &syscall.Credential{Uid: uint32(o.uid), Gid: uint32(o.gid), Groups: []uint32{}}
}

// chown gives path to the owner (no-op when not root).
func (o *owner) chown(path string) error {
	if o == nil {
		return nil
	}
	return os.Lchown(path, o.uid, o.gid)
}

// mkdir creates dir (mode perm) owned by the owner.
func (o *owner) mkdir(dir string, perm os.FileMode) error {
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	if err := os.Chmod(dir, perm); err != nil {
		return err
	}
	return o.chown(dir)
}

// writeFile writes a file the cluster's processes can read.
func (o *owner) writeFile(path string, data []byte, perm os.FileMode) error {
	if err := os.WriteFile(path, data, perm); err != nil {
		return err
	}
	return o.chown(path)
}

// ensureReachable makes sure the owner can traverse every folder above dir.
// Folders at or below ownRoot belong to the emulator and temp folders it
// made (os.MkdirTemp gives 0700) are fixed by adding the search bit for
// group and others (not the read bit: nobody can list them); any other
// folder that blocks is reported, never changed, since chmodding e.g.
// /root behind the user's back would be worse than failing.
func (o *owner) ensureReachable(dir, ownRoot string) error {
	if o == nil {
		return nil
	}
	tmp := filepath.Clean(os.TempDir())
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		if !o.canSearch(fi) {
			ours := ownRoot != "" && isWithin(d, ownRoot)
			tempOfOurs := isWithin(d, tmp) && d != tmp && ownedByUs(fi)
			if !ours && !tempOfOurs {
				return fmt.Errorf("pgcluster: PostgreSQL runs as OS user %q, which cannot enter %s (mode %v); choose a data folder that user can reach or run chmod o+x %s",
					o.name, d, fi.Mode().Perm(), d)
			}
			if err := os.Chmod(d, fi.Mode().Perm()|0o011); err != nil {
				return err
			}
		}
		if d == filepath.Dir(d) {
			return nil
		}
	}
}

func (o *owner) canSearch(fi fs.FileInfo) bool {
	perm := fi.Mode().Perm()
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return perm&0o001 != 0
	}
	switch {
	case int(st.Uid) == o.uid:
		return perm&0o100 != 0
	case int(st.Gid) == o.gid:
		return perm&0o010 != 0
	}
	return perm&0o001 != 0
}

func ownedByUs(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return ok && int(st.Uid) == os.Geteuid()
}

func isWithin(path, root string) bool {
	root = filepath.Clean(root)
	return path == root || strings.HasPrefix(path, root+string(filepath.Separator))
}
