#!/usr/bin/env bash
# buf checks of the v1 API (configuration: buf.yaml at the repository root).
#   buf_test.sh lint                 buf lint (STANDARD rules + listed exceptions)
#   buf_test.sh breaking <commit>    buf breaking against proto/vnstream as of
#                                    <commit> (read from the checkout's git)
# VNSTREAM_BUF is the buf binary (scripts/setup.sh writes it to .bazelrc.local).
set -euo pipefail
buf=${VNSTREAM_BUF:?VNSTREAM_BUF unset: run scripts/setup.sh}
# Bazel runs this in the runfiles tree, whose files link to the checkout.
cd "${TEST_SRCDIR:-.}/${TEST_WORKSPACE:-.}"
case "$1" in
  lint)
    "$buf" lint
    echo "buf lint: ok"
    ;;
  breaking)
    baseline=$2
    # The checkout (and its git history) the runfiles come from.
    checkout=$(dirname "$(readlink -f buf.yaml)")
    if ! git -C "$checkout" cat-file -e "$baseline^{commit}" 2>/dev/null; then
      echo "baseline commit $baseline is not in $checkout's history (a shallow clone?):" \
           "buf breaking needs a clone with history" >&2
      exit 1
    fi
    against=${TEST_TMPDIR:-$(mktemp -d)}/against
    rm -rf "$against" && mkdir -p "$against"
    # Only our own files: grpc/health is excluded in buf.yaml too.
    git -C "$checkout" archive "$baseline" proto/vnstream | tar -x -C "$against"
    "$buf" breaking proto --against "$against/proto"
    echo "buf breaking against $baseline: ok"
    ;;
  *)
    echo "usage: $0 lint | breaking <commit>" >&2
    exit 2
    ;;
esac
