#!/usr/bin/env bash
# Fails when clients/go/gen differs from what clients/go/generate.sh makes
# from proto/ (VNSTREAM_BUF, VNSTREAM_GO_PLUGINS: from scripts/setup.sh).
set -euo pipefail
cd "${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-.}"
out=$(mktemp -d "${TEST_TMPDIR:-/tmp}/gen.XXXXXX")
export BUF_CACHE_DIR="$out/.buf-cache"
clients/go/generate.sh "$out"
if ! diff -r clients/go/gen "$out/clients/go/gen"; then
  echo "clients/go/gen is out of date: run clients/go/generate.sh and commit" >&2
  exit 1
fi
echo "clients/go/gen is up to date"
