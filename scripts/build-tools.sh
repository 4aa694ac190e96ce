#!/usr/bin/env bash
# Builds the pinned Temporal CLI (dev server + Web UI) from source through the
# tools/ module into bin/temporal, once. Nothing is downloaded from anywhere
# but the Go module proxy. The first build takes about 5-8 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
version="$(grep -oE "github.com/temporalio/cli v[0-9.]+" tools/go.mod | head -1 | cut -d" " -f2)"
stamp="bin/.temporal-version"
if [[ -x bin/temporal && -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
	exit 0
fi
mkdir -p bin
echo "building Temporal CLI $version into bin/temporal (first time: several minutes)" >&2
(cd tools && go build -trimpath \
	-ldflags "-X github.com/temporalio/cli/temporalcli.Version=${version#v}" \
	-o ../bin/temporal github.com/temporalio/cli/cmd/temporal)
echo "$version" >"$stamp"
