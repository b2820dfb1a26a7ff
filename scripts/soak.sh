#!/usr/bin/env bash
# Soak (issue 14): the whole stack at 1,600 securities, vnstock-sim at 10x,
# 1,000 streams, 30 minutes; prints a sample a minute (per service RSS, open
# files, CPU; consumer lag; produce -> client latency) and a verdict: RSS,
# open files, lag and latency flat from the first third to the last.
# Flags go to the soak binary (bench/soak/soak.cc), e.g.
#   scripts/soak.sh --duration=5m --streams=200
# Exits 1 if anything grew or died. Not run by CI (its 80 s variant is
# //bench/soak:soak_smoke_test).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
scripts/setup.sh >&2
bazel run -c opt //bench/soak:soak -- "$@"
