#!/usr/bin/env bash
# make demo: the main job end to end on the local stack.
#
# Starts the Temporal dev server (with Web UI), localaws and the credstage
# worker; provisions a staging and a production RDS instance with managed
# master credentials and application users; runs a staged rotation (staging,
# bake, production) with validation and live progress; then runs a second
# rotation whose production validator is broken, to show the automatic
# rollback; and prints a summary with the CloudWatch metrics published,
# draws them into .data/demo-metrics.png and applies the dashboard.
# The stack stays up until Ctrl-C (DEMO_EXIT=1: exit when done). Everything
# it starts is stopped by process id; its data folder is removed.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

TEMPORAL_PORT="${TEMPORAL_PORT:-7233}"
UI_PORT="${TEMPORAL_UI_PORT:-8233}"
AWS_PORT="${LOCALAWS_PORT:-4566}"
data="$root/.data/demo"

bold() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {
	local port=$1 what=$2 pid=$3
	for _ in $(seq 1 240); do
		if port_busy "$port"; then return 0; fi
		if ! kill -0 "$pid" 2>/dev/null; then
			echo "demo: $what exited during start; its log follows" >&2
			tail -n 30 "$data/$what.log" >&2 || true
			return 1
		fi
		sleep 0.5
	done
	echo "demo: $what did not open port $port within 2 minutes" >&2
	return 1
}

for p in "$TEMPORAL_PORT" "$UI_PORT" "$AWS_PORT"; do
	if port_busy "$p"; then
		echo "demo: port $p is in use; stop what holds it (or set TEMPORAL_PORT / TEMPORAL_UI_PORT / LOCALAWS_PORT)" >&2
		exit 1
	fi
done

bold "building credstage, its worker and localaws"
mkdir -p bin
go build -o bin/credstage ./starter
go build -o bin/credstage-worker ./worker
go build -o bin/localaws ./cmd/localaws

