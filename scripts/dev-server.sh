#!/usr/bin/env bash
# Runs the Temporal dev server with its Web UI in the foreground: gRPC on
# 7233, UI on 8233, SQLite file under .data/ (WAL and synchronous=normal:
# about 4x the throughput of the defaults here), the history service's
# transfer queue allowed more than its default 20 polls a second (which
# otherwise adds ~45 ms to every activity and child dispatch: a two-stage
# rotation took 1.65 s instead of ~0.5 s), credstage's search attributes
# registered.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .data
exec bin/temporal server start-dev \
	--ip 127.0.0.1 --port "${TEMPORAL_PORT:-7233}" --ui-port "${TEMPORAL_UI_PORT:-8233}" \
	--db-filename "${TEMPORAL_DB_FILE:-.data/temporal.db}" \
	--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
	--dynamic-config-value history.transferProcessorMaxPollRPS=1000 \
	--search-attribute CredstageEnvironment=Keyword \
	--search-attribute CredstageSecret=Keyword \
	--search-attribute CredstageStatus=Keyword \
	--log-level "${TEMPORAL_LOG_LEVEL:-warn}"
