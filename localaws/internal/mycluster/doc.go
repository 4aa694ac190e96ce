// Package mycluster runs the real MariaDB servers that stand behind
// localaws's RDS instances of the mariadb and mysql engines (MariaDB stands
// in for MySQL): one data folder, one mariadbd and one 127.0.0.1 port per
// instance.
//
// A cluster folder holds everything of one instance:
//
//	<dir>/data          the datadir (mariadb-install-db)
//	<dir>/my.cnf        the server's only option file, rewritten before every start
//	<dir>/tls/          server certificate and key
//	<dir>/sock/         unix socket folder (or a short one under /tmp when
//	                    <dir> is too long for the 107-byte socket path limit)
//	<dir>/mariadbd.pid  the server's pid file
//	<dir>/mariadb.log   the server's error log
//	<dir>/tmp/          the server's tmpdir
//	<dir>/ready         written last by Init: the server is fully bootstrapped
//
// The emulator itself connects over the unix socket as root@localhost
// without a password (the socket folder is readable only by the server's
// OS user and root); every other root account mariadb-install-db makes is
// dropped, so root has no way in over TCP. TCP logins use
// mysql_native_password, as RDS for MariaDB does by default.
//
// MariaDB refuses to run as root. When the process is root, mariadb-install-db
// and mariadbd run as an unprivileged OS user (Options.RunAs, default
// "mysql") and the cluster folder belongs to that user.
//
// Servers are tracked by the pid in their own pid file, checked against the
// process's working directory (mariadbd runs in its datadir), and stopped by
// that pid, never by process name, so unrelated MariaDB or MySQL servers on
// the machine are never touched.
package mycluster
