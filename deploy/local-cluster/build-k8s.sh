#!/usr/bin/env bash
# Builds a single-node Kubernetes (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kube-proxy, kubectl), etcd and the pause image's
# binary from the Go module proxy, once, into a versioned cache folder:
#   ${VNSTREAM_CACHE:-~/.cache/vnstream}/k8s-v<version>/{bin/,.complete}
# and prints that folder. A kept machine skips the build (~11 min cold on
# 2 cores). Debian has no Kubernetes and no registry is reachable, hence the
# source build. Concurrent runs wait for each other (flock).
#   deploy/local-cluster/build-k8s.sh               # build if missing
#   deploy/local-cluster/build-k8s.sh --background  # the same, detached
#                                                   # (log: <folder>/build.log)
#   deploy/local-cluster/build-k8s.sh --wait N      # only wait up to N s for
#                                                   # a build already started
set -euo pipefail
k8s_version=1.34.0
etcd_version=3.6.4
cache=${VNSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vnstream}
home="$cache/k8s-v$k8s_version"
mkdir -p "$home"
if [[ ${1:-} == --background ]]; then
  [[ -f "$home/.complete" ]] && exit 0
  # Niced: it soaks up the CPU the tests leave idle (they mostly wait).
  setsid nice -n 15 "${BASH_SOURCE[0]}" > "$home/build.log" 2>&1 < /dev/null &
  exit 0
fi
if [[ ${1:-} == --wait ]]; then
  # Waits for a build in progress (setup.sh starts one in the background).
  deadline=$((SECONDS + ${2:-1800}))
  exec 9>"$home/.lock"
  while ! flock -n 9; do
    ((SECONDS < deadline)) || { echo "build-k8s: still building after ${2:-1800}s; see $home/build.log" >&2; exit 1; }
    sleep 2
  done
  [[ -f "$home/.complete" ]] || { echo "build-k8s: no complete build in $home; see $home/build.log" >&2; exit 1; }
  echo "$home"
  exit 0
fi
exec 9>"$home/.lock"
flock 9
if [[ -f "$home/.complete" ]]; then
  echo "$home"
  exit 0
fi
if ! command -v go >/dev/null && [[ -x /usr/local/go/bin/go ]]; then
  export PATH="/usr/local/go/bin:$PATH"
fi
echo "build-k8s: building Kubernetes v$k8s_version and etcd v$etcd_version into $home" >&2
start=$SECONDS
work="$home/src"
rm -rf "$work" "$home/bin"
mkdir -p "$work/k8s" "$work/etcd" "$home/bin.partial"
export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=${GOTOOLCHAIN:-auto}

# k8s.io/kubernetes replaces its staging modules with local folders; outside
# its repository they are the published v0.<minor>.<patch> modules.
(cd "$work/k8s" && go mod download -json "k8s.io/kubernetes@v$k8s_version" >/dev/null)
gomod="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/v$k8s_version.mod"
{
  echo "module vnstream.local/k8s"
  echo "go 1.24.0"
  echo "require k8s.io/kubernetes v$k8s_version"
  echo "replace ("
  sed -n "s:^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/.*:\t\1 => \1 v0.${k8s_version#1.}:p" "$gomod"
  echo ")"
} > "$work/k8s/go.mod"
[[ $(grep -c ' => ' "$work/k8s/go.mod") -ge 30 ]] || { echo "build-k8s: staging replaces not found in $gomod" >&2; exit 1; }
version_flags="-X k8s.io/component-base/version.gitVersion=v$k8s_version"
version_flags+=" -X k8s.io/component-base/version.gitMajor=${k8s_version%%.*}"
minor=${k8s_version#*.}
version_flags+=" -X k8s.io/component-base/version.gitMinor=${minor%%.*}"
version_flags+=" -X k8s.io/component-base/version.gitTreeState=clean"
cmds=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
(cd "$work/k8s" && go build -trimpath -ldflags "-s -w $version_flags" -o "$home/bin.partial/" \
  "${cmds[@]/#/k8s.io/kubernetes/cmd/}") >&2

{
  echo "module vnstream.local/etcd"
  echo "go 1.24.0"
  echo "require go.etcd.io/etcd/server/v3 v$etcd_version"
} > "$work/etcd/go.mod"
(cd "$work/etcd" && go build -trimpath -ldflags "-s -w" -o "$home/bin.partial/etcd" go.etcd.io/etcd/server/v3) >&2

# The sandbox ("pause") container's binary, from the same module.
pause_c="$(go env GOMODCACHE)/k8s.io/kubernetes@v$k8s_version/build/pause/linux/pause.c"
gcc -Os -static -o "$home/bin.partial/pause" -DVERSION="v$k8s_version" "$pause_c"
strip "$home/bin.partial/pause"

rm -rf "$work"
mv "$home/bin.partial" "$home/bin"
echo "v$k8s_version etcd v$etcd_version built in $((SECONDS - start)) s" > "$home/.complete"
echo "build-k8s: done in $((SECONDS - start)) s" >&2
echo "$home"
