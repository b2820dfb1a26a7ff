#!/usr/bin/env bash
# go test of the module, offline: dependencies from the module cache that
# scripts/setup.sh filled ($VNSTREAM_GOMODCACHE), the toolchain $VNSTREAM_GO.
# With VNSTREAM_GATEWAY set, the integration tests run against it. The build
# starts from a copy of the cache setup.sh compiled the dependencies into
# ($VNSTREAM_GOCACHE; read-only in the sandbox), when there is one.
#   run_tests.sh <clients/go dir>
set -euo pipefail
module=$(readlink -f "$1")
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/vnstream-go.XXXXXX")
cp -rL "$module" "$work/go"
if [[ -d ${VNSTREAM_GOCACHE:-} ]]; then cp -r "$VNSTREAM_GOCACHE" "$work/gocache"; fi
export GOMODCACHE=${VNSTREAM_GOMODCACHE:?VNSTREAM_GOMODCACHE unset: run scripts/setup.sh}
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOCACHE="$work/gocache" \
  GOPATH="$work/gopath" GOTELEMETRY=off
cd "$work/go"
"${VNSTREAM_GO:-go}" vet ./...
"${VNSTREAM_GO:-go}" test -count=1 -v ./...
