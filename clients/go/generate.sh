#!/usr/bin/env bash
# Regenerates the Go stubs (gen/) from proto/ with buf and the protoc-gen-go /
# protoc-gen-go-grpc versions scripts/setup.sh installs (pinned there):
#   clients/go/generate.sh [OUT_ROOT]     (or `go generate ./...` in clients/go)
# OUT_ROOT (default: the checkout) receives clients/go/gen/...; the
# up-to-date check generates into a temporary directory and compares.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cache=${VNSTREAM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/vnstream}
buf=${VNSTREAM_BUF:-$repo/tools/buf/node_modules/.bin/buf}
out=${1:-$repo}
export PATH="${VNSTREAM_GO_PLUGINS:-$cache/bin}:$PATH"
cd "$repo"
rm -rf "$out/clients/go/gen"
"$buf" generate --template clients/go/buf.gen.yaml -o "$out"
