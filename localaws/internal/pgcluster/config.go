package pgcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxSocketDirLen keeps "<dir>/.s.PGSQL.<port>" within the 107 bytes a
// unix socket path may have.
const maxSocketDirLen = 107 - len("/.s.PGSQL.65535")

// runtimeConf is the name of the file postgresql.conf includes; it is
// rewritten before every start so the port and socket folder can change.
const runtimeConf = "localaws.conf"

// settings trade durability for speed (an emulator's data is disposable,
// and a crash just means re-creating it) and keep the footprint small so a
// laptop can run many clusters.
var settings = []string{
	"listen_addresses = '127.0.0.1'",
	"max_connections = 200",
	"shared_buffers = 16MB",
	"fsync = off",
	"synchronous_commit = off",
	"full_page_writes = off",
	"wal_level = minimal",
	"max_wal_senders = 0",
	"password_encryption = 'scram-sha-256'",
	"unix_socket_permissions = 0700",
	"huge_pages = off",
	"logging_collector = off",
	// Statements that fail are not logged, so nothing close to a password
	// literal can end up in postgres.log.
	"log_min_error_statement = panic",
}

// prepareSocketDir picks the socket folder (dbhost.SocketDir).
func (c *Cluster) prepareSocketDir() error {
	c.sock.Drop()
	sock, err := c.owner.NewSocketDir(c.dir, maxSocketDirLen, "pgsock-")
	if err != nil {
		return fmt.Errorf("pgcluster: %w", err)
	}
	c.sock = sock
	return nil
}

// writeRuntimeConf writes localaws.conf for the next start.
func (c *Cluster) writeRuntimeConf() error {
	var b strings.Builder
	b.WriteString("# written by localaws before every start\n")
	fmt.Fprintf(&b, "port = %d\n", c.port)
	fmt.Fprintf(&b, "unix_socket_directories = %s\n", confString(c.sock.Path))
	for _, s := range append(settings, c.sec.tlsSettings()...) {
		b.WriteString(s + "\n")
	}
	return c.owner.WriteFile(filepath.Join(c.DataDir(), runtimeConf), []byte(b.String()), 0o600)
}

// configure points postgresql.conf at localaws.conf. Runs once, right
// after initdb; the authentication rules are written before every start
// (writeSecurityFiles).
func (c *Cluster) configure() error {
	conf := filepath.Join(c.DataDir(), "postgresql.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, werr := f.WriteString("\ninclude '" + runtimeConf + "'\n")
	if err := f.Close(); werr == nil {
		werr = err
	}
	return werr
}

// confString quotes a postgresql.conf string value.
func confString(s string) string {
	return "'" + strings.ReplaceAll(strings.ReplaceAll(s, `\`, `\\`), "'", "''") + "'"
}
