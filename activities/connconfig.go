package activities

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"strconv"
	"strings"
	"time"

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
//	verify-ca    TLS, certificate chain checked against sslrootcert
//	             (system roots when absent), host name not checked
//	verify-full  TLS, chain and host name checked
func (s DBSecret) connConfig(secretID string, timeout time.Duration) (*pgx.ConnConfig, error) {
	cfg, err := pgx.ParseConfig("sslmode=disable")
	if err != nil {
		return nil, err
	}
	cfg.Host = s.Host
	cfg.Port = uint16(s.Port)
	cfg.Database = s.DBName
	cfg.User = s.Username
	cfg.Password = s.Password
	cfg.ConnectTimeout = timeout
	cfg.Fallbacks = nil // no second try in plaintext, nor on another host from PG* variables
	// Server-side bounds of every statement (engine.LockTimeout,
	// engine.StatementTimeout): a lock held on the role, or a probe that
	// never ends, fails the try instead of holding the step.
	cfg.RuntimeParams = map[string]string{
		"application_name":  "credstage",
		"lock_timeout":      strconv.FormatInt(engine.LockTimeout.Milliseconds(), 10),
		"statement_timeout": strconv.FormatInt(engine.StatementTimeout.Milliseconds(), 10),
	}
	cfg.TLSConfig, err = s.tlsConfig(secretID)
	if err != nil {
		return nil, err
	}
	return cfg, nil
}

func (s DBSecret) tlsConfig(secretID string) (*tls.Config, error) {
	mode := s.effectiveSSLMode()
	if mode == "disable" {
		return nil, nil
	}
	roots, err := s.rootCAs(secretID)
	if err != nil {
		return nil, err
	}
	if mode == "require" && roots == nil {
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, nil
	}
	if mode == "verify-full" {
		return &tls.Config{RootCAs: roots, ServerName: s.Host, MinVersion: tls.VersionTLS12}, nil
	}
	// verify-ca (and require with a root certificate): check the chain,
	// not the name, which is what Go's verifier cannot do on its own.
	return &tls.Config{
		InsecureSkipVerify: true,
		MinVersion:         tls.VersionTLS12,
		VerifyPeerCertificate: func(rawCerts [][]byte, _ [][]*x509.Certificate) error {
			certs := make([]*x509.Certificate, 0, len(rawCerts))
			for _, raw := range rawCerts {
				c, err := x509.ParseCertificate(raw)
				if err != nil {
					return err
				}
				certs = append(certs, c)
			}
			if len(certs) == 0 {
				return x509.CertificateInvalidError{Reason: x509.NotAuthorizedToSign}
			}
			opts := x509.VerifyOptions{Roots: roots, Intermediates: x509.NewCertPool()}
			for _, c := range certs[1:] {
				opts.Intermediates.AddCert(c)
			}
			_, err := certs[0].Verify(opts)
			return err
		},
	}, nil
}

// rootCAs is the pool from sslrootcert: inline PEM, or a file path.
func (s DBSecret) rootCAs(secretID string) (*x509.CertPool, error) {
	if s.SSLRootCert == "" {
		return nil, nil
	}
	pem := []byte(s.SSLRootCert)
	if !strings.Contains(s.SSLRootCert, "-----BEGIN") {
		b, err := os.ReadFile(s.SSLRootCert)
		if err != nil {
			return nil, malformed(secretID, "key %q names a file that cannot be read: %v", "sslrootcert", err)
		}
		pem = b
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, malformed(secretID, "key %q holds no PEM certificate", "sslrootcert")
	}
	return pool, nil
}