rm -rf "$data"
mkdir -p "$data"
pids=()
cleanup() {
	local code=$?
	trap - EXIT INT TERM
	echo
	echo "demo: stopping the stack"
	# Reverse order: the worker first, then localaws (stops its PostgreSQL
	# clusters), then Temporal.
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
		kill -TERM "${pids[$i]}" 2>/dev/null || true
		wait "${pids[$i]}" 2>/dev/null || true
	done
	rm -rf "$data"
	exit "$code"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bold "starting the Temporal dev server (Web UI http://localhost:$UI_PORT)"
bin/temporal server start-dev --ip 127.0.0.1 --port "$TEMPORAL_PORT" --ui-port "$UI_PORT" \
	--db-filename "$data/temporal.db" \
	--sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
	--dynamic-config-value history.transferProcessorMaxPollRPS=1000 \
	--search-attribute CredstageEnvironment=Keyword \
	--search-attribute CredstageSecret=Keyword \
	--search-attribute CredstageStatus=Keyword \
	--log-level warn >"$data/temporal.log" 2>&1 &
pids+=($!)
wait_port "$TEMPORAL_PORT" temporal "${pids[-1]}"

# IAM as on AWS: localaws checks every call's signature and policies. The
# worker and the CLI hold only the policies credstage ships; "local" is an
# administrator for looking around with the AWS CLI.
cat >"$data/iam.json" <<JSON
{"principals": [
  {"arn": "arn:aws:iam::000000000000:role/credstage-worker", "accessKeyId": "credstage-demo-worker",
   "secretAccessKey": "credstage-demo-worker", "policyFiles": ["$root/deploy/iam/credstage-worker-policy.json"]},
  {"arn": "arn:aws:iam::000000000000:role/credstage-cli", "accessKeyId": "credstage-demo",
   "secretAccessKey": "credstage-demo", "policyFiles": ["$root/deploy/iam/credstage-cli-policy.json"]},
  {"arn": "arn:aws:iam::000000000000:user/local", "accessKeyId": "local", "secretAccessKey": "local",
   "policies": [{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}]}
]}
JSON

bold "starting localaws on 127.0.0.1:$AWS_PORT (real PostgreSQL behind RDS, TLS forced, IAM enforced)"
bin/localaws --addr "127.0.0.1:$AWS_PORT" --data-dir "$data/localaws" --log-level warn \
	--enforce-iam --iam-config "$data/iam.json" >"$data/localaws.log" 2>&1 &
pids+=($!)
wait_port "$AWS_PORT" localaws "${pids[-1]}"

export AWS_ENDPOINT_URL="http://127.0.0.1:$AWS_PORT" AWS_REGION=us-east-1
export AWS_ACCESS_KEY_ID=credstage-demo AWS_SECRET_ACCESS_KEY=credstage-demo
export TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT" CREDSTAGE_UI_ADDRESS="http://localhost:$UI_PORT"
# localaws's instances force TLS as RDS does; the worker checks their
# certificates against localaws's CA, as it would against RDS's bundle.
export CREDSTAGE_RDS_CA_BUNDLE="$data/localaws/rds-ca/global-bundle.pem"

bold "starting the credstage worker (with deploy/iam/credstage-worker-policy.json only)"
AWS_ACCESS_KEY_ID=credstage-demo-worker AWS_SECRET_ACCESS_KEY=credstage-demo-worker \
	bin/credstage-worker --log-format text --log-level info >"$data/worker.log" 2>&1 &
pids+=($!)
sleep 1
kill -0 "${pids[-1]}" || { tail -n 30 "$data/worker.log" >&2; exit 1; }

cs() { echo "\$ credstage $*"; bin/credstage "$@"; }

bold "provisioning staging and production (RDS generates the master passwords)"
cs provision --identifier orders-staging --environment staging --db-name orders \
	--user app:alternating-users:readwrite --user reporting:single-user:readonly --wait
cs provision --identifier orders-production --environment production --db-name orders \
	--user app:alternating-users:readwrite --user reporting:single-user:readonly --wait

bold "checking the rotation plan (a dry run: reads metadata, never a secret value)"
cs plan validate examples/demo-plan.yaml

bold "alarms on every environment credstage manages (found from the secrets' tags)"
cs alarms apply

bold "rotating: staging, bake, production, with validation after every step"
start=$(date +%s)
cs rotate examples/demo-plan.yaml --wait
good_s=$(( $(date +%s) - start ))

bold "rotating again with a broken production validator: watch production roll back"
start=$(date +%s)
if cs rotate examples/demo-broken-plan.yaml --wait; then
	echo "demo: the broken plan was expected to roll back, but it succeeded" >&2
	exit 1
fi
broken_s=$(( $(date +%s) - start ))

bold "summary"
echo "staged rotation: ${good_s}s end to end (including a 15s bake)"
echo "broken rotation: ${broken_s}s, production rolled back automatically (exit status 1 above)"
cs list --type StagedRotation
cs history production/orders-production/app
bold "CloudWatch metrics published (read back through GetMetricData)"
# The picture is kept outside the data folder, which is removed at the end.
plot="$root/.data/demo-metrics.png"
cs metrics --since 30m --plot "$plot"
bold "the CloudWatch dashboard of these metrics (PutDashboard; GetDashboard shows it)"
cs dashboard apply
bold "the alarms: production's RotationRolledBack fired on the rollback"
cs alarms list
bold "the inventory (an hourly Schedule) and the report: age, last run, overdue"
cs inventory apply --max-age 90d
cs inventory run --wait
# report exits 1 when a last rotation rolled back, as production's did.
cs report || echo "(report exit status $?: production's last rotation rolled back)"
bold "who read the secrets (CloudTrail LookupEvents, 2 requests/s)"
cs audit --since 1h || echo "(audit exit status $?: callers other than the worker and the named readers)"

bold "the stack is up"
echo "Temporal Web UI:  http://localhost:$UI_PORT/namespaces/default/workflows"
echo "try:              TEMPORAL_ADDRESS=$TEMPORAL_ADDRESS AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL bin/credstage list"
echo "AWS CLI:          AWS_ENDPOINT_URL=$AWS_ENDPOINT_URL AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws secretsmanager list-secrets"
echo "metrics plot:     $plot"
if [[ "${DEMO_EXIT:-0}" == "1" ]]; then
	exit 0
fi
echo "press Ctrl-C to stop everything"
while true; do sleep 3600 & wait $!; done
