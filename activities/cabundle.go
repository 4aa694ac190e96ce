package activities

import (
	"crypto/x509"
	"fmt"
	"os"
)

// EnvRDSCABundle names the file of CA certificates that database
// certificates are checked against when a secret names none of its own
// (sslrootcert): on AWS, the RDS bundle (global-bundle.pem); on the local
// stack, localaws's (DataDir/rds-ca/global-bundle.pem). Unset, the
// system's trusted roots are used, which RDS certificates do not chain to.
const EnvRDSCABundle = "CREDSTAGE_RDS_CA_BUNDLE"

// CABundle is a set of trusted CA certificates and where it came from, for
// errors that say what a certificate was checked against.
type CABundle struct {
	pool   *x509.CertPool
	source string
}

// LoadCABundle reads a PEM file of CA certificates.
func LoadCABundle(path string) (*CABundle, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("RDS CA bundle %s cannot be read: %w", path, err)
	}
	return CABundleFromPEM(data, "the RDS CA bundle "+path)
}

// CABundleFromPEM makes a bundle of PEM certificates; source names it in
// errors.
func CABundleFromPEM(pem []byte, source string) (*CABundle, error) {
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s holds no PEM certificate", source)
	}
	return &CABundle{pool: pool, source: source}, nil
}

// systemRoots stands for a nil pool: crypto/x509 then uses the system's.
var systemRoots = &CABundle{source: "the system's trusted roots (no RDS CA bundle was given: set " + EnvRDSCABundle + " or the worker's --rds-ca-bundle)"}
