#!/usr/bin/env bash
# Brings up the whole vnstream pipeline on this machine, in the foreground:
#   Kafka (KRaft, 127.0.0.1:9092) -> vnstock-sim (offline VNStock replaying
#   real VN30 prices at 10x speed) -> ingest -> analytics -> gateway
#   -> dashboard (https://127.0.0.1:8443/), and the history store:
#   PostgreSQL 15 (127.0.0.1:5432) <- store (Kafka -> PostgreSQL)
# then prints what to run next. Ctrl-C stops everything cleanly.
# Installs what it needs first. State and logs live in .run/.
#
# Security is on as in production: Kafka SASL_SSL with one user per service
# and ACLs, gateway TLS with API keys (a demo key and the dashboard's own,
# made with vnstream-keys into .run/keys), dashboard HTTPS behind a password.
# What the demo relaxes: a local CA (scripts/make-certs.sh, .run/certs)
# instead of a real one; secrets in .run/ files (0600) instead of Kubernetes
# Secrets; gRPC reflection on; everything on 127.0.0.1.
#
#   scripts/run-local.sh                 # offline demo feed (vnstock-sim)
#   VNSTREAM_LIVE=1 scripts/run-local.sh # the real VNStock (VCI), if reachable;
#                                        # polls only in market hours
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
run="$repo/.run"
logs="$run/logs"
# Kafka's state (SASL users are made when it is formatted: a directory of
# its own, not the plaintext .run/kafka of earlier versions).
kafka_dir="$run/kafka-sasl"
mkdir -p "$logs"

