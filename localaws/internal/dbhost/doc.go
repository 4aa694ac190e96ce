// Package dbhost holds what the database servers behind localaws's RDS
// instances (pgcluster's PostgreSQL, mycluster's MariaDB) need from the
// machine alike: an unprivileged OS account to run as when the emulator is
// root, since both servers refuse root, free 127.0.0.1 ports, a socket
// folder short enough for a unix socket path, a fresh private data folder,
// the server's programs run as that account in a clean environment, pid
// checks that never mistake a stranger or a zombie for the server, the end
// of a log for a failed start, and the version a server binary reports.
package dbhost
