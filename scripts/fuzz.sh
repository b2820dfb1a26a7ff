#!/usr/bin/env bash
# Runs every libFuzzer target (bazel/fuzz.bzl; built with clang, ASan and
# UBSan: --config=asan) for SECONDS each, starting from its seed corpus, and
# reports executions, executions per second, coverage and crashes:
#   scripts/fuzz.sh                 # 300 s per target
#   scripts/fuzz.sh 20              # CI (scripts/test.sh)
#   scripts/fuzz.sh 600 //libs/vnstock:price_board_fuzzer
# One line per target: "fuzz: <target> <execs> execs, <n>/s, cov <c>: OK"
# or "...: CRASH <artifact>" (the input that crashed, to add to the corpus
# once fixed). New inputs libFuzzer finds stay in $VNSTREAM_FUZZ_DIR
# (default .fuzz/<target>, not committed). Exits 1 if anything crashed.
#
# The gateway has two: records applied to its state and read back
# (services/gateway:apply_fuzzer), and client requests (unary calls, server
# streams with symbol lists and since_seq/since_time resume maps,
# MarketDataStream messages) through the real service over in-process gRPC
# (services/gateway:request_fuzzer: one gRPC call per input, ~450 execs/s
# on this 2-core machine).
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
seconds=${1:-300}
shift || true
targets=("$@")
if ((${#targets[@]} == 0)); then
  mapfile -t targets < <(bazel query 'attr(tags, "\bfuzzer\b", //...)' 2>/dev/null)
fi
if ((${#targets[@]} == 0)); then
  echo "fuzz: no fuzz targets found FAILED"
  exit 1
fi
if ! bazel build --config=asan "${targets[@]}" >&2; then
  echo "fuzz: build FAILED"
  exit 1
fi
bin=$(bazel info --config=asan bazel-bin 2>/dev/null)
# The same sanitizer settings as the tests (.bazelrc, bazel/ubsan.supp).
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$repo/bazel/ubsan.supp}
work=${VNSTREAM_FUZZ_DIR:-$repo/.fuzz}
# VNSTREAM_FUZZ_RUNS=N: at most N inputs, from libFuzzer's seed 1, so a run
# (CI's, from the seed corpora alone) can be repeated exactly elsewhere;
# SECONDS still bounds the slow targets.
bounds=()
[[ -n ${VNSTREAM_FUZZ_RUNS:-} ]] && bounds=(-runs="$VNSTREAM_FUZZ_RUNS" -seed=1)
status=0
for target in "${targets[@]}"; do
  package=${target#//}
  package=${package%%:*}
  name=${target##*:}
  seeds="$package/testdata/fuzz/${name%_fuzzer}"
  corpus="$work/$name"
  mkdir -p "$corpus"
  log="$work/$name.log"
  # -timeout: an input taking 10 s is a hang; -rss_limit_mb: 2 GiB is a
  # memory blow-up; -max_len: larger than any seed (price boards of 50
  # symbols are ~80 KiB).
  "$bin/$package/$name" "$corpus" "$seeds" -max_total_time="$seconds" "${bounds[@]}" \
    -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 -max_len=131072 \
    -artifact_prefix="$work/$name-" >"$log" 2>&1
  rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  execs=${execs:-0}
  rate=$((execs / (seconds > 0 ? seconds : 1)))
  artifact=$(grep -o "Test unit written to .*" "$log" | tail -1 | cut -d' ' -f5)
  if [[ $rc -eq 0 && -z $artifact ]]; then
    echo "fuzz: $target $execs execs, $rate/s, cov ${cov:-?}: OK"
  else
    echo "fuzz: $target $execs execs, $rate/s, cov ${cov:-?}: CRASH ${artifact:-exit $rc} (log $log)"
    grep -m1 -A12 "==ERROR\|ERROR: libFuzzer\|runtime error\|terminate called" "$log" | sed 's/^/  /'
    status=1
  fi
done
exit $status
