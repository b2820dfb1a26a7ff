#!/usr/bin/env bash
# Installs the vnstream package built from this checkout into DIR (pip
# --target, no dependencies: PYTHON's environment has them), for programs of
# the repository that use it (the dashboard, run-local.sh, tests):
#   clients/python/install.sh PYTHON DIR      then PYTHONPATH=DIR
# Offline: the build requirements come from the wheels scripts/setup.sh
# downloaded ($VNSTREAM_WHEELS, default ~/.cache/vnstream/wheels). Builds
# from a copy, so the checkout (or a read-only Bazel runfiles tree) is left
# as it is.
set -euo pipefail
here=$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")
python=$1
target=$2
copy=$(mktemp -d)
trap 'rm -rf "$copy"' EXIT
mkdir -p "$copy/clients"
cp -rL "$here" "$copy/clients/python"
cp -rL "$here/../../proto" "$copy/proto"
cache=${VNSTREAM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/vnstream}
export PIP_NO_INDEX=1 PIP_FIND_LINKS=${VNSTREAM_WHEELS:-$cache/wheels} PIP_NO_CACHE_DIR=1 \
  PIP_DISABLE_PIP_VERSION_CHECK=1
rm -rf "$target"
"$python" -m pip install -q --no-deps --target "$target" "$copy/clients/python"
