package mycluster

import (
	"context"
	"errors"
	"path/filepath"
)

// Security is how a server takes TCP logins; the fields are those of
// pgcluster.Security, so the emulator treats both engines alike. The unix
// socket, which only the emulator reaches, is not affected (MariaDB counts
// it as a secure transport).
type Security struct {
	// CertPEM and KeyPEM are the server's certificate chain and key;
	// empty serves no TLS at all.
	CertPEM, KeyPEM []byte
	// ForceSSL refuses TCP logins without TLS: require_secure_transport=ON,
	// the RDS for MariaDB and MySQL parameter of that name.
	ForceSSL bool
}

const (
	certFile = "server.crt"
	keyFile  = "server.key"
)

func (s Security) validate() error {
	if (len(s.CertPEM) == 0) != (len(s.KeyPEM) == 0) {
		return errors.New("mycluster: a server certificate needs its key, and a key its certificate")
	}
	if s.ForceSSL && len(s.CertPEM) == 0 {
		return errors.New("mycluster: ForceSSL needs a server certificate")
	}
	return nil
}

func (c *Cluster) tlsDir() string { return filepath.Join(c.dir, "tls") }

// settings are the my.cnf lines for TLS.
func (s Security) settings(tlsDir string) []string {
	lines := []string{"require_secure_transport = " + onOff(s.ForceSSL)}
	if len(s.CertPEM) == 0 {
		return lines
	}
	return append(lines, "ssl_cert = "+filepath.Join(tlsDir, certFile), "ssl_key = "+filepath.Join(tlsDir, keyFile),
		"tls_version = TLSv1.2,TLSv1.3")
}

func onOff(b bool) string {
	if b {
		return "ON"
	}
	return "OFF"
}

// writeSecurityFiles installs the certificate and its key; they are
// rewritten before every start.
func (c *Cluster) writeSecurityFiles() error {
	if len(c.sec.CertPEM) == 0 {
		return nil
	}
	if err := c.owner.Mkdir(c.tlsDir(), 0o700); err != nil {
		return err
	}
	if err := c.owner.WriteFile(filepath.Join(c.tlsDir(), certFile), c.sec.CertPEM, 0o600); err != nil {
		return err
	}
	return c.owner.WriteFile(filepath.Join(c.tlsDir(), keyFile), c.sec.KeyPEM, 0o600)
}

// SetSecurity changes how TCP logins are taken. A running server reloads
// its certificate (FLUSH SSL) and takes the new require_secure_transport
// (dynamic in MariaDB, as on RDS): sessions already open stay open, new
// logins follow the new rules. A stopped server uses them at its next start.
func (c *Cluster) SetSecurity(s Security) error {
	if err := s.validate(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	prev := c.sec
	c.sec = s
	if c.sock.Path == "" || c.livePID() == 0 || !c.Initialized() {
		return nil // not started by this handle yet: Start writes them
	}
	if len(prev.CertPEM) == 0 && len(s.CertPEM) > 0 {
		// MariaDB cannot turn TLS on without a restart.
		c.sec = prev
		return errors.New("mycluster: TLS cannot be turned on in a running server; stop and start it")
	}
	if err := c.writeSecurityFiles(); err != nil {
		return err
	}
	if err := c.writeConf(); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), adminTimeout)
	defer cancel()
	return c.adminExecLocked(ctx, "apply the TLS settings", "FLUSH SSL",
		"SET GLOBAL require_secure_transport = "+onOff(s.ForceSSL))
}

// Security is how the server takes TCP logins now.
func (c *Cluster) Security() Security {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sec
}
