#!/usr/bin/env bash
# Builds vnstream's OCI images with podman, from a Debian 12 base made by
# mmdebstrap from Debian's mirror (no container registry is needed):
#   localhost/vnstream:TAG            the C++ binaries (services, vnstock-sim,
#                                     vnstream-client, vnstream-kafka-topics)
#   localhost/vnstream-dashboard:TAG  clients/dashboard (Python)
#   localhost/vnstream-kafka:TAG      Apache Kafka (tools/kafka's Maven jars,
#                                     Debian's JRE), for the local overlay
#   localhost/vnstream-postgres:TAG   PostgreSQL 15 from Debian, local overlay
# Usage:
#   scripts/build-images.sh                    # bazel build -c opt, then images
#   scripts/build-images.sh --tag 0.1.0        # default tag: local
#   scripts/build-images.sh --binaries DIR     # use these binaries (tests)
#   scripts/build-images.sh --refresh-base     # re-run mmdebstrap
# Needs root and the packages scripts/setup.sh installs. podman's layer cache
# makes an unchanged rebuild take seconds; the base tarball is cached in
# ${VNSTREAM_CACHE:-~/.cache/vnstream}/images. Push to a registry with
# `podman push localhost/vnstream:TAG REGISTRY/vnstream:TAG`.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tag=local
binaries=""
refresh_base=false
while (($#)); do
  case $1 in
    --tag) tag=$2; shift 2 ;;
    --binaries) binaries=$(cd "$2" && pwd); shift 2 ;;
    --refresh-base) refresh_base=true; shift ;;
    *) echo "usage: $0 [--tag TAG] [--binaries DIR] [--refresh-base]" >&2; exit 2 ;;
  esac
done
# The C++ binaries of the services image.
targets=(
  //services/ingest:vnstream-ingest
  //services/analytics:vnstream-analytics
  //services/gateway:vnstream-gateway
  //services/store:vnstream-store
  //tools/vnstock_sim:vnstock-sim
  //clients/cpp:vnstream-client
  //tools/kafka:vnstream-kafka-topics
)
cache=${VNSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vnstream}
export CONTAINERS_CONF="$repo/deploy/images/containers.conf"
images="$cache/images"
mkdir -p "$images"
start=$SECONDS
log() { echo "build-images: $* ($((SECONDS - start)) s)" >&2; }

