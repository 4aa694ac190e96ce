package localaws

import (
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"net/http"

	"github.com/credstage/credstage/localaws/internal/pgcluster"
)

// TLS as on RDS: every instance serves a certificate issued by the data
// folder's CA (rds_ca.go) for its endpoint, and refuses logins without TLS
// while its rds.force_ssl (PostgreSQL; 1 by default) or
// require_secure_transport (MariaDB, MySQL; 0 by default) is 1
// (rds_paramgroups.go).

// instanceDNSName is an instance's own host name, shaped like RDS's
// <id>.<account and Region hash>.<Region>.rds.amazonaws.com but in a
// domain that resolves nowhere: DescribeDBInstances gives 127.0.0.1 as the
// address, and the name is in the certificate so that a client checking
// host names has a second valid name, and every other name is wrong.
func (r *rdsService) instanceDNSName(id string) string {
	sum := sha256.Sum256([]byte(r.env.accountID + "/" + r.env.region))
	return id + ".c" + hex.EncodeToString(sum[:])[:11] + "." + r.env.region + ".rds.localaws.internal"
}

// securityLocked is how an instance's cluster must take logins now: a
// fresh certificate and the instance's rds.force_ssl (PostgreSQL) or
// require_secure_transport (MariaDB, MySQL).
func (r *rdsService) securityLocked(in *rdsInstance) (dbSecurity, error) {
	cert, key, err := r.ca.issue(r.instanceDNSName(in.Identifier))
	if err != nil {
		return dbSecurity{}, err
	}
	return dbSecurity{CertPEM: cert, KeyPEM: key, ForceSSL: r.forceSSLLocked(in), HostAuth: in.hostAuth}, nil
}

// applySecurity makes a running instance take its current rules for new
// logins (a reload; sessions stay), or records them for its next start.
func (r *rdsService) applySecurity(in *rdsInstance) error {
	in.op.Lock()
	defer in.op.Unlock()
	r.mu.Lock()
	sec, err := r.securityLocked(in)
	cluster := in.cluster
	r.mu.Unlock()
	if err != nil || cluster == nil {
		return err
	}
	return cluster.SetSecurity(sec)
}

// Password methods for SetInstanceHostAuth.
const (
	HostAuthMD5      = pgcluster.AuthMD5 // the default, as on RDS: SCRAM for SCRAM verifiers
	HostAuthSCRAM    = pgcluster.AuthSCRAM
	HostAuthPassword = pgcluster.AuthPassword // cleartext: a misconfigured or impostor server
)

// SetInstanceHostAuth makes an instance ask TCP clients for passwords with
// method (HostAuthMD5, HostAuthSCRAM or HostAuthPassword) until the emulator
// restarts. No RDS instance asks for a cleartext password: tests use it
// to stand for a misconfigured server or an impostor.
func (s *Server) SetInstanceHostAuth(id, method string) error {
	s.rds.mu.Lock()
	in, aerr := s.rds.lookupLocked(id)
	if aerr != nil {
		s.rds.mu.Unlock()
		return aerr
	}
	in.hostAuth = method
	s.rds.mu.Unlock()
	return s.rds.applySecurity(in)
}

// InstanceTLSCertificate is the certificate and key an instance serves,
// for a test that puts a TLS-terminating proxy in front of it: presenting
// the instance's own certificate, the proxy passes a client's host name
// check and channel binding, as a load balancer holding it would.
func (s *Server) InstanceTLSCertificate(id string) (tls.Certificate, error) {
	s.rds.mu.Lock()
	in, aerr := s.rds.lookupLocked(id)
	var cluster dbServer
	var engine string
	if aerr == nil {
		cluster, engine = in.cluster, in.Engine
	}
	s.rds.mu.Unlock()
	if aerr != nil {
		return tls.Certificate{}, aerr
	}
	if cluster == nil {
		return tls.Certificate{}, s.rds.serverErr(engine)
	}
	sec := cluster.Security()
	return tls.X509KeyPair(sec.CertPEM, sec.KeyPEM)
}

// RDSCABundle is the PEM bundle of the CA every instance's certificate
// chains to; it is also at DataDir/CABundleFile and GET /_localaws/rds/ca.pem.
func (s *Server) RDSCABundle() []byte { return append([]byte(nil), s.rds.ca.certPEM...) }

// RDSCABundlePath is the bundle's file.
func (s *Server) RDSCABundlePath() string { return s.rds.caPath }

// InstanceDNSName is the host name besides 127.0.0.1 in an instance's
// certificate.
func (s *Server) InstanceDNSName(id string) string { return s.rds.instanceDNSName(id) }

func (r *rdsService) serveCABundle(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/x-pem-file")
	_, _ = w.Write(r.ca.certPEM)
}
