#!/usr/bin/env bash
# Brings up vnstream locally: a real Kafka broker (KRaft, 127.0.0.1:9092)
# and the services built so far, in the foreground. Ctrl-C stops everything.
# Installs what it needs first. State and logs live in .run/.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
kafka_port=${VNSTREAM_KAFKA_PORT:-9092}
run="$repo/.run"
mkdir -p "$run/logs"

scripts/setup.sh
bazel build -c opt //tools/kafka:vnstream-kafka
bin="$repo/bazel-bin"

stop_all() {
  trap - EXIT INT TERM
  echo "stopping..." >&2
  "$bin/tools/kafka/vnstream-kafka" stop --dir="$run/kafka" || true
}
trap stop_all EXIT INT TERM

"$bin/tools/kafka/vnstream-kafka" start --dir="$run/kafka" \
  --port="$kafka_port" --controller_port=$((kafka_port + 1)) >/dev/null

cat <<MSG

vnstream is up (logs in .run/logs, broker log .run/kafka/broker.log):
  Kafka        127.0.0.1:$kafka_port   topics: stock-prices stock-intraday stock-historical stock-analytics
  Inspect:     kcat -b 127.0.0.1:$kafka_port -L

Press Ctrl-C to stop everything.
MSG
sleep infinity &
wait $!
