#!/usr/bin/env bash
# A throwaway single-node Kubernetes on this machine, for tests and trials:
# etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and
# kube-proxy (built by build-k8s.sh) on Debian's containerd, runc and CNI
# plugins. Everything lives in one state directory; nothing listens beyond
# loopback, and pods live in network namespaces on a bridge of their own,
# with no resolver and no route beyond the pod network (a FORWARD reject).
#   cluster.sh up DIR           start (prints the kubeconfig path)
#   cluster.sh load DIR IMAGE…  copy podman images into the node
#   cluster.sh down DIR         stop and remove everything it created, and
#                               restore what the kubelet and kube-proxy
#                               change on the host (sysctls, iptables)
# Needs root. `down` is idempotent and safe after a failed `up`.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
command=${1:-}
dir=${2:-}
[[ -n $command && -n $dir ]] || { echo "usage: $0 up|load|down DIR [IMAGE...]" >&2; exit 2; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
shift 2
export PATH="$dir/bin:$PATH"
# Addresses of the node's own networks (nothing outside the machine).
pod_cidr=10.244.0.0/24
service_cidr=10.96.0.0/24
bridge=vnsk8s0
node=localhost
# Host settings the kubelet (its kernel tunables) and the node's forwarding
# change; saved by up, restored by down.
sysctls=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops
  kernel.keys.root_maxkeys kernel.keys.root_maxbytes net.ipv4.ip_forward)
