package pgcluster

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
)

// Host authentication methods a cluster can ask TCP clients for.
const (
	// AuthMD5 is RDS's rule: PostgreSQL's md5 method runs SCRAM-SHA-256
	// for a role whose stored verifier is SCRAM and MD5 only for a role
	// that still has an MD5 hash (common on instances upgraded from old
	// versions), which is what a client meets on RDS.
	AuthMD5 = "md5"
	// AuthSCRAM accepts SCRAM-SHA-256 only.
	AuthSCRAM = "scram-sha-256"
	// AuthPassword asks for the password in clear text: no RDS instance
	// does this; it stands for a misconfigured or impostor server.
	AuthPassword = "password"
)

// Security is how a cluster takes TCP logins. The unix socket, which only
// the emulator reaches, is not affected.
type Security struct {
	// CertPEM and KeyPEM are the server's certificate chain and key;
	// empty serves no TLS at all.
	CertPEM, KeyPEM []byte
	// ForceSSL refuses TCP logins without TLS (RDS's rds.force_ssl=1).
	ForceSSL bool
	// HostAuth is AuthMD5 (the default), AuthSCRAM or AuthPassword.
	HostAuth string
}

const (
	certFile = "server.crt"
	keyFile  = "server.key"
)

func (s Security) validate() error {
	switch s.HostAuth {
	case "", AuthMD5, AuthSCRAM, AuthPassword:
	default:
		return fmt.Errorf("pgcluster: unknown host authentication method %q", s.HostAuth)
	}
	if (len(s.CertPEM) == 0) != (len(s.KeyPEM) == 0) {
		return errors.New("pgcluster: a server certificate needs its key, and a key its certificate")
	}
	if s.ForceSSL && len(s.CertPEM) == 0 {
		return errors.New("pgcluster: ForceSSL needs a server certificate")
	}
	return nil
}

// SetSecurity changes how TCP logins are taken. A running cluster reloads
// its configuration (TLS and pg_hba.conf are reloadable, as rds.force_ssl
// is a dynamic parameter on RDS): sessions already open stay open, new
// logins follow the new rules. A stopped cluster uses them at its next
// start.
func (c *Cluster) SetSecurity(s Security) error {
	if err := s.validate(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sec = s
	if c.sock.Path == "" || c.livePID() == 0 || !c.Initialized() {
		return nil // not started by this handle yet: Start writes them
	}
	if err := c.writeSecurityFiles(); err != nil {
		return err
	}
	if err := c.writeRuntimeConf(); err != nil {
		return err
	}
	return c.reloadLocked()
}

// Security is how the cluster takes TCP logins now.
func (c *Cluster) Security() Security {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sec
}

// reloadLocked makes the postmaster reread its configuration files.
func (c *Cluster) reloadLocked() error {
	if _, err := c.run(filepath.Join(c.binDir, "pg_ctl"), "reload", "-s", "-D", c.DataDir()); err != nil {
		return fmt.Errorf("pgcluster: reload %s: %w", c.dir, err)
	}
	return nil
}

// writeSecurityFiles installs the certificate, its key and pg_hba.conf;
// they are rewritten before every start, so a cluster made by an older
// emulator gains TLS on its next start.
func (c *Cluster) writeSecurityFiles() error {
	if len(c.sec.CertPEM) > 0 {
		if err := c.owner.WriteFile(filepath.Join(c.DataDir(), certFile), c.sec.CertPEM, 0o600); err != nil {
			return err
		}
		// PostgreSQL refuses a key file that others can read.
		if err := c.owner.WriteFile(filepath.Join(c.DataDir(), keyFile), c.sec.KeyPEM, 0o600); err != nil {
			return err
		}
	}
	return c.owner.WriteFile(filepath.Join(c.DataDir(), "pg_hba.conf"), []byte(c.sec.hba()), 0o600)
}

// tlsSettings are the postgresql.conf lines for the certificate.
func (s Security) tlsSettings() []string {
	if len(s.CertPEM) == 0 {
		return []string{"ssl = off"}
	}
	return []string{"ssl = on", "ssl_cert_file = '" + certFile + "'", "ssl_key_file = '" + keyFile + "'",
		"ssl_min_protocol_version = 'TLSv1.2'"}
}

// hba lets only the emulator's own superuser in without a password, and
// only over the unix socket (whose folder is private to the cluster's OS
// user and root); every other login needs a password, and over TCP with
// ForceSSL a TLS connection too, as on RDS.
func (s Security) hba() string {
	method := s.HostAuth
	if method == "" {
		method = AuthMD5
	}
	var b strings.Builder
	b.WriteString("# written by localaws before every start\n")
	b.WriteString("local all " + AdminUser + " trust\n")
	b.WriteString("local all all scram-sha-256\n")
	for _, network := range []string{"127.0.0.1/32", "::1/128"} {
		if s.ForceSSL {
			b.WriteString("hostnossl all all " + network + " reject\n")
		}
		b.WriteString("host all all " + network + " " + method + "\n")
	}
	return b.String()
}
