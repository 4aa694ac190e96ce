package localaws

import (
	"strings"

	"github.com/credstage/credstage/localaws/internal/mycluster"
	"github.com/credstage/credstage/localaws/internal/pgcluster"
)

// The DB engines localaws runs, and everything that differs between them
// in one table: which server stands behind an instance, how a master
// password is hashed before it reaches the server (and rds.json), the
// parameter that forces TLS and its RDS default, the license model, the
// parameter group family and the default database. MariaDB stands in for
// MySQL (README.md lists what that leaves untested).

const (
	engineNameMariaDB = "mariadb"
	engineNameMySQL   = "mysql"
	// mysqlEngineVersion is the MySQL version a mysql instance reports;
	// the server behind it is the local MariaDB.
	mysqlEngineVersion = "8.0.39"
)

type engineSpec struct {
	name string
	// server is what runs behind the instance, for messages.
	server string
	// hashPassword is what PendingVerifier and the server get instead of
	// the plaintext: a SCRAM verifier, or a mysql_native_password hash.
	hashPassword func(password string) (string, error)
	// forceSSLParam is the parameter group's TLS switch; forceSSLDefault
	// its value in the default group, as on RDS (1 for PostgreSQL 15+, 0
	// for MariaDB 10.11 and MySQL 8.0).
	forceSSLParam   string
	forceSSLDefault bool
	licenseModel    string
	// maxMasterUser is RDS's MasterUsername length limit: 63 for
	// PostgreSQL, 16 for MariaDB, 32 for MySQL 8.0.
	maxMasterUser int
	// usesPostgres: a pgcluster instance, else a mycluster one.
	usesPostgres bool
}

var engines = map[string]engineSpec{
	engineNamePostgres: {name: engineNamePostgres, server: "PostgreSQL", hashPassword: pgcluster.SCRAMVerifier,
		forceSSLParam: paramForceSSL, forceSSLDefault: true, licenseModel: "postgresql-license", maxMasterUser: 63, usesPostgres: true},
	engineNameMariaDB: {name: engineNameMariaDB, server: "MariaDB", hashPassword: nativeHash,
		forceSSLParam: paramRequireSecureTransport, licenseModel: "general-public-license", maxMasterUser: 16},
	engineNameMySQL: {name: engineNameMySQL, server: "MariaDB (standing in for MySQL)", hashPassword: nativeHash,
		forceSSLParam: paramRequireSecureTransport, licenseModel: "general-public-license", maxMasterUser: 32},
}

func nativeHash(password string) (string, error) { return mycluster.NativePasswordHash(password), nil }

// engineOf is the spec of an instance's engine; records only ever hold
// engines of the table.
func engineOf(name string) engineSpec {
	if e, ok := engines[name]; ok {
		return e
	}
	return engines[engineNamePostgres]
}

// engineVersionOf is the version localaws reports for an engine: the
// local server's (PostgreSQL, MariaDB), or mysqlEngineVersion.
func (r *rdsService) engineVersionOf(engine string) string {
	switch engine {
	case engineNameMariaDB:
		return r.mariadbVersion
	case engineNameMySQL:
		return mysqlEngineVersion
	}
	return r.engineVersion
}

// familyOf is an engine's parameter group family: postgres15,
// mariadb10.11, mysql8.0.
func (r *rdsService) familyOf(engine string) string {
	v := strings.Split(r.engineVersionOf(engine), ".")
	switch engine {
	case engineNameMariaDB, engineNameMySQL:
		if len(v) < 2 {
			return engine
		}
		return engine + v[0] + "." + v[1]
	}
	return "postgres" + v[0]
}

// engineOfFamily is the engine a parameter group family belongs to.
func (r *rdsService) engineOfFamily(family string) (string, bool) {
	for _, e := range []string{engineNamePostgres, engineNameMariaDB, engineNameMySQL} {
		if r.familyOf(e) == family {
			return e, true
		}
	}
	return "", false
}

// serverErr is why instances of an engine cannot run here (binaries or OS
// user missing), nil when they can.
func (r *rdsService) serverErr(engine string) error {
	if engineOf(engine).usesPostgres {
		return r.pgErr
	}
	return r.myErr
}
