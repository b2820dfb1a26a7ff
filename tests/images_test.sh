#!/usr/bin/env bash
# The OCI images (scripts/build-images.sh) are built and run the way the
# Kubernetes manifests run them: as user 65532, read-only root filesystem,
# no capabilities, configuration mounted from outside. Each binary of the
# services image answers --check_config with the manifests' ConfigMap
# settings; the Kafka image runs a broker that the topic creator fills; the
# gateway serves gRPC health (SERVING, caught up with that broker) and the
# dashboard its page through it; PostgreSQL accepts the application role's
# password. Containers use the host network and listen on 127.0.0.1 only.
# Needs root and podman (scripts/setup.sh); Bazel tags: see tests/BUILD.bazel.
set -euo pipefail
export PATH="/usr/local/sbin:/usr/sbin:/sbin:$PATH"
root=${TEST_SRCDIR:?}/${TEST_WORKSPACE:?}
tmp=${TEST_TMPDIR:?}
export VNSTREAM_CACHE=${VNSTREAM_MACHINE_CACHE:?"run scripts/setup.sh (sets it in .bazelrc.local)"}
export CONTAINERS_CONF="$root/deploy/images/containers.conf"
grpcurl=${VNSTREAM_GRPCURL:?}
run_id="vnstream-images-test-$$"
# One image build (and cluster) at a time on this machine, whichever
# worktree runs the test (tests/k8s_cluster_test.sh takes the same lock).
exec 8>"$VNSTREAM_CACHE/.machine-tests.lock"
flock -w 3000 8
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*" >&2; }

