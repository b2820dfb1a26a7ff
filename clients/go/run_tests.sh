#!/usr/bin/env bash
# go test of the module, offline: dependencies from the module cache that
# scripts/setup.sh filled ($VNSTREAM_GOMODCACHE), the toolchain $VNSTREAM_GO.
# With VNSTREAM_GATEWAY set, the integration tests run against it.
#   run_tests.sh <clients/go dir>
set -euo pipefail
module=$(readlink -f "$1")
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/vnstream-go.XXXXXX")
cp -rL "$module" "$work/go"
export GOMODCACHE=${VNSTREAM_GOMODCACHE:?VNSTREAM_GOMODCACHE unset: run scripts/setup.sh}
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOCACHE="$work/gocache" \
  GOPATH="$work/gopath" GOTELEMETRY=off
cd "$work/go"
"${VNSTREAM_GO:-go}" vet ./...
"${VNSTREAM_GO:-go}" test -count=1 -v ./...
