#!/usr/bin/env bash
# vnstream on a real Kubernetes (v1.34, single node, deploy/local-cluster):
#  1. the images (scripts/build-images.sh) loaded into the node;
#  2. the operators' CRDs (third_party/k8s-crds) applied, then the
#     `production` overlay applied server-side with strict field validation
#     as a dry run (every resource must be accepted; its operators and
#     registry images cannot run here);
#  3. the `local` overlay deployed: every pod Ready, the topics Job done;
#  4. through `kubectl port-forward` (loopback): grpcurl list and health, a
#     SubscribeQuotes stream receiving live quotes that ingest (fed by
#     vnstock-sim in the cluster) published through Kafka, the dashboard's
#     /healthz, and Debian's Prometheus scraping the four services' pods
#     (every target up; records published, consumed, served, and the rows
#     the store wrote to the cluster's PostgreSQL);
#  5. everything torn down, the host as before: no KUBE-/CNI- iptables
#     chains or isolation rule, no bridge, network namespace, mount or
#     process of the cluster, the sysctls the kubelet changes restored.
# Traffic stays on the machine: the API server and port-forwards on
# loopback, pods without a resolver and unable to forward beyond the pod
# network (cluster.sh), images never pulled.
# Needs root, podman, containerd and the Kubernetes binaries (scripts/setup.sh
# builds them once, in the background, into ~/.cache/vnstream/k8s-v1.34.0;
# this test waits for that build). Bazel tags: see tests/BUILD.bazel.
set -euo pipefail
export PATH="/usr/local/sbin:/usr/sbin:/sbin:$PATH"
root=${TEST_SRCDIR:?}/${TEST_WORKSPACE:?}
tmp=${TEST_TMPDIR:?}
export VNSTREAM_CACHE=${VNSTREAM_MACHINE_CACHE:?"run scripts/setup.sh (sets it in .bazelrc.local)"}
export CONTAINERS_CONF="$root/deploy/images/containers.conf"
grpcurl=${VNSTREAM_GRPCURL:?}
cluster="$root/deploy/local-cluster/cluster.sh"
# One cluster (and one image build) at a time on this machine, whichever
# worktree runs the test: they share the bridge, the iptables chains, podman.
exec 8>"$VNSTREAM_CACHE/.machine-tests.lock"
flock -w 3000 8
# A cluster a killed run left behind (SIGKILL skips the EXIT trap).
for stale in /tmp/vnstream-k8s.*; do
  [[ -d $stale/pids ]] && { echo "removing the stale cluster $stale" >&2; "$cluster" down "$stale" || true; }
done
netns_before=$(ls /var/run/netns 2>/dev/null || true)
# A short path: containerd's socket path must fit a sockaddr_un.
state=$(mktemp -d /tmp/vnstream-k8s.XXXXXX)
started=$SECONDS
phase() { echo "=== $* ($((SECONDS - started)) s)" >&2; }
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*" >&2; }

background=()  # port-forwards and Prometheus
cleanup() {
  for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
  if [[ -d $state ]]; then
    # Keep the components' logs with the test's outputs.
    [[ -n ${TEST_UNDECLARED_OUTPUTS_DIR:-} && -d $state/logs ]] &&
      cp -r "$state/logs" "$TEST_UNDECLARED_OUTPUTS_DIR/cluster-logs" 2>/dev/null
    "$cluster" down "$state" || true
  fi
}
trap cleanup EXIT
trap 'exit 143' TERM INT

# 1. Images and the cluster.
phase "images"
bins="$tmp/bin"
mkdir -p "$bins"
for b in services/ingest/vnstream-ingest services/analytics/vnstream-analytics \
  services/gateway/vnstream-gateway services/store/vnstream-store tools/vnstock_sim/vnstock-sim \
  clients/cpp/vnstream-client tools/kafka/vnstream-kafka-topics; do
  cp -L "$root/$b" "$bins/"
done
"$root/scripts/build-images.sh" --binaries "$bins"
phase "cluster up"
export KUBECONFIG
KUBECONFIG=$("$cluster" up "$state")
export PATH="$state/bin:$PATH"  # the cluster's kubectl
phase "loading images"
"$cluster" load "$state" localhost/vnstream:local localhost/vnstream-dashboard:local \
  localhost/vnstream-kafka:local localhost/vnstream-postgres:local