# 1. The base: Debian 12 minbase from the mirror; rebuilt when this script's
# base recipe changes (its hash names the tarball) or on --refresh-base.
mirrors=(
  "deb http://deb.debian.org/debian bookworm main"
  "deb http://deb.debian.org/debian bookworm-updates main"
  "deb http://deb.debian.org/debian-security bookworm-security main"
)
base_opts=(--variant=minbase --include=ca-certificates
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/doc/*/copyright')
base_key=$(printf '%s\n' "${mirrors[@]}" "${base_opts[@]}" | sha256sum | cut -c1-12)
base_tar="$images/debian-bookworm-$base_key.tar"
if $refresh_base || [[ ! -f $base_tar ]]; then
  log "mmdebstrap: Debian 12 base into $base_tar"
  rm -f "$base_tar.partial"
  mmdebstrap --quiet "${base_opts[@]}" --format=tar bookworm "$base_tar.partial" "${mirrors[@]}"
  mv "$base_tar.partial" "$base_tar"
  podman rmi --force localhost/vnstream-base:bookworm >/dev/null 2>&1 || true
fi
if [[ $(podman image inspect --format '{{index .Labels "vnstream.base"}}' \
         localhost/vnstream-base:bookworm 2>/dev/null) != "$base_key" ]]; then
  log "importing the base image"
  podman import --quiet --change "LABEL vnstream.base=$base_key" \
    --change 'CMD ["/bin/bash"]' "$base_tar" localhost/vnstream-base:bookworm >/dev/null
fi

# 2. Build contexts: only what each image needs.
ctx=$(mktemp -d "$images/context.XXXXXX")
trap 'rm -rf "$ctx"' EXIT
mkdir -p "$ctx/services/bin" "$ctx/dashboard/app/clients/dashboard" "$ctx/dashboard/wheels" \
  "$ctx/kafka" "$ctx/postgres"
if [[ -z $binaries ]]; then
  log "bazel build -c opt"
  (cd "$repo" && bazel build -c opt "${targets[@]}")
  bin_dir="$repo/bazel-bin"
  for t in "${targets[@]}"; do
    p=${t#//}
    cp "$bin_dir/${p%%:*}/${p##*:}" "$ctx/services/bin/"
  done
else
  for t in "${targets[@]}"; do
    cp -L "$binaries/${t##*:}" "$ctx/services/bin/"
  done
fi
chmod 0755 "$ctx/services/bin/"*
cp "$repo/data/vn30/vn30-daily-2016-2019.csv" "$ctx/services/"

cp -rL "$repo/clients/dashboard/server.py" "$repo/clients/dashboard/static" \
  "$ctx/dashboard/app/clients/dashboard/"
# The charting library the page loads, from npm (setup.sh's npm ci; found
# beside the real server.py: runfiles do not hold node_modules), with its
# licence.
charts=$(dirname "$(readlink -f "$repo/clients/dashboard/server.py")")/node_modules/lightweight-charts
mkdir -p "$ctx/dashboard/app/clients/dashboard/node_modules/lightweight-charts/dist"
cp "$charts/LICENSE" "$ctx/dashboard/app/clients/dashboard/node_modules/lightweight-charts/"
cp "$charts/dist/lightweight-charts.standalone.production.js" \
  "$ctx/dashboard/app/clients/dashboard/node_modules/lightweight-charts/dist/"
find "$ctx/dashboard/app" -name __pycache__ -prune -exec rm -rf {} +
# The vnstream package (clients/python) the dashboard uses, as a wheel whose
# stubs the build generates from proto/; built from a copy of the checkout's
# layout, offline (build requirements: the wheels setup.sh downloaded).
mkdir -p "$ctx/python/clients"
cp -rL "$repo/clients/python" "$ctx/python/clients/python"
cp -rL "$repo/proto" "$ctx/python/proto"
log "pip wheel clients/python"
PIP_NO_INDEX=1 PIP_FIND_LINKS="$cache/wheels" PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
  "$cache/venv/bin/python" -m pip wheel --quiet --no-deps -w "$ctx/dashboard/wheels" \
  "$ctx/python/clients/python"
# Its dependencies, at the versions of requirements.txt, downloaded once
# from PyPI as wheels for Debian 12's Python 3.11.
mapfile -t pins < <(grep -E '^(grpcio|protobuf|pandas|numpy)==' "$repo/tools/python/requirements.txt")
wheels="$images/wheels-$(printf '%s\n' "${pins[@]}" | sha256sum | cut -c1-12)"
if [[ ! -f $wheels/.complete ]]; then
  log "pip download ${pins[*]}"
  rm -rf "$wheels"
  pip=(python3 -m pip)
  python3 -m pip --version >/dev/null 2>&1 || pip=("$cache/venv/bin/pip")
  "${pip[@]}" download --quiet --disable-pip-version-check --only-binary=:all: \
    --python-version 3.11 --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64 \
    --dest "$wheels" "${pins[@]}"
  touch "$wheels/.complete"
fi
cp "$wheels"/*.whl "$ctx/dashboard/wheels/"

kafka_home=$("$repo/tools/kafka/fetch-kafka.sh")
cp -rL "$kafka_home/lib" "$ctx/kafka/kafka-libs"
cp "$repo/deploy/images/kafka-entrypoint.sh" "$ctx/kafka/"
cp "$repo/deploy/images/postgres-entrypoint.sh" "$ctx/postgres/"

# 3. The images.
for image in services dashboard kafka postgres; do
  name=localhost/vnstream-$image
  [[ $image == services ]] && name=localhost/vnstream
  log "podman build $name:$tag"
  podman build --quiet --layers --network=host -f "$repo/deploy/images/Containerfile.$image" \
    -t "$name:$tag" "$ctx/$image" >/dev/null
done
podman image prune --force >/dev/null
log "done: $(podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' --filter reference='localhost/vnstream*' | grep ":$tag " | tr '\n' ' ')"
