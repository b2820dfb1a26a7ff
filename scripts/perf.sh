#!/usr/bin/env bash
# Issue 17's performance goals in one table. Runs the benchmarks that
# measure them, each against its baseline in the same run (TA-Lib, Kafka's
# floor, a bare gRPC server), with opt builds, and gathers every
# benchmark's GOAL lines (bench/support/goals.h) into one table:
#   scripts/perf.sh                     # all of them, ~15 min
#   scripts/perf.sh indicators loadgen  # some: indicators, loadgen, unary
# Each benchmark's full output is printed as it runs. Not run by CI: a
# shared CI machine's timing is noise. Exits 1 if a benchmark failed (not
# when a goal is missed: that is a result, shown in the table).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
scripts/setup.sh >&2
cache=${VNSTREAM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vnstream}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

benches=("$@")
[[ ${#benches[@]} -gt 0 ]] || benches=(indicators loadgen unary)
failed=0
for bench in "${benches[@]}"; do
  echo "=== $bench" >&2
  case $bench in
    indicators)
      bazel build -c opt //bench/indicators:indicators_bench
      cmd=("$cache/venv/bin/python" bench/indicators/compare.py --no_pandas
        --bench "$(bazel info -c opt bazel-bin)/bench/indicators/indicators_bench") ;;
    loadgen) cmd=(bazel run -c opt //bench/gateway:loadgen) ;;
    unary) cmd=(bazel run -c opt //bench/gateway:unary_bench) ;;
    *) echo "unknown benchmark $bench (indicators, loadgen, unary)" >&2; exit 2 ;;
  esac
  if ! "${cmd[@]}" | tee "$out/$bench"; then
    echo "$bench failed" >&2
    failed=1
  fi
done

echo
echo "Issue 17 goals, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores:"
cat "$out"/* | grep '^GOAL' | awk -F'\t' '
  { n++; for (i = 2; i <= 5; i++) { cell[n, i] = $i; if (length($i) > w[i]) w[i] = length($i) } }
  END {
    split("goal measured target met", head, " ")
    for (i = 2; i <= 5; i++) if (length(head[i - 1]) > w[i]) w[i] = length(head[i - 1])
    printf "%-*s  %-*s  %-*s  %s\n", w[2], head[1], w[3], head[2], w[4], head[3], head[4]
    met = 0
    for (r = 1; r <= n; r++) {
      printf "%-*s  %-*s  %-*s  %s\n", w[2], cell[r, 2], w[3], cell[r, 3], w[4], cell[r, 4], cell[r, 5]
      if (cell[r, 5] == "yes") met++
    }
    printf "%d of %d goals met\n", met, n
  }'
exit "$failed"
