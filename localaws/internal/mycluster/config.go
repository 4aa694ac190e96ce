package mycluster

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// socketName is the socket file in the socket folder; the folder is kept
// within the 107 bytes a unix socket path may have.
const (
	socketName      = "mysqld.sock"
	maxSocketDirLen = 107 - len("/"+socketName)
)

// settings trade durability for speed (an emulator's data is disposable)
// and keep the footprint small so a laptop can run many servers.
var settings = []string{
	"bind-address = 127.0.0.1",
	// Logins are matched by address only, as the accounts are made
	// ('<master>'@'%'); no DNS lookups slow down or break a login.
	"skip-name-resolve",
	"max_connections = 200",
	"innodb_buffer_pool_size = 16M",
	"innodb_log_file_size = 16M",
	"innodb_flush_log_at_trx_commit = 2",
	"innodb_doublewrite = 0",
	"sync_binlog = 0",
	"performance_schema = OFF",
	"character-set-server = utf8mb4",
	"collation-server = utf8mb4_general_ci",
	"default_password_lifetime = 0",
	// No general or slow query log: nothing close to a password literal
	// may end up in a file.
	"general_log = 0",
	"slow_query_log = 0",
	"log_warnings = 1",
}

// prepareSocketDir picks the socket folder (dbhost.SocketDir).
func (c *Cluster) prepareSocketDir() error {
	c.sock.Drop()
	sock, err := c.owner.NewSocketDir(c.dir, maxSocketDirLen, "mysock-")
	if err != nil {
		return fmt.Errorf("mycluster: %w", err)
	}
	c.sock = sock
	return nil
}

// tmpDir is the server's own tmpdir (see Init).
func (c *Cluster) tmpDir() string { return filepath.Join(c.dir, "tmp") }

func (c *Cluster) socketPath() string { return filepath.Join(c.sock.Path, socketName) }

// writeConf writes my.cnf for the next start: the server reads this file
// only (--defaults-file), so no option file of the machine or of the OS
// user's home changes what it does.
func (c *Cluster) writeConf() error {
	var b strings.Builder
	b.WriteString("# written by localaws before every start\n[mariadbd]\n")
	fmt.Fprintf(&b, "datadir = %s\n", c.DataDir())
	fmt.Fprintf(&b, "port = %d\n", c.port)
	fmt.Fprintf(&b, "socket = %s\n", c.socketPath())
	fmt.Fprintf(&b, "pid-file = %s\n", c.pidFile())
	fmt.Fprintf(&b, "log-error = %s\n", c.logFile())
	fmt.Fprintf(&b, "tmpdir = %s\n", c.tmpDir())
	for _, s := range append(settings, c.sec.settings(c.tlsDir())...) {
		b.WriteString(s + "\n")
	}
	return c.owner.WriteFile(c.confFile(), []byte(b.String()), 0o600)
}

// confEndpoint reads the port and socket a running server was started
// with from its my.cnf, to adopt a server an earlier emulator left.
func (c *Cluster) confEndpoint() (port int, sock string, ok bool) {
	data, err := os.ReadFile(c.confFile())
	if err != nil {
		return 0, "", false
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		k, v, found := strings.Cut(sc.Text(), "=")
		if !found {
			continue
		}
		switch strings.TrimSpace(k) {
		case "port":
			port, _ = strconv.Atoi(strings.TrimSpace(v))
		case "socket":
			sock = strings.TrimSpace(v)
		}
	}
	return port, sock, port > 0 && sock != ""
}
