package dbhost

import (
	"os"
	"strings"
)

// Env is the environment for a server's programs: the emulator's own, in
// the C locale, without the variables whose names start with one of
// dropPrefixes (PG*, MYSQL*: a caller's PGDATA or MYSQL_HOST must not
// redirect them), and, when running as the owner, with that account's
// HOME, USER and LOGNAME instead of root's.
func (o *Owner) Env(dropPrefixes ...string) []string {
	env := []string{"LC_ALL=C", "LANG=C"}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if hasAnyPrefix(k, dropPrefixes) || k == "LC_ALL" || k == "LANG" ||
			(o != nil && (k == "HOME" || k == "USER" || k == "LOGNAME")) {
			continue
		}
		env = append(env, kv)
	}
	if o != nil {
		env = append(env, "HOME="+o.Home(), "USER="+o.Name(), "LOGNAME="+o.Name())
	}
	return env
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
