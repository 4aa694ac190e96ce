// Package pgcluster runs the real PostgreSQL clusters that stand behind
// localaws's RDS instances: one initdb'd data folder, one postmaster and one
// 127.0.0.1 port per instance.
//
// A cluster folder holds everything of one instance:
//
//	<dir>/data           PGDATA (initdb)
//	<dir>/sock           unix socket folder (or a short one under /tmp when
//	                     <dir> is too long for the 107-byte socket path limit)
//	<dir>/postgres.log   the postmaster's log
//	<dir>/ready          written last by Init: the cluster is fully bootstrapped
//
// Host connections authenticate with SCRAM-SHA-256 like RDS. The emulator
// itself connects over the unix socket as the superuser "rdsadmin" (trust,
// socket folder readable only by the cluster's OS user and root), the same
// name RDS gives its own superuser, so any MasterUsername a caller picks,
// "postgres" included, stays free.
//
// PostgreSQL refuses to run as root. When the process is root, initdb, pg_ctl
// and postgres run as an unprivileged OS user (Options.RunAs) and the
// cluster folder belongs to that user.
//
// Clusters are started and stopped with pg_ctl on their own data folder and
// tracked by the postmaster pid in data/postmaster.pid, never by process
// name, so unrelated PostgreSQL servers on the machine are never touched.
package pgcluster
