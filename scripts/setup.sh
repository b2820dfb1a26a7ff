#!/usr/bin/env bash
# Installs everything vnstream needs to build, test and run, on Debian 12.
# Idempotent: a second run only checks. Used by run-local.sh, test.sh and CI.
#   - Debian packages: Bazel 4.2.3 (bazel-bootstrap), gRPC, protobuf,
#     librdkafka, prometheus-cpp, curl, Abseil, spdlog, yaml-cpp, RapidJSON,
#     GoogleTest, Google Benchmark, clang-format, Prometheus (promtool), kcat,
#     OpenSSL (libssl-dev; the openssl tool for scripts/make-certs.sh);
#     clang-14 for the sanitizer and fuzzing stages
#   - PostgreSQL 15 (server binaries and libpq) for the history store
#   - Apache Kafka jars from Maven Central (tools/kafka/fetch-kafka.sh)
#   - a Python venv from PyPI (tools/python/requirements.txt: TA-Lib, grpcio)
#     and the wheels the Python package's tests install offline
#   - grpcurl, built with `go install` from the Go module proxy
#   - ghz (bench/gateway:unary_bench's load generator), the same way
#   - protoc-gen-go, protoc-gen-go-grpc and clients/go's modules (Go proxy)
#   - buf from npm (tools/buf) for the proto lint and breaking-change tests
#   - from npm (clients/dashboard): lightweight-charts, the dashboard's
#     charting library, served by server.py; playwright-core for its browser
#     test (Debian's Chromium; no browser download)
#   - .bazelrc.local: tells tests where the Kafka jars and the venv are
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

