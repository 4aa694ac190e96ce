package localaws

import (
	"context"
	"errors"

	"github.com/credstage/credstage/localaws/internal/mycluster"
	"github.com/credstage/credstage/localaws/internal/pgcluster"
)

// dbServer is the database server behind one instance, whatever its
// engine: the instance code (create, stop, start, reboot, password
// changes, TLS, delete, recovery) runs through these methods only.
type dbServer interface {
	// Initialized reports whether Init finished for the server's folder.
	Initialized() bool
	// Init creates the server from nothing with the master user (its
	// password given as the engine's hash) and database, and leaves it
	// running; it starts over after an interrupted run.
	Init(ctx context.Context, master, passwordHash, dbName string) error
	Start() error
	Stop() error
	// Remove stops the server and deletes its folder.
	Remove() error
	Running() bool
	PID() int
	Port() int
	// SetPasswordHash gives user the password of the engine's hash;
	// errDBNotRunning when the server is down.
	SetPasswordHash(ctx context.Context, user, hash string) error
	SetSecurity(dbSecurity) error
	Security() dbSecurity
}

// dbSecurity is how a server takes TCP logins (pgcluster.Security,
// mycluster.Security). HostAuth applies to PostgreSQL only.
type dbSecurity struct {
	CertPEM, KeyPEM []byte
	ForceSSL        bool
	HostAuth        string
}

var errDBNotRunning = errors.New("the database server is not running")

// notRunningAs turns a cluster package's own not-running error into
// errDBNotRunning, the one the RDS handlers answer for either engine.
func notRunningAs(err, notRunning error) error {
	if errors.Is(err, notRunning) {
		return errDBNotRunning
	}
	return err
}

var (
	_ dbServer = pgServer{}
	_ dbServer = myServer{}
)

// pgServer adapts a PostgreSQL cluster.
type pgServer struct{ *pgcluster.Cluster }

func (s pgServer) Init(ctx context.Context, master, verifier, dbName string) error {
	return s.Cluster.Init(ctx, pgcluster.Bootstrap{MasterUser: master, MasterPassword: verifier, DBName: dbName})
}

func (s pgServer) SetPasswordHash(ctx context.Context, user, verifier string) error {
	return notRunningAs(s.Cluster.SetPassword(ctx, user, verifier), pgcluster.ErrNotRunning)
}

func (s pgServer) SetSecurity(sec dbSecurity) error {
	return s.Cluster.SetSecurity(pgcluster.Security{CertPEM: sec.CertPEM, KeyPEM: sec.KeyPEM, ForceSSL: sec.ForceSSL, HostAuth: sec.HostAuth})
}

func (s pgServer) Security() dbSecurity {
	sec := s.Cluster.Security()
	return dbSecurity{CertPEM: sec.CertPEM, KeyPEM: sec.KeyPEM, ForceSSL: sec.ForceSSL, HostAuth: sec.HostAuth}
}

// myServer adapts a MariaDB server.
type myServer struct{ *mycluster.Cluster }

func (s myServer) Init(ctx context.Context, master, hash, dbName string) error {
	return s.Cluster.Init(ctx, mycluster.Bootstrap{MasterUser: master, MasterPasswordHash: hash, DBName: dbName})
}

func (s myServer) SetPasswordHash(ctx context.Context, user, hash string) error {
	return notRunningAs(s.Cluster.SetPassword(ctx, user, hash), mycluster.ErrNotRunning)
}

func (s myServer) SetSecurity(sec dbSecurity) error {
	return s.Cluster.SetSecurity(mycluster.Security{CertPEM: sec.CertPEM, KeyPEM: sec.KeyPEM, ForceSSL: sec.ForceSSL})
}

func (s myServer) Security() dbSecurity {
	sec := s.Cluster.Security()
	return dbSecurity{CertPEM: sec.CertPEM, KeyPEM: sec.KeyPEM, ForceSSL: sec.ForceSSL}
}
