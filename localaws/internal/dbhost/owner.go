package dbhost

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

// Owner is the OS account a database server's processes run as. A nil
// *Owner means "the current user" (the process is not root), and then
// nothing is chowned or switched.
type Owner struct {
	name     string
	server   string // what runs as it, for error messages
	uid, gid int
	home     string
}

// ResolveOwner returns nil when the process is not root; otherwise the
// unprivileged account runAs (defaultUser when empty) that server, which
// refuses root (PostgreSQL, MariaDB), must run as. server names it in
// errors.
func ResolveOwner(runAs, defaultUser, server string) (*Owner, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	if runAs == "" {
		runAs = defaultUser
	}
	u, err := user.Lookup(runAs)
	if err != nil {
		return nil, fmt.Errorf("%s refuses to run as root and the OS user %q to run it as cannot be found: %w", server, runAs, err)
	}
	uid, err1 := strconv.Atoi(u.Uid)
	gid, err2 := strconv.Atoi(u.Gid)
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("OS user %q has a non-numeric uid/gid", runAs)
	}
	if uid == 0 {
		return nil, fmt.Errorf("OS user %q is root; %s needs an unprivileged user", runAs, server)
	}
	return &Owner{name: runAs, server: server, uid: uid, gid: gid, home: u.HomeDir}, nil
}

// Credential is what exec.Cmd needs to run a command as the owner.
func (o *Owner) Credential() *syscall.Credential {
	if o == nil {
		return nil
	}
	return &syscall.Credential{Uid: uint32(o.uid), Gid: uint32(o.gid), Groups: []uint32{}}
}

// Chown gives path to the owner (no-op when not root).
func (o *Owner) Chown(path string) error {
	if o == nil {
		return nil
	}
	return os.Lchown(path, o.uid, o.gid)
}

// Mkdir creates dir (mode perm) owned by the owner.
func (o *Owner) Mkdir(dir string, perm os.FileMode) error {
	if err := os.MkdirAll(dir, perm); err != nil {
		return err
	}
	if err := os.Chmod(dir, perm); err != nil {
		return err
	}
	return o.Chown(dir)
}

// WriteFile writes a file the server's processes can read.
func (o *Owner) WriteFile(path string, data []byte, perm os.FileMode) error {
	if err := os.WriteFile(path, data, perm); err != nil {
		return err
	}
	return o.Chown(path)
}

// EnsureReachable makes sure the owner can traverse every folder above dir.
// Folders at or below ownRoot belong to the emulator and temp folders it
// made (os.MkdirTemp gives 0700) are fixed by adding the search bit for
// group and others (not the read bit: nobody can list them); any other
// folder that blocks is reported, never changed, since chmodding e.g.
// /root behind the user's back would be worse than failing.
func (o *Owner) EnsureReachable(dir, ownRoot string) error {
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
			ours := ownRoot != "" && IsWithin(d, ownRoot)
			tempOfOurs := IsWithin(d, tmp) && d != tmp && ownedByUs(fi)
			if !ours && !tempOfOurs {
				return fmt.Errorf("%s runs as OS user %q, which cannot enter %s (mode %v); choose a data folder that user can reach or run chmod o+x %s",
					o.server, o.name, d, fi.Mode().Perm(), d)
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

func (o *Owner) canSearch(fi fs.FileInfo) bool {
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

// IsWithin reports whether path is root or below it.
func IsWithin(path, root string) bool {
	root = filepath.Clean(root)
	return path == root || strings.HasPrefix(path, root+string(filepath.Separator))
}

// Name is the account's user name ("" for the current user).
func (o *Owner) Name() string {
	if o == nil {
		return ""
	}
	return o.name
}

// Home is the account's home folder ("" for the current user).
func (o *Owner) Home() string {
	if o == nil {
		return ""
	}
	return o.home
}