k() { kubectl --request-timeout=60s "$@"; }

# 2. CRDs, then the production overlay (dry run, strict).
phase "operators' CRDs"
k apply --server-side -f "$root/third_party/k8s-crds/strimzi-1.2.0" \
  -f "$root/third_party/k8s-crds/prometheus-operator-v0.93.0" \
  -f "$root/third_party/k8s-crds/cloudnative-pg-v1.30.0" \
  -f "$root/third_party/k8s-crds/cert-manager-v1.21.1" >/dev/null
k wait --for=condition=Established crd --all --timeout=120s >/dev/null
phase "production overlay (server-side dry run, strict validation)"
# kustomize does not follow the runfiles' symlinks: a plain copy.
cp -rL "$root/deploy/k8s" "$tmp/k8s"
k kustomize "$tmp/k8s/production" > "$tmp/production.yaml"
expected=$(grep -c '^kind: ' "$tmp/production.yaml")
# Namespaced resources need their namespace to exist even in a dry run.
k create namespace vnstream >/dev/null
if out=$(k apply --server-side --dry-run=server --validate=strict --field-manager=vnstream-test \
  -f "$tmp/production.yaml" 2>&1); then
  accepted=$(grep -c 'serverside-applied (server dry run)' <<<"$out" || true)
  [[ $accepted -eq $expected ]] && pass "production: $accepted of $expected resources accepted" ||
    fail "production: $accepted of $expected accepted: $out"
else
  fail "production overlay refused: $out"
fi
# Strict validation is real: an unknown field is refused.
sed 's/^  replicas: 3$/  replicas: 3\n  replicaz: 3/' "$tmp/production.yaml" > "$tmp/typo.yaml"
if k apply --server-side --dry-run=server --validate=strict -f "$tmp/typo.yaml" >/dev/null 2>&1; then
  fail "an unknown field was accepted"
else
  pass "an unknown field is refused"
fi

# 3. The local overlay, for real.
phase "local overlay"
k apply --server-side --validate=strict -k "$tmp/k8s/local" >/dev/null
if ! k -n vnstream wait --for=condition=Complete job/kafka-topics --timeout=300s >/dev/null; then
  fail "the kafka-topics Job did not complete"
  k -n vnstream logs job/kafka-topics --tail=20 >&2 || true
fi
# Every workload's pods Ready, polled on a fresh list (a pod replaced
# meanwhile counts as its replacement), within one deadline.
apps="analytics dashboard gateway ingest kafka postgres store vnstock-sim"
not_ready() {
  k -n vnstream get pods -l 'app.kubernetes.io/name!=kafka-topics' -o json 2>/dev/null | python3 -c '
import json, sys
pods = json.load(sys.stdin)["items"]
ready = {p["metadata"]["labels"].get("app.kubernetes.io/name") for p in pods
         if p["metadata"].get("deletionTimestamp") is None and any(
             c["type"] == "Ready" and c["status"] == "True" for c in p["status"].get("conditions", []))}
late = {p["metadata"]["labels"].get("app.kubernetes.io/name") for p in pods} - ready
print(" ".join(sorted((set(sys.argv[1:]) - ready) | late)))' $apps || echo "$apps"
}
deadline=$((SECONDS + 300))
late=$(not_ready)
while [[ -n $late ]] && ((SECONDS < deadline)); do
  sleep 2
  late=$(not_ready)
done
if [[ -z $late ]]; then
  pass "every pod Ready: $(k -n vnstream get pods -l 'app.kubernetes.io/name!=kafka-topics' \
    -o jsonpath='{.items[*].metadata.name}')"
else
  fail "pods not Ready: $late"
  k -n vnstream get pods -o wide >&2 || true
  k -n vnstream get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 30 >&2 || true
fi
phase "pods Ready"

