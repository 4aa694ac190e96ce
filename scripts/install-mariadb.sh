#!/usr/bin/env bash
# Makes sure MariaDB's server binaries (mariadbd, mariadb-install-db) are on
# this machine, installing Debian's `mariadb-server` package when they are
# not, and prints the folder mariadbd is in. localaws finds the same
# binaries through CREDSTAGE_MARIADB_BINDIR, PATH, /usr/sbin and /usr/bin.
set -euo pipefail

# has_server DIR: DIR holds mariadbd, and mariadb-install-db is in DIR or
# beside it (Debian puts mariadbd in /usr/sbin, mariadb-install-db in /usr/bin).
has_server() {
	[[ -x "$1/mariadbd" ]] && { [[ -x "$1/mariadb-install-db" ]] || command -v mariadb-install-db >/dev/null 2>&1 || [[ -x /usr/bin/mariadb-install-db ]]; }
}

find_bindir() {
	if [[ -n "${CREDSTAGE_MARIADB_BINDIR:-}" ]]; then
		# A folder the user named must work; no silent fall-back.
		if has_server "$CREDSTAGE_MARIADB_BINDIR"; then echo "$CREDSTAGE_MARIADB_BINDIR"; return 0; fi
		return 1
	fi
	local d
	if d="$(command -v mariadbd 2>/dev/null)" && has_server "$(dirname "$d")"; then
		dirname "$d"; return 0
	fi
	for d in /usr/sbin /usr/bin; do
		if has_server "$d"; then echo "$d"; return 0; fi
	done
	return 1
}

# stop_packaged_server stops the server the package's post-install may
# start: localaws runs its own servers, one per RDS instance, and the
# packaged one would only hold port 3306 and memory. Only the service and
# the pid its own pid file names are stopped, never mariadbd by name.
stop_packaged_server() {
	if command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
		$SUDO systemctl stop mariadb 2>/dev/null || true
		$SUDO systemctl disable mariadb 2>/dev/null || true
	fi
	if command -v service >/dev/null 2>&1; then
		$SUDO service mariadb stop >/dev/null 2>&1 || true
	fi
	local f pid
	for f in /run/mysqld/mysqld.pid /var/run/mysqld/mysqld.pid; do
		[[ -r "$f" ]] || continue
		pid="$(cat "$f" 2>/dev/null || true)"
		if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
			$SUDO kill -TERM "$pid" 2>/dev/null || true
			for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		fi
	done
}

if [[ "$(id -u)" -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
if ! bindir="$(find_bindir)"; then
	if [[ -n "${CREDSTAGE_MARIADB_BINDIR:-}" ]]; then
		echo "CREDSTAGE_MARIADB_BINDIR=$CREDSTAGE_MARIADB_BINDIR has no mariadbd and mariadb-install-db" >&2
		exit 1
	fi
	echo "MariaDB server binaries not found: installing Debian's mariadb-server package" >&2
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq mariadb-server >/dev/null
	stop_packaged_server
	bindir="$(find_bindir)" || { echo "mariadb-server installed but mariadbd/mariadb-install-db still not found" >&2; exit 1; }
fi

# MariaDB refuses to run as root; localaws runs servers as this user (the
# package normally creates it).
if [[ "$(id -u)" -eq 0 ]] && ! id mysql >/dev/null 2>&1; then
	useradd --system --home-dir /nonexistent --no-create-home --shell /bin/false mysql
fi
echo "$bindir"
