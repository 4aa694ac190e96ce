// Package dbhost holds what the database servers behind localaws's RDS
// instances (pgcluster's PostgreSQL, mycluster's MariaDB) need from the
// machine alike: an unprivileged OS account to run as when the emulator is
// root, since both servers refuse root, and free 127.0.0.1 ports.
package dbhost