containers=()
cleanup() {
  for c in "${containers[@]}"; do podman rm --force --time 5 "$c" >/dev/null 2>&1 || true; done
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# wait_for_log CONTAINER REGEX SECONDS: prints the first match's group 1.
wait_for_log() {
  local deadline=$((SECONDS + $3)) m
  while ((SECONDS < deadline)); do
    m=$(podman logs "$1" 2>&1 | sed -nE "s#.*$2.*#\1#p" | head -n 1)
    [[ -n $m ]] && { echo "$m"; return 0; }
    [[ $(podman inspect -f '{{.State.Running}}' "$1" 2>/dev/null) == true ]] || break
    sleep 0.5
  done
  echo "no '$2' in the log of $1:" >&2
  podman logs "$1" 2>&1 | tail -n 30 >&2
  return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# As the manifests' securityContext: non-root, read-only root, no
# capabilities, no privilege escalation; /tmp is the only scratch space.
hardened=(--network=host --read-only --read-only-tmpfs=false --tmpfs=/tmp:rw,size=256m
  --cap-drop=ALL --security-opt=no-new-privileges --user=65532:65532)

# 1. Build (the binaries of this test's build configuration).
bins="$tmp/bin"
mkdir -p "$bins"
for b in services/ingest/vnstream-ingest services/analytics/vnstream-analytics \
  services/gateway/vnstream-gateway services/store/vnstream-store tools/vnstock_sim/vnstock-sim \
  clients/cpp/vnstream-client tools/kafka/vnstream-kafka-topics; do
  cp -L "$root/$b" "$bins/"
done
start=$SECONDS
"$root/scripts/build-images.sh" --binaries "$bins"
echo "images built in $((SECONDS - start)) s" >&2

images=(localhost/vnstream:local localhost/vnstream-dashboard:local
  localhost/vnstream-kafka:local localhost/vnstream-postgres:local)
for image in "${images[@]}"; do
  user=$(podman image inspect -f '{{.Config.User}}' "$image")
  [[ $user == 65532:65532 ]] && pass "$image runs as $user" || fail "$image runs as '$user', not 65532:65532"
done

# 2. Every binary of the services image answers --check_config, with the
# settings the manifests mount (deploy/k8s/*/config).
declare -A config=(
  [vnstream-ingest]=base/config/ingest.yaml
  [vnstream-analytics]=base/config/analytics.yaml
  [vnstream-gateway]=base/config/gateway.yaml
  [vnstream-store]=base/config/store.yaml
  [vnstock-sim]=local/config/vnstock-sim.yaml
  [vnstream-client]=""
  [vnstream-kafka-topics]=""
)
mapfile -t shipped < <(podman run --rm "${hardened[@]}" --entrypoint=/bin/ls localhost/vnstream:local /usr/local/bin)
[[ ${#shipped[@]} -eq ${#config[@]} ]] || fail "services image has ${shipped[*]}; expected ${!config[*]}"
for binary in "${shipped[@]}"; do
  [[ -v config[$binary] ]] || { fail "unexpected binary $binary in the image"; continue; }
  args=()
  mounts=()
  if [[ -n ${config[$binary]} ]]; then
    mounts=(--volume="$root/deploy/k8s/${config[$binary]}:/etc/vnstream/config.yaml:ro")
    args=(--config=/etc/vnstream/config.yaml)
  fi
  # The store's DSN comes from the overlay (base/store.yaml's default).
  [[ $binary == vnstream-store ]] && mounts+=(--env=VNSTREAM_STORE_DSN=postgresql://postgres-rw:5432/vnstream)
  if out=$(podman run --rm "${hardened[@]}" "${mounts[@]}" localhost/vnstream:local \
    "$binary" "${args[@]}" --check_config 2>&1); then
    pass "$binary --check_config ${config[$binary]}"
  else
    fail "$binary --check_config ${config[$binary]}: $out"
  fi
done
# And refuses a misspelt key (exit 2), inside the image too.
echo "kafka_brokerz: x" > "$tmp/typo.yaml"
set +e
podman run --rm "${hardened[@]}" --volume="$tmp/typo.yaml:/etc/vnstream/typo.yaml:ro" \
  localhost/vnstream:local vnstream-gateway --config=/etc/vnstream/typo.yaml --check_config >/dev/null 2>&1
rc=$?
set -e
[[ $rc -eq 2 ]] && pass "a misspelt key exits 2" || fail "a misspelt key exited $rc, not 2"

# 3. Kafka: the local overlay's server.properties on 127.0.0.1 ports.
kafka_port=$(free_port)
controller_port=$(free_port)
mkdir -p "$tmp/kafka-config" "$tmp/kafka-data"
sed -e "s#^listeners=.*#listeners=PLAINTEXT://127.0.0.1:$kafka_port,CONTROLLER://127.0.0.1:$controller_port#" \
  -e "s#^controller.quorum.voters=.*#controller.quorum.voters=1@127.0.0.1:$controller_port#" \
  "$root/deploy/k8s/local/config/server.properties" > "$tmp/kafka-config/server.properties"
cp "$root/deploy/k8s/local/config/log4j2.properties" "$tmp/kafka-config/"
chown -R 65532:65532 "$tmp/kafka-data"
chmod 0755 "$tmp/kafka-config"
containers+=("$run_id-kafka")
podman run -d --name "$run_id-kafka" "${hardened[@]}" \
  --volume="$tmp/kafka-config:/etc/kafka:ro" --volume="$tmp/kafka-data:/var/lib/kafka" \
  --env=KAFKA_CLUSTER_ID=dm5zdHJlYW0tbG9jYWwtMQ \
  --env=KAFKA_ADVERTISED_LISTENERS="PLAINTEXT://127.0.0.1:$kafka_port" \
  localhost/vnstream-kafka:local >/dev/null
# The topic creator retries until the broker answers (up to its timeout).
if out=$(podman run --rm "${hardened[@]}" localhost/vnstream:local vnstream-kafka-topics \
  --kafka_brokers="127.0.0.1:$kafka_port" --replication_factor=1 --timeout=180s 2>&1); then
  # As many as the manifests declare (deploy_test checks they mirror
  # libs/kafka/topics.cc).
  topics=$(grep -c '^kind: KafkaTopic' "$root/deploy/k8s/production/topics.yaml")
  grep -q "$topics topics present" <<<"$out" && pass "Kafka image: $topics topics created" ||
    fail "topics (expected $topics): $out"
else
  fail "vnstream-kafka-topics: $out"
  podman logs "$run_id-kafka" 2>&1 | tail -n 30 >&2
fi

# 4. The gateway: health SERVING once caught up with the (empty) topics.
containers+=("$run_id-gateway")
podman run -d --name "$run_id-gateway" "${hardened[@]}" \
  --volume="$root/deploy/k8s/base/config/gateway.yaml:/etc/vnstream/gateway.yaml:ro" \
  --env=VNSTREAM_KAFKA_BROKERS="127.0.0.1:$kafka_port" --env=VNSTREAM_GRPC_ADDRESS=127.0.0.1:0 \
  --env=VNSTREAM_METRICS_ADDRESS=127.0.0.1:0 --env=VNSTREAM_FALLBACK=false \
  --env=VNSTREAM_TLS_CERT_FILE= --env=VNSTREAM_TLS_KEY_FILE= --env=VNSTREAM_INSECURE_PLAINTEXT=true \
  --env=VNSTREAM_INSECURE_NO_AUTH=true \
  --env=VNSTREAM_GRPC_REFLECTION=true \
  localhost/vnstream:local vnstream-gateway --config=/etc/vnstream/gateway.yaml >/dev/null
gateway_port=$(wait_for_log "$run_id-gateway" 'gRPC[^0-9]*:([0-9]+)' 60) || fail "gateway did not start"
if [[ -n ${gateway_port:-} ]]; then
  deadline=$((SECONDS + 60))
  health=""
  while ((SECONDS < deadline)); do
    health=$("$grpcurl" -plaintext -max-time 5 "127.0.0.1:$gateway_port" grpc.health.v1.Health/Check 2>&1 || true)
    grep -q '"SERVING"' <<<"$health" && break
    sleep 0.5
  done
  grep -q '"SERVING"' <<<"$health" && pass "gateway health SERVING" || fail "gateway health: $health"
fi

# 5. The dashboard, talking to that gateway.
containers+=("$run_id-dashboard")
podman run -d --name "$run_id-dashboard" "${hardened[@]}" \
  --env=VNSTREAM_DASHBOARD_PASSWORD=images-test localhost/vnstream-dashboard:local \
  --host=127.0.0.1 --port=0 --gateway="127.0.0.1:${gateway_port:-1}" --gateway_plaintext \
  --behind_https_proxy >/dev/null
dashboard_port=$(wait_for_log "$run_id-dashboard" 'dashboard on http://127.0.0.1:([0-9]+)/' 60) ||
  fail "dashboard did not start"
if [[ -n ${dashboard_port:-} ]]; then
  [[ $(curl -sS -m 10 "http://127.0.0.1:$dashboard_port/healthz") == ok ]] && pass "dashboard /healthz" ||
    fail "dashboard /healthz"
  curl -sS -m 10 "http://127.0.0.1:$dashboard_port/login" | grep -q 'name="password"' &&
    pass "dashboard sign-in page" || fail "dashboard sign-in page"
  [[ $(curl -sS -m 10 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$dashboard_port/api/history?symbol=FPT") == 401 ]] &&
    pass "dashboard data needs a session" || fail "dashboard data without a session"
  # The charting library comes from the image (npm's file), not a CDN.
  curl -sS -m 10 "http://127.0.0.1:$dashboard_port/vendor/lightweight-charts.js" |
    grep -c 'LightweightCharts' >/dev/null && pass "dashboard serves lightweight-charts" ||
    fail "dashboard /vendor/lightweight-charts.js"
fi

# 6. PostgreSQL: initialised from Secret-like files, password logins.
pg_port=$(free_port)
mkdir -p "$tmp/pg-data" "$tmp/pg-secrets"
echo -n su-secret > "$tmp/pg-secrets/superuser"
echo -n app-secret > "$tmp/pg-secrets/app"
echo -n reader-secret > "$tmp/pg-secrets/reader"
chown -R 65532:65532 "$tmp/pg-data" "$tmp/pg-secrets"
containers+=("$run_id-postgres")
podman run -d --name "$run_id-postgres" "${hardened[@]}" \
  --volume="$tmp/pg-data:/var/lib/postgresql/data" --volume="$tmp/pg-secrets:/run/pg:ro" \
  --env=PGDATA=/var/lib/postgresql/data/pgdata \
  --env=POSTGRES_SUPERUSER_PASSWORD_FILE=/run/pg/superuser \
  --env=POSTGRES_USER=vnstream --env=POSTGRES_DB=vnstream --env=POSTGRES_PASSWORD_FILE=/run/pg/app \
  --env=POSTGRES_READER_USER=vnstream_reader --env=POSTGRES_READER_PASSWORD_FILE=/run/pg/reader \
  localhost/vnstream-postgres:local -c listen_addresses=127.0.0.1 -c "port=$pg_port" >/dev/null
deadline=$((SECONDS + 90))
until podman exec "$run_id-postgres" pg_isready -q -h 127.0.0.1 -p "$pg_port" 2>/dev/null; do
  ((SECONDS < deadline)) || { fail "PostgreSQL not ready"; podman logs "$run_id-postgres" 2>&1 | tail -n 30 >&2; break; }
  sleep 0.5
done
psql_as() {
  podman exec --env=PGPASSWORD="$2" "$run_id-postgres" psql -h 127.0.0.1 -p "$pg_port" -U "$1" \
    -d vnstream -tAc "$3" 2>&1
}
[[ $(psql_as vnstream app-secret "SELECT current_user || '@' || current_database()") == vnstream@vnstream ]] &&
  pass "PostgreSQL: application role" || fail "PostgreSQL application login"
[[ $(psql_as vnstream_reader reader-secret "SELECT current_user") == vnstream_reader ]] &&
  pass "PostgreSQL: reader role" || fail "PostgreSQL reader login"
refused=$(psql_as vnstream wrong-password "SELECT 1" || true)
grep -q "password authentication failed" <<<"$refused" &&
  pass "PostgreSQL: wrong password refused" || fail "PostgreSQL, wrong password: $refused"

echo "$failures failure(s)" >&2
[[ $failures -eq 0 ]]
