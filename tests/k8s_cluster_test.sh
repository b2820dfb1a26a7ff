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
#     vnstock-sim in the cluster) published through Kafka, and a Prometheus
#     text scrape of each service pod;
#  5. everything torn down, the host as before: no KUBE-/CNI- iptables
#     chains, no bridge, no mounts, the sysctls the kubelet changes restored.
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
# A short path: containerd's socket path must fit a sockaddr_un.
state=$(mktemp -d /tmp/vnstream-k8s.XXXXXX)
started=$SECONDS
phase() { echo "=== $* ($((SECONDS - started)) s)" >&2; }
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*" >&2; }

forwards=()
cleanup() {
  for pid in "${forwards[@]}"; do kill "$pid" 2>/dev/null || true; done
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
  services/gateway/vnstream-gateway tools/vnstock_sim/vnstock-sim \
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
k kustomize "$root/deploy/k8s/production" > "$tmp/production.yaml"
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
k apply --server-side --validate=strict -k "$root/deploy/k8s/local" >/dev/null
if ! k -n vnstream wait --for=condition=Complete job/kafka-topics --timeout=300s >/dev/null; then
  fail "the kafka-topics Job did not complete"
  k -n vnstream logs job/kafka-topics --tail=20 >&2 || true
fi
if k -n vnstream wait --for=condition=Ready pod -l 'app.kubernetes.io/name!=kafka-topics' \
  --timeout=300s >/dev/null; then
  pass "every pod Ready: $(k -n vnstream get pods -l 'app.kubernetes.io/name!=kafka-topics' \
    -o jsonpath='{.items[*].metadata.name}')"
else
  fail "pods not Ready"
  k -n vnstream get pods -o wide >&2 || true
  k -n vnstream get events --sort-by=.lastTimestamp 2>/dev/null | tail -n 30 >&2 || true
fi
phase "pods Ready"

# port_forward TARGET PORT: a loopback port forwarded to TARGET's PORT.
port_forward() {
  local log="$tmp/forward.$RANDOM.log"
  k -n vnstream port-forward --address=127.0.0.1 "$1" ":$2" >"$log" 2>&1 &
  forwards+=($!)
  local deadline=$((SECONDS + 30)) port
  while ((SECONDS < deadline)); do
    port=$(sed -nE 's/^Forwarding from 127\.0\.0\.1:([0-9]+) .*/\1/p' "$log" | head -n 1)
    [[ -n $port ]] && { echo "$port"; return 0; }
    sleep 0.2
  done
  echo "port-forward to $1:$2 failed: $(cat "$log")" >&2
  return 1
}

# 4. The gateway through its Service, from outside the cluster.
phase "gRPC through port-forward"
if gateway=$(port_forward svc/gateway 50051); then
  address="127.0.0.1:$gateway"
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

# Prometheus: each service pod's metrics endpoint, scraped through its own
# port-forward, with the samples that show it working.
phase "metrics"
scrape() { # POD PORT METRIC: the sum of METRIC's samples.
  local port
  port=$(port_forward "pod/$1" "$2") || return 1
  curl -sS -m 10 "http://127.0.0.1:$port/metrics" | python3 -c '
import sys
name, total, found = sys.argv[1], 0.0, False
for line in sys.stdin:
    if line.startswith(name + "{") or line.startswith(name + " "):
        total += float(line.rsplit(" ", 1)[1]); found = True
print(total if found else "absent")' "$3"
}
pod() { k -n vnstream get pods -l "app.kubernetes.io/name=$1" -o jsonpath='{.items[0].metadata.name}'; }
for target in "ingest 9101 vnstream_ingest_records_published_total" \
  "analytics 9102 vnstream_analytics_records_in_total" \
  "gateway 9103 vnstream_gateway_kafka_records_total"; do
  read -r name port metric <<<"$target"
  value=$(scrape "$(pod "$name")" "$port" "$metric" || echo "scrape failed")
  if python3 -c 'import sys; sys.exit(0 if float(sys.argv[1]) > 0 else 1)' "$value" 2>/dev/null; then
    pass "$name metrics: $metric = $value"
  else
    fail "$name metrics: $metric = $value"
  fi
done

# 5. Teardown, then the host as it was.
phase "teardown"
for pid in "${forwards[@]}"; do kill "$pid" 2>/dev/null || true; done
forwards=()
declare -A before
for f in "$state"/sysctl.*; do
  before[${f#"$state"/sysctl.}]=$(cat "$f")
done
cp -r "$state/logs" "${TEST_UNDECLARED_OUTPUTS_DIR:-$tmp}/cluster-logs" 2>/dev/null || true
"$cluster" down "$state"
for s in "${!before[@]}"; do
  [[ $(sysctl -n "$s") == "${before[$s]}" ]] && pass "$s restored" || fail "$s is $(sysctl -n "$s"), was ${before[$s]}"
done
if iptables-save 2>/dev/null | grep -qE '(KUBE-|CNI-)'; then fail "iptables chains left"; else pass "no KUBE-/CNI- iptables chains"; fi
if ip link show vnsk8s0 >/dev/null 2>&1; then fail "bridge vnsk8s0 left"; else pass "bridge removed"; fi
if findmnt -rn -o TARGET | grep -qF "$state"; then fail "mounts left under $state"; else pass "no mounts left"; fi
[[ ! -e $state ]] && pass "state removed" || fail "$state left"
phase "done"
echo "$failures failure(s)" >&2
[[ $failures -eq 0 ]]