# The FORWARD rule that keeps pod traffic on the node (added by up).
isolate=(-s "$pod_cidr" ! -d "$pod_cidr" -m comment --comment vnstream-test-cluster -j REJECT)
pause_image=registry.k8s.io/pause:3.10.1
# containerd's image store outlives the cluster, so a kept machine imports
# only images that changed (`load` compares podman's image ids).
node_cache=${VNSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vnstream}/k8s-node
log() { echo "cluster: $* (${SECONDS} s)" >&2; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start NAME COMMAND...: a daemon in its own session, logging to DIR/logs.
start() {
  local name=$1
  shift
  setsid "$@" >"$dir/logs/$name.log" 2>&1 < /dev/null 8>&- 9>&- &
  echo $! > "$dir/pids/$name"
}

# wait_until SECONDS WHAT COMMAND...: polls COMMAND every second.
wait_until() {
  local timeout=$1 what=$2
  shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "cluster: $what not ready after ${timeout}s" >&2
      return 1
    fi
    sleep 1
  done
}

certs() {
  local pki=$dir/pki
  mkdir -p "$pki"
  cd "$pki"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=vnstream-test-ca" -keyout ca.key -out ca.crt 2>/dev/null
  # cert NAME SUBJECT [SAN]
  cert() {
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "$2" \
      -keyout "$1.key" -out "$1.csr" 2>/dev/null
    echo "subjectAltName=${3:-DNS:$1}" > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  }
  cert apiserver "/CN=kube-apiserver" \
    "IP:127.0.0.1,IP:${service_cidr%.*}.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc"
  cert kubelet "/CN=$node" "DNS:$node,IP:127.0.0.1"
  # One administrator identity for the components and the test: a
  # throwaway cluster, authorised by RBAC's system:masters group.
  cert admin "/O=system:masters/CN=vnstream-test-admin"
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
  cd - >/dev/null
}

kubeconfig() {
  cat > "$dir/kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: local
    cluster:
      server: https://127.0.0.1:$1
      certificate-authority: $dir/pki/ca.crt
users:
  - name: admin
    user:
      client-certificate: $dir/pki/admin.crt
      client-key: $dir/pki/admin.key
contexts:
  - name: local
    context: {cluster: local, user: admin}
current-context: local
EOF
}

up() {
  [[ $(id -u) -eq 0 ]] || { echo "cluster: needs root" >&2; exit 1; }
  [[ ! -f $dir/pids/kube-apiserver ]] || { echo "cluster: $dir is in use; run down first" >&2; exit 1; }
  local k8s_home
  k8s_home=$("$here/build-k8s.sh" --wait "${VNSTREAM_K8S_WAIT:-1800}")
  mkdir -p "$dir"/{bin,logs,pids,etcd,kubelet,containerd,cni,pv} "$node_cache"
  ln -sf "$k8s_home"/bin/* "$dir/bin/"
  for s in "${sysctls[@]}"; do sysctl -n "$s" > "$dir/sysctl.$s" 2>/dev/null || rm -f "$dir/sysctl.$s"; done
  ls /var/run/netns 2>/dev/null | sort > "$dir/netns.before" || true
  sysctl -qw net.ipv4.ip_forward=1
  # Forwarding is on for the pods' bridge only: pods reach pods (Services
  # are translated to pods before this rule), never beyond the machine.
  iptables -I FORWARD "${isolate[@]}"
  certs
  local etcd_port etcd_peer api_port kubelet_port
  etcd_port=$(free_port); etcd_peer=$(free_port); api_port=$(free_port); kubelet_port=$(free_port)
  kubeconfig "$api_port"
  export KUBECONFIG=$dir/kubeconfig

  log "etcd"
  start etcd etcd --name=node --data-dir="$dir/etcd" \
    --listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
    --listen-peer-urls="http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer" \
    --initial-cluster="node=http://127.0.0.1:$etcd_peer" \
    --quota-backend-bytes=2147483648 --log-level=warn
  log "kube-apiserver"
  local pki=$dir/pki
  # --endpoint-reconciler-type=none: a loopback advertise address is
  # otherwise refused for the `kubernetes` Service's endpoints.
  start kube-apiserver kube-apiserver --etcd-servers="http://127.0.0.1:$etcd_port" \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
    --endpoint-reconciler-type=none --service-cluster-ip-range="$service_cidr" \
    --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
    --client-ca-file="$pki/ca.crt" --authorization-mode=RBAC \
    --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
    --service-account-issuer=https://kubernetes.default.svc \
    --kubelet-client-certificate="$pki/admin.crt" --kubelet-client-key="$pki/admin.key" \
    --kubelet-certificate-authority="$pki/ca.crt" --kubelet-preferred-address-types=Hostname \
    --profiling=false --v=0
  wait_until 120 kube-apiserver kubectl get --raw /readyz
  log "controller-manager, scheduler"
  start kube-controller-manager kube-controller-manager --kubeconfig="$dir/kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 \
    --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
    --use-service-account-credentials=false
  start kube-scheduler kube-scheduler --kubeconfig="$dir/kubeconfig" --leader-elect=false \
    --bind-address=127.0.0.1 --secure-port=0

  log "containerd"
  cat > "$dir/containerd/config.toml" <<EOF
version = 2
root = "$node_cache/containerd"
state = "$dir/containerd/state"
[grpc]
  address = "$dir/containerd/containerd.sock"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$pause_image"
  restrict_oom_score_adj = true
  enable_selinux = false
  disable_apparmor = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$dir/cni"
EOF
  # Pods on a bridge of their own; no masquerading to the outside world.
  cat > "$dir/cni/10-vnstream.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "vnstream-test",
  "plugins": [
    {"type": "bridge", "bridge": "$bridge", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$pod_cidr"}]],
              "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$dir/cni/ipam"}},
    {"type": "loopback"}
  ]
}
EOF
  start containerd containerd --config "$dir/containerd/config.toml"
  wait_until 60 containerd ctr --address "$dir/containerd/containerd.sock" version
  load_pause

  log "kubelet, kube-proxy"
  cat > "$dir/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $kubelet_port
readOnlyPort: 0
healthzPort: 0
tlsCertFile: $pki/kubelet.crt
tlsPrivateKeyFile: $pki/kubelet.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: AlwaysAllow}
containerRuntimeEndpoint: unix://$dir/containerd/containerd.sock
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
protectKernelDefaults: false
# No resolver in the pods: there is no cluster DNS, the overlays address
# Services by their environment variables, and nothing may query the
# host's resolver from inside the cluster.
resolvConf: ""
podCIDR: $pod_cidr
maxPods: 60
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: 100Mi, nodefs.available: 1%, imagefs.available: 1%, nodefs.inodesFree: 1%}
EOF
  start kubelet kubelet --config="$dir/kubelet/config.yaml" --kubeconfig="$dir/kubeconfig" \
    --root-dir="$dir/kubelet/root" --hostname-override="$node" --v=0
  cat > "$dir/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: $dir/kubeconfig}
hostnameOverride: $node
bindAddress: 127.0.0.1
healthzBindAddress: 127.0.0.1:$(free_port)
metricsBindAddress: 127.0.0.1:$(free_port)
clusterCIDR: $pod_cidr
# Service traffic between pods of one bridge goes back through the host.
iptables: {masqueradeAll: true, localhostNodePorts: false}
# Leave the host's conntrack settings alone.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
  start kube-proxy kube-proxy --config="$dir/kube-proxy.yaml"
  wait_until 120 "node $node" kubectl wait --for=condition=Ready "node/$node" --timeout=5s

  # Volumes for StatefulSets (no provisioner here): hostPath PersistentVolumes
  # in DIR/pv, owned by the images' user.
  for i in 0 1 2 3; do
    mkdir -p "$dir/pv/$i"
    chown 65532:65532 "$dir/pv/$i"
    cat <<EOF
apiVersion: v1
kind: PersistentVolume
metadata: {name: local-$i}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath: {path: $dir/pv/$i, type: Directory}
---
EOF
  done | kubectl apply -f - >/dev/null
  log "up; KUBECONFIG=$dir/kubeconfig"
  echo "$dir/kubeconfig"
}

load_pause() {
  local k8s_home
  k8s_home=$(readlink -f "$dir/bin/kubelet")
  k8s_home=${k8s_home%/bin/kubelet}
  mkdir -p "$dir/pause"
  cp "$k8s_home/bin/pause" "$dir/pause/pause"
  printf 'FROM scratch\nCOPY pause /pause\nUSER 65535:65535\nENTRYPOINT ["/pause"]\n' > "$dir/pause/Containerfile"
  CONTAINERS_CONF="$here/../images/containers.conf" podman build --quiet --network=none \
    -t "$pause_image" "$dir/pause" >/dev/null
  load "$pause_image"
}

load() {
  local image id ctr=(ctr --address "$dir/containerd/containerd.sock" -n k8s.io)
  export CONTAINERS_CONF="$here/../images/containers.conf"
  for image in "$@"; do
    id=$(podman image inspect --format '{{.Id}}' "$image")
    if "${ctr[@]}" images ls "name==$image" 2>/dev/null | grep -q "vnstream.podman-id=$id"; then
      continue
    fi
    podman save --quiet --format docker-archive "$image" | "${ctr[@]}" images import - >/dev/null
    "${ctr[@]}" images label "$image" "vnstream.podman-id=$id" >/dev/null
  done
}

stop_pid() {
  local name=$1 pid
  [[ -f $dir/pids/$name ]] || return 0
  pid=$(cat "$dir/pids/$name")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$dir/pids/$name"
}

# Removes every iptables chain (and the rules jumping to it) named KUBE-* or
# CNI-*: kube-proxy's, the kubelet's and the CNI plugins'.
clean_iptables() {
  local save restore
  for save in iptables-save ip6tables-save; do
    restore=${save/-save/-restore}
    command -v "$save" >/dev/null || continue
    local dump
    dump=$("$save" 2>/dev/null) || continue
    grep -qE '(KUBE-|CNI-)' <<<"$dump" || continue
    grep -vE '^:(KUBE-|CNI-)|^-A (KUBE-|CNI-)|-j (KUBE-|CNI-)' <<<"$dump" | "$restore"
  done
}

down() {
  [[ -d $dir/pids ]] || return 0
  export KUBECONFIG=$dir/kubeconfig
  # Pods first, while the kubelet can still tear down their networks.
  if [[ -f $dir/pids/kube-apiserver ]] && kubectl get --raw /readyz >/dev/null 2>&1; then
    log "deleting workloads"
    local namespaces
    namespaces=$(kubectl get ns -o name 2>/dev/null | grep -vE '/(default|kube-system|kube-public|kube-node-lease)$' || true)
    [[ -z $namespaces ]] || kubectl delete $namespaces --wait=false >/dev/null 2>&1 || true
    kubectl delete pods --all -A --grace-period=5 --wait=false >/dev/null 2>&1 || true
    local deadline=$((SECONDS + 90))
    while ((SECONDS < deadline)) && [[ -n $(kubectl get pods -A -o name 2>/dev/null) ]]; do sleep 1; done
  fi
  log "stopping the components"
  for name in kube-proxy kubelet kube-scheduler kube-controller-manager; do stop_pid "$name"; done
  # Whatever the kubelet left: containers, sandboxes, their network.
  local sock=$dir/containerd/containerd.sock
  if [[ -S $sock ]]; then
    local ctr=(ctr --address "$sock" -n k8s.io)
    for task in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks kill -s SIGKILL "$task" >/dev/null 2>&1 || true; done
    sleep 1
    for task in $("${ctr[@]}" tasks ls -q 2>/dev/null); do "${ctr[@]}" tasks delete -f "$task" >/dev/null 2>&1 || true; done
    for c in $("${ctr[@]}" containers ls -q 2>/dev/null); do "${ctr[@]}" containers delete "$c" >/dev/null 2>&1 || true; done
  fi
  stop_pid containerd
  stop_pid kube-apiserver
  stop_pid etcd
  # Leftover containerd shims of this cluster (their command line names
  # this cluster's socket), by process id.
  for pid in $(pgrep -f -- "-address $sock" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
  # Mounts under the state directory (pods' volumes, overlay snapshots,
  # sandboxes' /dev/shm), deepest first.
  findmnt -rn -o TARGET | grep -F -e "$dir/" -e "$node_cache/" | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
  # Network namespaces containerd created for this cluster's pods.
  for ns in $(ls /var/run/netns 2>/dev/null); do
    if ! grep -qx "$ns" "$dir/netns.before" 2>/dev/null && [[ $ns == cni-* ]]; then
      umount "/var/run/netns/$ns" 2>/dev/null || true
      rm -f "/var/run/netns/$ns"
    fi
  done
  ip link delete "$bridge" 2>/dev/null || true
  clean_iptables
  while iptables -D FORWARD "${isolate[@]}" 2>/dev/null; do :; done
  # cgroups of the pods (cgroupfs driver).
  find /sys/fs/cgroup -depth -type d -path '*kubepods*' -exec rmdir {} + 2>/dev/null || true
  for s in "${sysctls[@]}"; do
    [[ -f $dir/sysctl.$s ]] && sysctl -qw "$s=$(cat "$dir/sysctl.$s")"
  done
  rm -rf "$dir"
  log "down"
}

case $command in
  up) up ;;
  load) load "$@" ;;
  down) down ;;
  *) echo "usage: $0 up|load|down DIR [IMAGE...]" >&2; exit 2 ;;
esac
