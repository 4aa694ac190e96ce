#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (initdb, pg_ctl, postgres) are on
# this machine, installing Debian's `postgresql` package when they are not,
# and prints the folder they are in. localaws finds the same folder through
# CREDSTAGE_PG_BINDIR, `pg_config --bindir` or /usr/lib/postgresql/<v>/bin.
set -euo pipefail

find_bindir() {
	if [[ -n "${CREDSTAGE_PG_BINDIR:-}" && -x "${CREDSTAGE_PG_BINDIR}/initdb" ]]; then
		echo "$CREDSTAGE_PG_BINDIR"; return 0
	fi
	if command -v pg_config >/dev/null 2>&1; then
		local d; d="$(pg_config --bindir)"
		if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; return 0; fi
	fi
	local d
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
		if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then echo "$d"; return 0; fi
	done
	return 1
}

if ! bindir="$(find_bindir)"; then
	echo "PostgreSQL server binaries not found: installing Debian's postgresql package" >&2
	if [[ "$(id -u)" -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# The package's post-install creates a default cluster; credstage never
	# uses it (localaws makes its own), so it is stopped and left alone.
	$SUDO apt-get install -y -qq postgresql >/dev/null
	if command -v pg_ctlcluster >/dev/null 2>&1; then
		for c in $(pg_lsclusters -h 2>/dev/null | awk '{print $1"/"$2}'); do
			$SUDO pg_ctlcluster "${c%/*}" "${c#*/}" stop 2>/dev/null || true
		done
	fi
	bindir="$(find_bindir)" || { echo "postgresql installed but initdb/pg_ctl still not found" >&2; exit 1; }
fi

# PostgreSQL refuses to run as root; localaws runs clusters as this user.
if [[ "$(id -u)" -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
	useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
echo "$bindir"