packages=(
  bazel-bootstrap
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librdkafka-dev prometheus-cpp-dev libcurl4-openssl-dev libabsl-dev libssl-dev openssl
  libgtest-dev libgmock-dev libbenchmark-dev pkg-config
  libspdlog-dev libfmt-dev libyaml-cpp-dev rapidjson-dev libcpp-httplib-dev
  clang-format prometheus kcat chromium
  default-jdk-headless maven python3 python3-venv openssl
)
# --- PostgreSQL 15 (the history store: services/store, tools/postgres) ---
# The server binaries (/usr/lib/postgresql/15/bin; tools/postgres runs them
# in a work directory: .run/postgres, test and benchmark directories) and
# libpq for the C++ client (libs/pg). Debian's package would also create and
# start a system cluster on port 5432, which nobody here uses and which
# would take run-local's port: that is switched off before installing.
packages+=(postgresql-15 libpq-dev)

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
if ! dpkg-query -W -f='${Status}' postgresql-15 2>/dev/null | grep -q "ok installed"; then
  # A drop-in (createcluster.conf includes this directory last), not the
  # package's own conffile.
  $sudo mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" |
    $sudo tee /etc/postgresql-common/createcluster.d/vnstream.conf >/dev/null
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# --- Hardening (issue 14): Debian's clang-14 and its runtime libraries for
# the clang stages of scripts/test.sh (ASan+UBSan, TSan, -Wthread-safety)
# and the libFuzzer targets (scripts/fuzz.sh). GCC stays the main compiler.
clang_packages=(clang-14 libclang-rt-14-dev)
clang_missing=()
for p in "${clang_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || clang_missing+=("$p")
done
if ((${#clang_missing[@]})); then
  echo "setup: installing ${clang_missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${clang_missing[@]}" >/dev/null
fi
# --- end of the hardening block

kafka_home=$("$repo/tools/kafka/fetch-kafka.sh")

cache=${VNSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vnstream}
# The cache is shared by every worktree on the machine: one setup at a time
# (a second one would delete the venv the first is still filling).
mkdir -p "$cache"
exec 9>"$cache/.setup.lock"
flock 9
venv="$cache/venv"
requirements="$repo/tools/python/requirements.txt"
stamp=$(sha256sum "$requirements" | cut -d' ' -f1)
if [[ "$(cat "$venv/.requirements" 2>/dev/null)" != "$stamp" ]]; then
  echo "setup: creating Python venv $venv" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements" >&2
  echo "$stamp" > "$venv/.requirements"
fi

grpcurl_version=v1.9.4
grpcurl="$cache/bin/grpcurl"
if [[ "$(cat "$cache/bin/.grpcurl" 2>/dev/null)" != "$grpcurl_version" ]]; then
  echo "setup: building grpcurl $grpcurl_version" >&2
  # The machine's Go (1.2x); Debian's golang-go 1.19 only as a last resort,
  # letting it fetch a newer toolchain from the module proxy.
  if ! command -v go >/dev/null; then
    [[ -x /usr/local/go/bin/go ]] && export PATH="/usr/local/go/bin:$PATH"
  fi
  if ! command -v go >/dev/null; then
    $sudo apt-get install -y -qq golang-go >/dev/null
    export GOTOOLCHAIN=auto
  fi
  mkdir -p "$cache/bin"
  (cd /tmp && GOBIN="$cache/bin" GOFLAGS=-mod=mod \
    go install "github.com/fullstorydev/grpcurl/cmd/grpcurl@$grpcurl_version") >&2
  echo "$grpcurl_version" > "$cache/bin/.grpcurl"
fi

# ghz, the gRPC load generator of bench/gateway:unary_bench, the same way
# (the machine's Go).
ghz_version=v0.121.0
if [[ "$(cat "$cache/bin/.ghz" 2>/dev/null)" != "$ghz_version" ]]; then
  echo "setup: building ghz $ghz_version" >&2
  mkdir -p "$cache/bin"
  (cd /tmp && GOBIN="$cache/bin" GOFLAGS=-mod=mod \
    "$(command -v go || echo /usr/local/go/bin/go)" install \
    "github.com/bojand/ghz/cmd/ghz@$ghz_version") >&2
  echo "$ghz_version" > "$cache/bin/.ghz"
fi

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  $sudo apt-get install -y -qq nodejs npm >/dev/null
fi
dashboard="$repo/clients/dashboard"
lock_stamp=$(sha256sum "$dashboard/package-lock.json" | cut -d' ' -f1)
if [[ "$(cat "$dashboard/node_modules/.vnstream-lock" 2>/dev/null)" != "$lock_stamp" ]]; then
  echo "setup: npm ci (clients/dashboard)" >&2
  (cd "$dashboard" && npm ci --no-audit --no-fund --loglevel=error) >&2
  echo "$lock_stamp" > "$dashboard/node_modules/.vnstream-lock"
fi

# --- Deployment (deploy/, scripts/build-images.sh, tests/images_test,
# tests/k8s_cluster_test) ---------------------------------------------------
# podman and mmdebstrap build the images from Debian's mirror; containerd,
# runc, the CNI plugins, iptables and conntrack run the single-node test
# cluster. Its Kubernetes binaries are built from the Go module proxy once
# (~11 min cold, cached in $cache/k8s-v<version>), in the background so the
# build overlaps the other tests; tests/k8s_cluster_test waits for it.
deploy_packages=(
  podman buildah runc crun fuse-overlayfs slirp4netns mmdebstrap uidmap
  containernetworking-plugins golang-github-containers-common catatonit
  containerd iptables conntrack openssl
)
deploy_missing=()
for p in "${deploy_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || deploy_missing+=("$p")
done
if ((${#deploy_missing[@]})); then
  echo "setup: installing ${#deploy_missing[@]} Debian packages: ${deploy_missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    "${deploy_missing[@]}" >/dev/null
fi
VNSTREAM_CACHE=$cache "$repo/deploy/local-cluster/build-k8s.sh" --background
# --- end of the deployment block --------------------------------------------
# ---- Python package (clients/python) -----------------------------------------
# Its tests install it into a fresh venv offline: the wheels of its
# dependencies, test tools and build requirements, at the shared venv's
# versions, are downloaded here.
wheels="$cache/wheels"
pyproject="$repo/clients/python/pyproject.toml"
wheels_stamp=$(cat "$pyproject" "$requirements" | sha256sum | cut -d' ' -f1)
if [[ "$(cat "$wheels/.stamp" 2>/dev/null)" != "$wheels_stamp" ]]; then
  echo "setup: downloading wheels for clients/python into $wheels" >&2
  mapfile -t build_requires < <("$venv/bin/python" -c '
import sys, tomllib
print("\n".join(tomllib.load(open(sys.argv[1], "rb"))["build-system"]["requires"]))' "$pyproject")
  "$venv/bin/pip" download -q --disable-pip-version-check -d "$wheels" \
    -c "$requirements" "$repo/clients/python[test]" "${build_requires[@]}" >&2
  echo "$wheels_stamp" > "$wheels/.stamp"
fi

# ---- Go client (clients/go) -------------------------------------------------
# protoc-gen-go and protoc-gen-go-grpc (pinned here) for clients/go/generate.sh
# and //clients/go:generated_test; the module's dependencies into a module
# cache of our own, so `go test` in //tests:clients_test runs offline
# (GOPROXY=off). The machine's Go (1.25+: grpc-go needs it).
go_bin=$(command -v go || echo /usr/local/go/bin/go)
go_plugins="google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2"
if [[ "$(cat "$cache/bin/.go-plugins" 2>/dev/null)" != "$go_plugins" ]]; then
  echo "setup: installing protoc-gen-go, protoc-gen-go-grpc" >&2
  mkdir -p "$cache/bin"
  for plugin in $go_plugins; do
    (cd /tmp && GOBIN="$cache/bin" GOFLAGS=-mod=mod "$go_bin" install "$plugin") >&2
  done
  echo "$go_plugins" > "$cache/bin/.go-plugins"
fi
gomodcache="$cache/gomod"
go_stamp=$(cat "$repo/clients/go/go.mod" "$repo/clients/go/go.sum" | sha256sum | cut -d' ' -f1)
if [[ "$(cat "$gomodcache/.vnstream-go-sum" 2>/dev/null)" != "$go_stamp" ]]; then
  echo "setup: go mod download (clients/go) into $gomodcache" >&2
  (cd "$repo/clients/go" && GOMODCACHE="$gomodcache" GOFLAGS=-mod=mod "$go_bin" mod download) >&2
  echo "$go_stamp" > "$gomodcache/.vnstream-go-sum"
fi
# A build cache with the module's dependencies compiled (grpc-go takes
# minutes on a loaded machine): clients/go/run_tests.sh starts from a copy.
gocache="$cache/gocache"
gocache_stamp="$go_stamp $("$go_bin" env GOVERSION)"
if [[ "$(cat "$gocache/.vnstream-stamp" 2>/dev/null)" != "$gocache_stamp" ]]; then
  echo "setup: compiling clients/go's dependencies into $gocache" >&2
  rm -rf "$gocache"
  (cd "$repo/clients/go" && export GOMODCACHE="$gomodcache" GOFLAGS=-mod=mod GOPROXY=off \
    GOTOOLCHAIN=local GOCACHE="$gocache" GOTELEMETRY=off &&
    "$go_bin" vet ./... && "$go_bin" test -count=1 -run '^$' ./... >/dev/null) >&2
  echo "$gocache_stamp" > "$gocache/.vnstream-stamp"
fi

# ---- buf (lint and breaking checks of proto/, //proto:buf_*_test) ----------
# From npm: the @bufbuild/buf package ships the prebuilt binary, pinned by
# tools/buf/package-lock.json.
buf_dir="$repo/tools/buf"
buf_stamp=$(sha256sum "$buf_dir/package-lock.json" | cut -d' ' -f1)
if [[ "$(cat "$buf_dir/node_modules/.vnstream-lock" 2>/dev/null)" != "$buf_stamp" ]]; then
  echo "setup: npm ci (tools/buf)" >&2
  (cd "$buf_dir" && npm ci --no-audit --no-fund --loglevel=error) >&2
  echo "$buf_stamp" > "$buf_dir/node_modules/.vnstream-lock"
fi

# Bazel runs tests with HOME=$TEST_TMPDIR and a minimal environment, so they
# are told where the jars and the venv are.
cat > "$repo/.bazelrc.local" <<EOT
# Written by scripts/setup.sh; machine-specific, not committed.
test --test_env=VNSTREAM_KAFKA_HOME=$kafka_home
test --test_env=VNSTREAM_VENV=$venv
test --test_env=VNSTREAM_GRPCURL=$grpcurl
test --test_env=VNSTREAM_WHEELS=$wheels
test --test_env=VNSTREAM_GO=$go_bin
test --test_env=VNSTREAM_GOMODCACHE=$gomodcache
test --test_env=VNSTREAM_GOCACHE=$gocache
test --test_env=VNSTREAM_GO_PLUGINS=$cache/bin
test --test_env=VNSTREAM_BUF=$buf_dir/node_modules/.bin/buf
EOT
# The images' and the cluster's tests use the machine's cache (base image,
# wheels, Kubernetes binaries); other tests keep theirs in $TEST_TMPDIR.
echo "test --test_env=VNSTREAM_MACHINE_CACHE=$cache" >> "$repo/.bazelrc.local"
echo "setup: ok (Kafka jars in $kafka_home, Python venv $venv)" >&2
