package localaws

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The emulator's stand-in for the RDS certificate authority: one CA per
// data folder, made on first use and kept, so a client configured with its
// bundle once keeps trusting every instance, across restarts, as a client
// configured with AWS's global bundle does.
const (
	caFolder = "rds-ca"
	// CABundleFile is the CA bundle's file name inside DataDir (AWS calls
	// its own global-bundle.pem).
	CABundleFile = caFolder + "/global-bundle.pem"
	caKeyFile    = caFolder + "/ca-key.pem"
	// caLifetime and certLifetime are long enough never to expire under a
	// test; a server certificate is issued again at every start anyway.
	caLifetime   = 20 * 365 * 24 * time.Hour
	certLifetime = 400 * 24 * time.Hour
)

type rdsCA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

// loadOrCreateCA reads the CA of dataDir, or makes one. The key is written
// before the bundle, so a bundle on disk always has its key.
func loadOrCreateCA(dataDir string) (*rdsCA, error) {
	bundlePath, keyPath := filepath.Join(dataDir, CABundleFile), filepath.Join(dataDir, caKeyFile)
	certPEM, certErr := os.ReadFile(bundlePath)
	keyPEM, keyErr := os.ReadFile(keyPath)
	if certErr == nil && keyErr == nil {
		ca, err := parseCA(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("localaws: the RDS CA in %s is unreadable (delete the folder to make a new one): %w", filepath.Dir(bundlePath), err)
		}
		return ca, nil
	}
	// Only a CA that is not there at all is made anew: one that cannot be
	// read is an error, since a new one would break every client holding
	// the old bundle.
	if certErr != nil && !errors.Is(certErr, os.ErrNotExist) {
		return nil, certErr
	}
	if keyErr != nil && !errors.Is(keyErr, os.ErrNotExist) {
		return nil, keyErr
	}
	if certErr == nil {
		return nil, fmt.Errorf("localaws: the RDS CA bundle %s has lost its key %s (delete the folder to make a new CA)",
			bundlePath, filepath.Base(keyPath))
	}
	// A key without a bundle is a creation that died in between: no
	// client can hold that CA, so it is made again.
	ca, keyDER, err := newCA()
	if err != nil {
		return nil, err
	}
	// Readable by all, as the bundle must be (a worker may run as another
	// user); the key file itself is private.
	if err := os.MkdirAll(filepath.Dir(keyPath), 0o755); err != nil {
		return nil, err
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(bundlePath, ca.certPEM, 0o644); err != nil {
		return nil, err
	}
	return ca, nil
}

func parseCA(certPEM, keyPEM []byte) (*rdsCA, error) {
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, errors.New("no PEM block")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, err
	}
	key, err := x509.ParseECPrivateKey(kb.Bytes)
	if err != nil {
		return nil, err
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("the key is not the certificate's")
	}
	return &rdsCA{cert: cert, key: key, certPEM: certPEM}, nil
}

func newCA() (*rdsCA, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serialNumber(),
		Subject:               pkix.Name{Organization: []string{"localaws"}, CommonName: "localaws RDS root CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caLifetime),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return &rdsCA{cert: cert, key: key, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, keyDER, nil
}

// issue makes a server certificate for an instance: valid for the address
// DescribeDBInstances gives (127.0.0.1) and for the instance's own DNS
// name, and for nothing else, so a client checking host names refuses it
// anywhere else ("localhost" included).
func (ca *rdsCA) issue(dnsName string) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serialNumber(),
		Subject:      pkix.Name{Organization: []string{"localaws"}, CommonName: dnsName},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(certLifetime),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{dnsName},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

func serialNumber() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		panic(err) // crypto/rand does not fail on Linux
	}
	return n
}
