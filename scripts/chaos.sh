#!/usr/bin/env bash
# The long chaos run: tests/chaos_test (the pipeline on a 3-broker cluster,
# brokers, ingest, an analytics replica and the gateway killed in turn, a
# broker paused; every topic and client audited by (symbol, seq)) with
# ROUNDS rounds of faults, RUNS times over (fresh cluster each run). CI runs
# one round (about 4 min). Prints each run's summary line ("chaos: ...")
# and a last line "chaos: N of M runs passed".
#   scripts/chaos.sh               # 5 rounds, once
#   scripts/chaos.sh 10 3          # 10 rounds, 3 runs
# A round takes about 2 min. Keep ROUNDS under ~25: the sim's morning
# session lasts 65 min of real time (2x speed), and compacted topics roll
# segments hourly (after that, compaction would remove seqs the audit
# counts as lost).
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
rounds=${1:-5}
runs=${2:-1}
# A round's budget plus start-up and the audit, for Bazel's timeout.
timeout=$((600 + rounds * 300))
bazel test //tests:chaos_test --test_env=VNSTREAM_CHAOS_ROUNDS="$rounds" \
  --runs_per_test="$runs" --nocache_test_results --test_timeout="$timeout" \
  --test_output=errors >&2
status=$?
testlogs=$(bazel info bazel-testlogs 2>/dev/null)/tests/chaos_test
passed=0
logs=("$testlogs"/test.log)
((runs > 1)) && logs=("$testlogs"/run_*_of_"$runs"/test.log)
for log in "${logs[@]}"; do
  [[ -f $log ]] || continue
  grep -h '^chaos: ' "$log" || echo "chaos: ${log#"$testlogs"/}: no summary (failed before the audit)"
  grep -q '^\[  FAILED  \]' "$log" || passed=$((passed + 1))
done
echo "chaos: $passed of $runs runs passed"
[[ $status -eq 0 && $passed -eq $runs ]]
