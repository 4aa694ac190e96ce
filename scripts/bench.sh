#!/usr/bin/env bash
# Runs the benchmarks of tests/bench on the local stack.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! compgen -G "tests/bench/*.go" >/dev/null; then
	echo "make bench: the benchmarks (tests/bench) are not built yet; see the benchmarks issue." >&2
	exit 1
fi
exec go test -run '^$' -bench . -benchtime 1x -timeout 60m ./tests/bench/ "$@"