# port_forward TARGET PORT: forwards a loopback port to TARGET's PORT and
# sets $forwarded to it (not a $(...) subshell: the pid must reach cleanup).
port_forward() {
  local log="$tmp/forward.${#background[@]}.log"
  k -n vnstream port-forward --address=127.0.0.1 "$1" ":$2" >"$log" 2>&1 &
  background+=($!)
  local deadline=$((SECONDS + 30))
  forwarded=""
  while ((SECONDS < deadline)); do
    forwarded=$(sed -nE 's/^Forwarding from 127\.0\.0\.1:([0-9]+) .*/\1/p' "$log" | head -n 1)
    [[ -n $forwarded ]] && return 0
    sleep 0.2
  done
  echo "port-forward to $1:$2 failed: $(cat "$log")" >&2
  return 1
}

# 4. The gateway through its Service, from outside the cluster.
phase "gRPC through port-forward"
if port_forward svc/gateway 50051; then
  address="127.0.0.1:$forwarded"
  list=$("$grpcurl" -plaintext -max-time 10 "$address" list 2>&1 || true)
  grep -qx vnstream.v1.MarketDataService <<<"$list" && grep -qx grpc.health.v1.Health <<<"$list" &&
    pass "grpcurl list" || fail "grpcurl list: $list"
  health=$("$grpcurl" -plaintext -max-time 10 "$address" grpc.health.v1.Health/Check 2>&1 || true)
  grep -q '"status": "SERVING"' <<<"$health" && pass "health SERVING" || fail "health: $health"
  # Live quotes: events after the snapshot, delivered from Kafka, with
  # sequence numbers beyond the snapshot's. Ingest polls every 10 s.
  "$grpcurl" -plaintext -max-time 60 -d '{"symbols": ["FPT", "VCB", "HPG", "VIC", "SSI", "MSN", "MWG", "GAS"]}' \
    "$address" vnstream.v1.MarketDataService/SubscribeQuotes > "$tmp/stream.json" 2>"$tmp/stream.err" || true
  if summary=$(python3 - "$tmp/stream.json" <<'PY'
import json, sys
text = open(sys.argv[1]).read()
decoder, i, events = json.JSONDecoder(), 0, []
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    event, i = decoder.raw_decode(text, i)
    events.append(event)
snapshot_seq, live, ended = {}, [], False
for e in events:
    if "snapshot_end" in e:
        ended = True
    q = e.get("quote")
    if not q:
        continue
    symbol, seq = q["meta"]["symbol"], int(q["meta"]["seq"])
    if e.get("snapshot"):
        snapshot_seq[symbol] = max(seq, snapshot_seq.get(symbol, 0))
    elif ended and e.get("delivery") == "DELIVERY_KAFKA" and seq > snapshot_seq.get(symbol, 0):
        live.append((symbol, seq, q["last_price"]))
print(f"{len(events)} events, snapshot of {len(snapshot_seq)} symbols, {len(live)} live quotes, e.g. {live[:3]}")
sys.exit(0 if ended and snapshot_seq and live else 1)
PY
  ); then
    pass "SubscribeQuotes: $summary"
  else
    fail "SubscribeQuotes: ${summary:-} $(head -c 2000 "$tmp/stream.json") $(cat "$tmp/stream.err")"
  fi
fi
# The dashboard through its Service.
if port_forward svc/dashboard 8080; then
  [[ $(curl -sS -m 10 "http://127.0.0.1:$forwarded/healthz" 2>&1) == ok ]] &&
    pass "dashboard /healthz" || fail "dashboard /healthz"
fi

# Prometheus (Debian's server, on loopback) scrapes each service pod through
# its own port-forward; PromQL then shows every target up and the samples
# that show each service working (the store's rows reach PostgreSQL).
phase "Prometheus scrape"
targets=""
pod() { k -n vnstream get pods -l "app.kubernetes.io/name=$1" -o jsonpath='{.items[0].metadata.name}'; }
for target in ingest:9101 analytics:9102 gateway:9103 store:9104; do
  name=${target%:*}
  if port_forward "pod/$(pod "$name")" "${target#*:}"; then
    targets+="      - {targets: ['127.0.0.1:$forwarded'], labels: {service: $name}}"$'\n'
  else
    fail "no port-forward to $name's metrics"
  fi
