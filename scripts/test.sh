#!/usr/bin/env bash
# Runs every test of vnstream: formatting, then `bazel test //...` (unit
# tests, cross-service tests against a real Kafka broker, and, last and
# alone, the deployment tests: tests/images_test and tests/k8s_cluster_test,
# a real single-node Kubernetes, about 5-7 min warm), then the clang
# stages: the unit and integration tests again under ASan+UBSan (the same
# build checks every ABSL_GUARDED_BY with -Wthread-safety -Werror and builds
# the fuzzers), each fuzz target for a bounded time, and the concurrent
# tests under TSan. Installs what it needs first. Ends with one line
# "N passed, M failed" counting test cases of every stage (gtest cases, the
# format check, one per fuzz target; a test target that did not build or
# run counts as one failure). Before that line it lists every failed test
# (stage, target, cases) with the end of its log, and the tests that
# failed once and passed when Bazel ran them again (FLAKY; the cross-service
# tests of the GCC and ASan stages get a second attempt, never the TSan
# ones, whose flakes are races).
#   scripts/test.sh                 # everything
#   scripts/test.sh //libs/...      # a subset (Bazel target patterns), GCC only
#   VNSTREAM_SANITIZERS=0 scripts/test.sh   # skip the clang stages
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
"$repo/scripts/setup.sh" || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
if scripts/check-format.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

# What failed or was flaky, one line per target, for the end of the output.
summary=$(mktemp)
trap 'rm -f "$summary"' EXIT

flags=()
# CI machines are fresh; locally, unchanged tests may come from Bazel's cache.
[[ ${CI:-} == true ]] && flags+=(--nocache_test_results)
# The cross-service tests (real brokers, databases, clusters, browsers,
# subprocesses on a shared 2-core machine) get a second attempt in the GCC
# and ASan stages; a pass on the second attempt is listed as FLAKY at the
# end, with the failed attempt's log, so it is seen and fixed, not hidden.
retry=(--flaky_test_attempts='//(tests|tools|bench|clients)[:/].*@2')

