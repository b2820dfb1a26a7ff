#!/usr/bin/env bash
# Runs every test of vnstream: formatting, then `bazel test //...` (unit
# tests, cross-service tests against a real Kafka broker, and, last and
# alone, the deployment tests: tests/images_test and tests/k8s_cluster_test,
# a real single-node Kubernetes, about 5-7 min warm). Installs what it needs
# first. Ends with one line "N passed, M failed" counting test cases
# (gtest cases and the format check; a test target that did not build or
# run counts as one failure).
#   scripts/test.sh                 # everything
#   scripts/test.sh //libs/...      # a subset (Bazel target patterns)
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
"$repo/scripts/setup.sh" || { echo "0 passed, 1 failed"; exit 1; }

passed=0
failed=0
if scripts/check-format.sh; then passed=$((passed + 1)); else failed=$((failed + 1)); fi

targets=("$@")
((${#targets[@]})) || targets=(//...)
flags=()
# CI machines are fresh; locally, unchanged tests may come from Bazel's cache.
[[ ${CI:-} == true ]] && flags+=(--nocache_test_results)
log=$(mktemp)
bazel test "${flags[@]}" --keep_going --test_summary=short "${targets[@]}" 2>&1 | tee "$log"
bazel_rc=${PIPESTATUS[0]}

# Count test cases from each test target's JUnit XML; targets Bazel reports
# as not built or not run count as one failure each.
mapfile -t tests < <(bazel query "tests(set(${targets[*]}))" 2>/dev/null)
read -r p f < <(python3 - "$log" "$(bazel info bazel-testlogs 2>/dev/null)" "${tests[@]}" <<'PY'
import os, re, sys, xml.etree.ElementTree as ET
log, testlogs, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
broken = set(re.findall(r"^(//\S+)\s+(?:FAILED TO BUILD|NO STATUS)",
                        open(log, errors="replace").read(), re.M))
failed_targets = set(re.findall(r"^(//\S+)\s+(?:\(cached\) )?(?:FAILED|TIMEOUT)\b",
                                open(log, errors="replace").read(), re.M))
passed = failed = 0
for t in targets:
    path = os.path.join(testlogs, t.lstrip("/").replace(":", "/"), "test.xml")
    if t in broken or not os.path.exists(path):
        print(f"no result for {t}", file=sys.stderr); failed += 1; continue
    root = ET.parse(path).getroot()
    n = target_failed = 0
    for case in root.iter("testcase"):
        n += 1
        bad = any(case.find(tag) is not None for tag in ("failure", "error", "skipped"))
        if bad or case.get("status") == "notrun" or case.get("result") == "skipped":
            failed += 1; target_failed += 1
        else:
            passed += 1
    if n == 0:  # not a gtest binary (sh_test): one case
        ok = root.find(".//failure") is None and root.find(".//error") is None
        passed += ok; failed += (not ok); target_failed += (not ok)
    # A target Bazel saw fail (crash, environment set-up, timeout) with no
    # failing case in its XML still counts as a failure.
    if t in failed_targets and target_failed == 0:
        print(f"{t} failed outside its test cases", file=sys.stderr); failed += 1
print(passed, failed)
PY
)
rm -f "$log"
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))
if [[ $bazel_rc -ne 0 && $failed -eq 0 ]]; then failed=1; fi  # build broke
[[ ${CI:-} == true ]] && bazel shutdown >/dev/null 2>&1
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