done
cat > "$tmp/prometheus.yml" <<EOF
global: {scrape_interval: 2s, scrape_timeout: 2s}
scrape_configs:
  - job_name: vnstream
    static_configs:
$targets
EOF
prometheus_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/prometheus" \
  --web.listen-address="127.0.0.1:$prometheus_port" >"$tmp/prometheus.log" 2>&1 &
background+=($!)
# promql QUERY: one line "SERVICE VALUE" per series of an instant query
# (nothing while Prometheus is starting).
promql() {
  curl -sS -m 5 -G "http://127.0.0.1:$prometheus_port/api/v1/query" --data-urlencode "query=$1" 2>/dev/null |
    python3 -c '
import json, sys
try:
    for r in json.load(sys.stdin)["data"]["result"]:
        print(r["metric"].get("service", "-"), r["value"][1])
except ValueError:
    pass' || true
}
# Each service: its metric and the least value that shows it working.
declare -A want=(
  [ingest]=vnstream_ingest_records_published_total
  [analytics]=vnstream_analytics_records_in_total
  [gateway]=vnstream_gateway_kafka_records_total
  [store]=vnstream_store_rows_written_total
)
deadline=$((SECONDS + 120))
while :; do
  up=$(promql 'up == 1' | wc -l)
  missing=()
  for name in "${!want[@]}"; do
    value=$(promql "sum by (service) (${want[$name]}{service=\"$name\"})" | awk '{print $2}')
    python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' "${value:-0}" || missing+=("$name")
  done
  ((up == ${#want[@]} && ${#missing[@]} == 0)) && break
  ((SECONDS < deadline)) || break
  sleep 2
done
[[ $up -eq ${#want[@]} ]] && pass "Prometheus: $up of ${#want[@]} targets up" ||
  fail "Prometheus: $up of ${#want[@]} targets up; $(promql up | tr '\n' ' ') $(tail -n 5 "$tmp/prometheus.log")"
for name in "${!want[@]}"; do
  value=$(promql "sum by (service) (${want[$name]}{service=\"$name\"})" | awk '{print $2}')
  if [[ " ${missing[*]} " != *" $name "* ]]; then
    pass "Prometheus: $name ${want[$name]} = $value"
  else
    fail "Prometheus: $name ${want[$name]} = ${value:-absent}"
  fi
done

# 5. Teardown, then the host as it was.
phase "teardown"
for pid in "${background[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${background[@]}"; do wait "$pid" 2>/dev/null || true; done
background=()
declare -A before
for f in "$state"/sysctl.*; do
  before[${f#"$state"/sysctl.}]=$(cat "$f")
done
cp -r "$state/logs" "${TEST_UNDECLARED_OUTPUTS_DIR:-$tmp}/cluster-logs" 2>/dev/null || true
"$cluster" down "$state"
for s in "${!before[@]}"; do
  [[ $(sysctl -n "$s") == "${before[$s]}" ]] && pass "$s restored" || fail "$s is $(sysctl -n "$s"), was ${before[$s]}"
done
if iptables-save 2>/dev/null | grep -qE '(KUBE-|CNI-|vnstream-test-cluster)'; then
  fail "iptables rules left: $(iptables-save | grep -E '(KUBE-|CNI-|vnstream-test-cluster)' | head -n 5)"
else
  pass "no KUBE-/CNI- chains, no isolation rule left in iptables"
fi
if ip link show vnsk8s0 >/dev/null 2>&1; then fail "bridge vnsk8s0 left"; else pass "bridge removed"; fi
if findmnt -rn -o TARGET | grep -qF "$state"; then fail "mounts left under $state"; else pass "no mounts left"; fi
[[ ! -e $state ]] && pass "state removed" || fail "$state left"
left=$(pgrep -af -- "$state" || true)
[[ -z $left ]] && pass "no process of the cluster left" || fail "processes left: $left"
new_netns=$(comm -13 <(sort <<<"$netns_before") <(ls /var/run/netns 2>/dev/null | sort) || true)
[[ -z $new_netns ]] && pass "no network namespace left" || fail "network namespaces left: $new_netns"
phase "done"
echo "$failures failure(s)" >&2
[[ $failures -eq 0 ]]