# Runs `bazel test $stage_flags TARGETS` and adds its test cases to the
# totals, from each test target's JUnit XML; targets Bazel reports as not
# built or not run count as one failure each.
run_stage() {
  local stage=$1
  shift
  local -a stage_flags=()
  while [[ $# -gt 0 && $1 != -- ]]; do stage_flags+=("$1"); shift; done
  shift
  local -a targets=("$@")
  local log
  log=$(mktemp)
  echo "=== stage $stage: bazel test ${stage_flags[*]} (${#targets[@]} patterns)" >&2
  bazel test "${flags[@]}" "${stage_flags[@]}" --keep_going --test_summary=short \
    "${targets[@]}" 2>&1 | tee "$log"
  local bazel_rc=${PIPESTATUS[0]}
  local -a tests
  mapfile -t tests < <(bazel query "tests(set(${targets[*]}))" 2>/dev/null)
  local p f
  read -r p f < <(python3 - "$log" "$(bazel info "${stage_flags[@]}" bazel-testlogs 2>/dev/null)" "$stage" "$summary" "${tests[@]}" <<'PY'
import os, re, sys, xml.etree.ElementTree as ET
log, testlogs, stage, summary, targets = (sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4],
                                          sys.argv[5:])
text = open(log, errors="replace").read()
broken = set(re.findall(r"^(//\S+)\s+(?:FAILED TO BUILD|NO STATUS)", text, re.M))
failed_targets = set(re.findall(r"^(//\S+)\s+(?:\(cached\) )?(?:FAILED|TIMEOUT)\b",
                                text, re.M))
flaky = re.findall(r"^(//\S+)\s+(?:\(cached\) )?FLAKY,? *(.*)$", text, re.M)
passed = failed = 0
lines = [f"[{stage}] FLAKY {t} ({how.strip()}) -- log: "
         f"{os.path.join(testlogs, t.lstrip('/').replace(':', '/'), 'test_attempts', 'attempt_1.log')}"
         for t, how in flaky]
for t in targets:
    target_dir = os.path.join(testlogs, t.lstrip("/").replace(":", "/"))
    path = os.path.join(target_dir, "test.xml")
    if t in broken or not os.path.exists(path):
        lines.append(f"[{stage}] FAILED {t}: no result (did not build or run)")
        failed += 1; continue
    root = ET.parse(path).getroot()
    n = target_failed = 0
    bad_cases = []
    for case in root.iter("testcase"):
        n += 1
        bad = any(case.find(tag) is not None for tag in ("failure", "error", "skipped"))
        if bad or case.get("status") == "notrun" or case.get("result") == "skipped":
            failed += 1; target_failed += 1
            bad_cases.append(".".join(filter(None, (case.get("classname"), case.get("name")))))
        else:
            passed += 1
    if n == 0:  # not a gtest binary (sh_test, fuzz corpus test): one case
        ok = root.find(".//failure") is None and root.find(".//error") is None
        passed += ok; failed += (not ok); target_failed += (not ok)
    # A target Bazel saw fail (crash, sanitizer report, environment set-up,
    # timeout) with no failing case in its XML still counts as a failure.
    if t in failed_targets and target_failed == 0:
        failed += 1; target_failed = 1
        bad_cases.append("outside its test cases (crash, sanitizer report, timeout)")
    if target_failed:
        lines.append(f"[{stage}] FAILED {t}: {', '.join(bad_cases) or 'the test'}"
                     f" -- log: {os.path.join(target_dir, 'test.log')}")
with open(summary, "a") as out:
    out.writelines(line + "\n" for line in lines)
print(passed, failed)
PY
  )
  rm -f "$log"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [[ $bazel_rc -ne 0 && ${f:-0} -eq 0 ]]; then failed=$((failed + 1)); fi  # build broke
  echo "=== stage $stage: ${p:-0} passed, ${f:-0} failed" >&2
}

targets=("$@")
run_stage gcc "${retry[@]}" -- "${targets[@]:-//...}"

if ((${#targets[@]} == 0)) && [[ ${VNSTREAM_SANITIZERS:-1} != 0 ]]; then
  # ASan+UBSan: every C++ unit test and the services' integration tests
  # against a real broker or database. Not the other tests in tests/: end to
  # end (the same code paths at 3-4x the run time under ASan), the broker's
  # own (Java) or the tools'.
  mapfile -t asan_tests < <(bazel query 'kind(cc_test, //...) except
      (//tests:* except set(//tests:ingest_integration_test
        //tests:analytics_integration_test //tests:analytics_failure_test
        //tests:store_integration_test))' 2>/dev/null)
  run_stage asan --config=asan "${retry[@]}" \
    "--test_env=UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:suppressions=$repo/bazel/ubsan.supp" \
    -- "${asan_tests[@]}"

  # Each fuzz target for a bounded time, from the ASan build just made.
  fuzz_seconds=${VNSTREAM_FUZZ_SECONDS:-20}
  # Reproducible: 20,000 inputs from seed 1 and the seed corpora only (a
  # fresh corpus directory), so CI's result can be repeated locally with
  # the same command; exploring further is scripts/fuzz.sh's job.
  fuzz_dir=$(mktemp -d)
  if fuzz_out=$(VNSTREAM_FUZZ_RUNS=${VNSTREAM_FUZZ_RUNS:-20000} VNSTREAM_FUZZ_DIR=$fuzz_dir \
    scripts/fuzz.sh "$fuzz_seconds" 2>&1); then fuzz_rc=0; else fuzz_rc=$?; fi
  rm -rf "$fuzz_dir"
  echo "$fuzz_out" >&2
  fuzz_ok=$(grep -c '^fuzz: .* OK$' <<<"$fuzz_out")
  fuzz_bad=$(grep -c '^fuzz: .* \(CRASH\|FAILED\)' <<<"$fuzz_out")
  passed=$((passed + fuzz_ok))
  failed=$((failed + fuzz_bad))
  if [[ $fuzz_rc -ne 0 && $fuzz_bad -eq 0 ]]; then failed=$((failed + 1)); fi

  # TSan: the concurrent tests whose threads synchronise through code TSan
  # sees (our own, pthreads, absl::Mutex through bazel/tsan_absl_shim.cc,
  # librdkafka's C11 threads and locks through
  # bazel/tsan_c11_threads_shim.cc): the thread pool, periodic tasks, the
  # authenticator, VNStock's client and resilience, the gateway's domain
  # under concurrent callers (subscriber flow control, MarketState's
  # appliers and subscriptions, the fallback's single flight), and the
  # Kafka publisher, without and with a broker.
  tsan_options=halt_on_error=1:second_deadlock_stack=1:suppressions=$repo/bazel/tsan.supp
  run_stage tsan --config=tsan "--test_env=TSAN_OPTIONS=$tsan_options" \
    -- //libs/base:thread_pool_test //libs/base:periodic_test //libs/auth:authenticator_test \
    //libs/vnstock:resilience_test //libs/vnstock:client_test //services/gateway:subscriber_test \
    //services/gateway:market_state_test //services/gateway:fallback_test \
    //libs/kafka:publisher_test //libs/kafka:kafka_io_test
  # The gateway's gRPC service, driven by gRPC's threads: Debian's libgrpc
  # is not instrumented, so TSan ignores what it does itself
  # (ignore_noninstrumented_modules: its frees, copies and syscalls), is
  # told where a call's operations are handed to it and where our reactions
  # take them back (bazel/tsan_grpc_shim.cc, libs/base/happens_before.h),
  # and suppresses the races of gRPC's own inline code (bazel/tsan.supp).
  # Its own invocation: the option would weaken the other tests' checks of
  # librdkafka's and libcurl's calls.
  run_stage tsan-grpc --config=tsan \
    "--test_env=TSAN_OPTIONS=$tsan_options:ignore_noninstrumented_modules=1" \
    -- //services/gateway:service_test
fi

if [[ -s $summary ]]; then
  # The end of each failed test's log (or of a flaky test's failed
  # attempt), so the cause is in CI's output, not only on its machine;
  # then the list, last, where the tail of CI's output shows it.
  while read -r _ kind target rest; do
    log=${rest##*-- log: }
    [[ -f $log ]] || continue
    target=${target%:}
    echo "--- $kind $target: last 40 lines of $log"
    tail -n 40 "$log"
  done <"$summary"
  echo "=== failed and flaky tests"
  cat "$summary"
fi
[[ ${CI:-} == true ]] && bazel shutdown >/dev/null 2>&1
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
