#!/usr/bin/env bash
# Runs the benchmarks of tests/bench on the local stack (README.md,
# Benchmarks): one table on stdout, every figure in bench-results.json.
#
# The full run takes about an hour and a quarter on 2 cores (most of it B3
# at 5,000 secrets, the one-workflow-per-secret runs and B9's two budgeted
# fleet rotations). Shrink or grow it with:
#
#   CREDSTAGE_BENCH_SIZES=100,1000,5000  B3 fleet sizes
#   CREDSTAGE_BENCH_B2_SECRETS=1000      B2 fleet size (half staging, half production)
#   CREDSTAGE_BENCH_REPS=3               runs per figure (median, min, max)
#   CREDSTAGE_BENCH_B3_REPS=2            runs per B3 size other than B2's (5,000 takes ~10 minutes)
#   CREDSTAGE_BENCH_CHILD_REPS=1         runs of the one-workflow-per-secret design (0: skip)
#   CREDSTAGE_BENCH_DESIGNS=children,batched
#   CREDSTAGE_BENCH_LATENCY_RUNS=20      B1 and B5 runs
#   CREDSTAGE_BENCH_PARALLEL=16          baseline goroutines = the plans' maxParallel
#   CREDSTAGE_BENCH_BATCH_SIZE=0         the plans' batchSize (0: the workflow's default)
#   CREDSTAGE_BENCH_INSTANCES=4          RDS instances
#   CREDSTAGE_BENCH_APP_RATE=10          B4: new connections per second
#   CREDSTAGE_BENCH_APP_SECRETS=20       B4: secrets the simulated application uses
#   CREDSTAGE_BENCH_PROVISION=10         B6: instances provisioned at once, per wait design (0: skip)
#   CREDSTAGE_BENCH_CHECK_INTERVAL=15s   B4 library/agent, B7, B8: the library's and the agent's version check
#   CREDSTAGE_BENCH_AGENT_READS=2000     B8: reads per measurement (sequential, then concurrent)
#   CREDSTAGE_BENCH_AGENT_GOROUTINES=4   B8: goroutines of the concurrent reads
#   CREDSTAGE_BENCH_QUOTA_SECRETS=2000   B9: secrets rotated in one batched stage under AWS's quotas (0: skip)
#   CREDSTAGE_BENCH_QUOTA_WORKERS=1,2    B9: workers sharing the write budget, one run set per count
#   CREDSTAGE_BENCH_QUOTA_REPS=1         B9: runs per worker count (5-10 minutes each at 2,000 secrets)
#   CREDSTAGE_BENCH_QUOTA_WRITE_RATE=25  B9: the workers' --aws-write-rate (0: no budget, to see throttling)
#   CREDSTAGE_BENCH_ONLY=                groups to run, comma separated (default all): rotation (the
#                                        baselines, B1-B3, B4 hand-written, B5), provisioning (B6),
#                                        clients (B4 through the library and the agent, B7, B8),
#                                        quota (B9, on a stack of its own with localaws in quota mode)
#   CREDSTAGE_BENCH_AWS_DIR=/dev/shm     where localaws keeps its state ("disk": $TMPDIR)
#   CREDSTAGE_BENCH_WRITE_RATE=0         the workers' --aws-write-rate outside B9 (0: no write budget)
#   CREDSTAGE_BENCH_OUT=bench-results.json
#
# Example, a quick run: CREDSTAGE_BENCH_SIZES=100,1000 CREDSTAGE_BENCH_REPS=1 make bench
# Only the application figures (a few minutes):
#   CREDSTAGE_BENCH_ONLY=clients CREDSTAGE_BENCH_B2_SECRETS=200 CREDSTAGE_BENCH_REPS=1 make bench
# Only the fleet under AWS's quotas (about 16 minutes at 2,000 secrets):
#   CREDSTAGE_BENCH_ONLY=quota make bench
set -euo pipefail
cd "$(dirname "$0")/.."
exec go test -run '^$' -bench . -benchtime 1x -timeout 150m ./tests/bench/ "$@"
