package activities

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/credstage/credstage/engine"
)

// connConfig is the pgx configuration of a login with this secret. It is
// built field by field: a connection string would carry the password, and
// pgx quotes connection strings in some of its errors.
//
// TLS follows effectiveSSLMode exactly, with no fall-back configurations:
//
//	disable      plaintext
//	require      TLS, server certificate not checked (as libpq), or checked
//	             against sslrootcert when the secret has one
//	verify-ca    TLS, certificate chain checked, host name not checked
//	verify-full  TLS, chain and host name checked (the default)
//
// Chains are checked against the secret's sslrootcert, else the
// deployment's RDS CA bundle (Options.RDSCABundle), else the system's
// roots.
//
// Whatever the sslmode, a password is sent only through SCRAM-SHA-256: a
// server that asks for a cleartext or MD5 password (an impostor, or a
// role whose stored password is still an MD5 hash) is refused before the
// password leaves this process. Channel binding (SCRAM-SHA-256-PLUS) is
// used whenever the server offers it over TLS.
func (a *Activities) connConfig(secretID string, s DBSecret) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, err
	}
	cfg.Host = s.Host
	cfg.Port = uint16(s.Port)
	cfg.Database = s.DBName
	cfg.User = s.Username
	cfg.Password = s.Password
	cfg.ConnectTimeout = a.opts.ConnectTimeout
	cfg.Fallbacks = nil // no second try in plaintext, nor on another host from PG* variables
	cfg.RequireAuth = "scram-sha-256"
	cfg.ChannelBinding = "prefer"
	// Server-side bounds of every statement (engine.LockTimeout,
	// engine.StatementTimeout): a lock held on the role, or a probe that
	// never ends, fails the try instead of holding the step.
	cfg.RuntimeParams = map[string]string{
		"application_name":  "credstage",
		"lock_timeout":      strconv.FormatInt(engine.LockTimeout.Milliseconds(), 10),
		"statement_timeout": strconv.FormatInt(engine.StatementTimeout.Milliseconds(), 10),
	}
	cfg.TLSConfig, err = s.tlsConfig(secretID, a.caBundle())
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

func (a *Activities) caBundle() *CABundle {
	if a.opts.RDSCABundle != nil {
		return a.opts.RDSCABundle
	}
	return systemRoots
}

func (s DBSecret) tlsConfig(secretID string, deployment *CABundle) (*tls.Config, error) {
	mode := s.effectiveSSLMode()
	if mode == "disable" {
		return nil, nil
	}
	own, err := s.rootCAs(secretID)
	if err != nil {
		return nil, err
	}
	if mode == "require" && own == nil {
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, nil
	}
	trust := deployment
	if own != nil {
		trust = own
	}
	host := ""
	if mode == "verify-full" {
		host = s.Host
	}
	// Go's own check cannot leave the host name out (verify-ca), and its
	// errors do not say what the chain was checked against: check here.
	return &tls.Config{
		ServerName:         s.Host,
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
		VerifyConnection:   func(cs tls.ConnectionState) error { return trust.verify(cs.PeerCertificates, host) },
	}, nil
}

// verify checks a server's chain against the bundle and, when host is not
// empty, that the certificate is for host.
func (b *CABundle) verify(certs []*x509.Certificate, host string) error {
	if len(certs) == 0 {
		return &tlsTrustError{err: x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}, why: "the server sent no certificate"}
	}
	opts := x509.VerifyOptions{Roots: b.pool, Intermediates: x509.NewCertPool(), DNSName: strings.Trim(host, "[]")}
	for _, c := range certs[1:] {
		opts.Intermediates.AddCert(c)
	}
	_, err := certs[0].Verify(opts)
	switch {
	case err == nil:
		return nil
	case isHostnameError(err):
		return &tlsTrustError{err: err, why: fmt.Sprintf("the server's certificate is not for the host %q (sslmode verify-full checks the name)", host)}
	default:
		return &tlsTrustError{err: err, why: "the server's certificate was checked against " + b.source}
	}
}

func isHostnameError(err error) bool {
	_, ok := err.(x509.HostnameError)
	return ok
}

// tlsTrustError is a refused server certificate with what it was checked
// against; it unwraps to crypto/x509's error.
type tlsTrustError struct {
	err error
	why string
}

func (e *tlsTrustError) Error() string { return e.why + ": " + e.err.Error() }
func (e *tlsTrustError) Unwrap() error { return e.err }

// rootCAs is the pool from sslrootcert: inline PEM, or a file path.
func (s DBSecret) rootCAs(secretID string) (*CABundle, error) {
	if s.SSLRootCert == "" {
		return nil, nil
	}
	pem := []byte(s.SSLRootCert)
	source := "the secret's sslrootcert"
	if !strings.Contains(s.SSLRootCert, "-----BEGIN") {
		b, err := os.ReadFile(s.SSLRootCert)
		if err != nil {
			return nil, malformed(secretID, "key %q names a file that cannot be read: %v", "sslrootcert", err)
		}
		pem, source = b, "the secret's sslrootcert "+s.SSLRootCert
	}
	bundle, err := CABundleFromPEM(pem, source)
	if err != nil {
		return nil, malformed(secretID, "key %q holds no PEM certificate", "sslrootcert")
	}
	return bundle, nil
}