scripts/setup.sh
cache=${VNSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vnstream}
targets=(//tools/kafka:vnstream-kafka //tools/postgres:vnstream-postgres
  //services/store:vnstream-store //tools/vnstock_sim:vnstock-sim
  //services/ingest:vnstream-ingest //services/analytics:vnstream-analytics
  //services/gateway:vnstream-gateway //clients/cpp:vnstream-client //tools/keys:vnstream-keys)
echo "building (optimised) ..." >&2
bazel build -c opt "${targets[@]}" 2>"$logs/build.log" || { tail -30 "$logs/build.log"; exit 1; }
bin=$(bazel info -c opt bazel-bin 2>/dev/null)

pids=()
stop_all() {
  trap - EXIT INT TERM
  echo >&2
  echo "stopping ..." >&2
  # Reverse order: the gateway first (streams end with UNAVAILABLE), Kafka last.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do kill -TERM "${pids[i]}" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "$bin/tools/kafka/vnstream-kafka" stop --dir="$kafka_dir" || true
  "$bin/tools/postgres/vnstream-postgres" stop --dir="$run/postgres" || true
  echo "stopped; logs in .run/logs" >&2
}
trap 'stop_all; exit 0' INT TERM
trap stop_all EXIT

# start NAME COMMAND...: runs a service in the background, logging to .run/logs.
start() {
  local name=$1
  shift
  "$@" >"$logs/$name.log" 2>&1 &
  pids+=($!)
}
# wait_for NAME PATTERN: until the service logs PATTERN (or dies).
wait_for() {
  local name=$1 pattern=$2
  for _ in $(seq 600); do
    grep -q -- "$pattern" "$logs/$name.log" 2>/dev/null && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || { echo "$name died:" >&2; tail -20 "$logs/$name.log" >&2; exit 1; }
    sleep 0.2
  done
  echo "$name did not start; see .run/logs/$name.log" >&2
  exit 1
}

# A local CA and certificates, and the dashboard's password (kept across
# runs).
certs="$run/certs"
scripts/make-certs.sh "$certs"
[[ -s $run/dashboard.password ]] || (umask 077 && openssl rand -hex 12 >"$run/dashboard.password")

# API keys (kept across runs): the gateway reads .run/keys/keys.yaml (hashes
# only); each key is shown once by vnstream-keys, kept in .run/<name>.key.
# "demo": everything, for grpcurl and the clients; "dashboard": the
# dashboard server's own, with room for many browsers' streams.
keys_file="$run/keys/keys.yaml"
mkdir -p "$run/keys"
# make_key NAME FLAGS...: a key for NAME into .run/NAME.key, unless it exists.
make_key() {
  local name=$1
  shift
  [[ -s $run/$name.key ]] && return 0
  # A key file lost: its old key cannot be shown again, so it is replaced.
  "$bin/tools/keys/vnstream-keys" revoke --file="$keys_file" --name="$name" 2>/dev/null || true
  (umask 077 && "$bin/tools/keys/vnstream-keys" create --file="$keys_file" --name="$name" \
    --rpcs='*' --symbols='*' "$@" >"$run/$name.key" 2>/dev/null) ||
    { echo "vnstream-keys create $name failed" >&2; exit 1; }
}
make_key demo
make_key dashboard --max_streams=200 --unary_per_second=50 --fallback_per_minute=60

# Kafka with SASL_SSL; each service logs in as its own user.
"$bin/tools/kafka/vnstream-kafka" start --dir="$kafka_dir" --port=9092 --controller_port=9093 \
  --sasl_ssl_certs="$certs" >/dev/null 2>"$logs/kafka-start.log" ||
  { cat "$logs/kafka-start.log" >&2; exit 1; }
# kafka_login USER: sets $login to the flags that log a service in as USER.
kafka_login() {
  login=("--kafka_ca_file=$certs/ca.pem" "--kafka_sasl_username=$1"
    "--kafka_sasl_password_file=$kafka_dir/users/$1.password")
}

"$bin/tools/postgres/vnstream-postgres" start --dir="$run/postgres" --port=5432 \
  >/dev/null 2>"$logs/postgres-start.log" || { cat "$logs/postgres-start.log" >&2; exit 1; }
# Connection URIs with generated passwords (mode 0600): the owner role for
# the store, the read-only role for the gateway.
store_dsn=$(cat "$run/postgres/dsn")
reader_dsn=$(cat "$run/postgres/reader.dsn")

vnstock_url=http://127.0.0.1:8765/api/
ingest_mode=(--ignore_market_hours --intraday_interval=10s --history_interval=60s)
feed="vnstock-sim (real VN30 prices 2019, replayed at 10x from 09:20; virtual dates from today)"
if [[ ${VNSTREAM_LIVE:-} == 1 ]]; then
  if curl -s -m 5 -o /dev/null -X POST -H 'Content-Type: application/json' \
    -d '{"symbols":["FPT"]}' https://trading.vietcap.com.vn/api/price/symbols/getList; then
    vnstock_url=https://trading.vietcap.com.vn/api/
    ingest_mode=()
    feed="live VNStock (VCI), polled in Vietnamese market hours"
  else
    echo "VNStock is not reachable from here; using vnstock-sim" >&2
  fi
fi
if [[ $vnstock_url == http://127.0.0.1:8765/api/ ]]; then
  # The virtual day starts in continuous trading (HOSE's first match is the
  # 09:15 ATO), so the first quotes already have moving prices.
  start vnstock-sim "$bin/tools/vnstock_sim/vnstock-sim" --config=tools/vnstock_sim/config.yaml \
    --csv=data/vn30/vn30-daily-2016-2019.csv --port=8765 --replay_date=2019-01-02 \
    --start_time=09:20 --speed=10 --loop
  wait_for vnstock-sim "listening on"
fi
kafka_login ingest
start ingest "$bin/services/ingest/vnstream-ingest" --config=services/ingest/config.yaml \
  --vnstock_url="$vnstock_url" "${ingest_mode[@]}" "${login[@]}"
wait_for ingest "ingesting"
kafka_login analytics
start analytics "$bin/services/analytics/vnstream-analytics" --config=services/analytics/config.yaml \
  "${login[@]}"
wait_for analytics "consuming"
kafka_login store
start store env VNSTREAM_STORE_DSN="$store_dsn" "$bin/services/store/vnstream-store" \
  --config=services/store/config.yaml --vnstock_url="$vnstock_url" "${login[@]}"
wait_for store "storing Kafka"
# Demo relaxation: reflection on, so grpcurl needs no .proto files.
kafka_login gateway
start gateway env VNSTREAM_STORE_DSN="$reader_dsn" "$bin/services/gateway/vnstream-gateway" \
  --config=services/gateway/config.yaml --vnstock_url="$vnstock_url" \
  --tls_cert_file="$certs/gateway.pem" --tls_key_file="$certs/gateway.key" --grpc_reflection \
  --keys_file="$keys_file" "${login[@]}"
wait_for gateway "serving"
# The dashboard uses the Python package (clients/python), built from this checkout.
clients/python/install.sh "$cache/venv/bin/python" .run/python
start dashboard env PYTHONPATH=.run/python "$cache/venv/bin/python" clients/dashboard/server.py \
  --gateway=127.0.0.1:50051 --gateway_ca="$certs/ca.pem" --api_key_file="$run/dashboard.key" \
  --tls_cert="$certs/dashboard.pem" \
  --tls_key="$certs/dashboard.key" --password_file="$run/dashboard.password" --port=8443
wait_for dashboard "dashboard on"

cat <<MSG

vnstream is up. Feed: $feed
  dashboard        https://127.0.0.1:8443/   password: $(cat "$run/dashboard.password")
                   (the browser warns: its certificate is from the demo's CA, .run/certs/ca.pem)
  gateway (gRPC)   127.0.0.1:50051   TLS (CA .run/certs/ca.pem); MarketDataService, health, reflection
                   API key: $(cat "$run/demo.key")  (.run/demo.key; keys file .run/keys/keys.yaml,
                   more with: $bin/tools/keys/vnstream-keys create --file=.run/keys/keys.yaml --name=NAME --rpcs='*' --symbols='*')
  metrics          ingest :9101   analytics :9102   gateway :9103   store :9104   (/metrics)
  Kafka            127.0.0.1:9092    SASL_SSL; users' passwords in .run/kafka-sasl/users
                                     stock-prices stock-intraday stock-historical stock-analytics
                                     stock-intraday-analytics stock-market stock-signals
  PostgreSQL       127.0.0.1:5432    history store: psql "\$(cat .run/postgres/dsn)"
  logs             .run/logs/<service>.log, broker .run/kafka-sasl/broker.log,
                   PostgreSQL .run/postgres/postgres.log

Live quotes (grpcurl, built by setup; every call needs the key, health excepted):
  $cache/bin/grpcurl -cacert .run/certs/ca.pem -H "authorization: Bearer \$(cat .run/demo.key)" -d '{"symbols":["FPT","VCB","HPG"]}' 127.0.0.1:50051 vnstream.v1.MarketDataService/SubscribeQuotes

Candles from the history store (the store backfills from VNStock at start-up):
  $cache/bin/grpcurl -cacert .run/certs/ca.pem -H "authorization: Bearer \$(cat .run/demo.key)" -d '{"symbol":"FPT","start":"2025-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z","interval":"BAR_INTERVAL_ONE_WEEK"}' 127.0.0.1:50051 vnstream.v1.MarketDataService/GetCandles

Or with the Python client:
  VNSTREAM_API_KEY=\$(cat .run/demo.key) PYTHONPATH=.run/python $cache/venv/bin/python -m vnstream.subscribe --root_ca=.run/certs/ca.pem FPT VCB HPG

Or with the C++ client:
  $bin/clients/cpp/vnstream-client --ca_file=.run/certs/ca.pem --api_key_file=.run/demo.key subscribe quotes FPT,VCB,HPG
  $bin/clients/cpp/vnstream-client --ca_file=.run/certs/ca.pem --api_key_file=.run/demo.key history FPT --limit=5

Press Ctrl-C to stop everything.
MSG
wait -n "${pids[@]}" || true
echo "a service exited; see .run/logs" >&2
exit 1
