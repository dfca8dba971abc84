#!/usr/bin/env bash
# The driver's failure handling (issue 13 item 1), with stub stages in a
# temporary results root (seconds, no benchmark):
#   1. GOC_FAIL_STAGE=stub_b and a stage that exits 3: the later stages
#      (stub_exit, plots, report) still run; the exit status is non-zero; the
#      final summary and summary.md list both failed stages with their first
#      lines; stages.json records every stage; logs/<stage>.log exist.
#   2. A stage run alone adds to that run folder (no new folder), and
#      `report` alone redraws that folder.
#   3. --resume reruns exactly the failed stages (then plots and report),
#      exits 0, and summary.md has no "Failed stages" any more.
# usage: test_driver.sh SOURCE_ROOT
set -uo pipefail
src=${1:?usage: test_driver.sh SOURCE_ROOT}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export GOC_RESULTS_ROOT=$tmp/results GOC_EXTRA_STAGES_DIR=$src/harness/report_tests/stub_stages
# test: the real stage, skipped by --quick (recorded "skipped", never resumed)
export GOC_ALL_STAGES="stub_a test stub_b stub_exit plots report"
unset GOC_RESULTS GOC_RUN_ID GOC_FAIL_STAGE
fails=0
check() { # MESSAGE CONDITION...
  local msg=$1; shift
  if "$@"; then echo "ok: $msg"; else echo "FAIL: $msg"; fails=$((fails + 1)); fi
}
count() { [ -f "$1" ] && wc -l <"$1" || echo 0; }

# 1. the whole job with two failing stages
GOC_FAIL_STAGE=stub_b STUB_EXIT=1 "$src/run_all.sh" --quick >"$tmp/job.out" 2>&1
rc=$?
cat "$tmp/job.out"
run=$(find "$GOC_RESULTS_ROOT" -mindepth 1 -maxdepth 1 -type d -name '*T*Z-*' | head -1)
check "the job exits non-zero (rc=$rc)" [ "$rc" -ne 0 ]
check "one run folder" [ "$(find "$GOC_RESULTS_ROOT" -mindepth 1 -maxdepth 1 -type d -name '*T*Z-*' | wc -l)" = 1 ]
check "stub_a ran once" [ "$(count "$run/stub-stub_a.count")" = 1 ]
check "stub_b did not run (forced failure)" [ "$(count "$run/stub-stub_b.count")" = 0 ]
check "stub_exit ran after the forced failure" [ "$(count "$run/stub-stub_exit.count")" = 1 ]
check "the job's options reach the stages" grep -q -- "--quick" "$run/stub-stub_a.count"
check "report ran after the failures (summary.md)" [ -s "$run/summary.md" ]
check "report wrote index.html" [ -s "$run/index.html" ]
check "plots ran (plots/ exists)" [ -d "$run/plots" ]
check "summary.md has a Failed stages section" grep -q "^## Failed stages" "$run/summary.md"
check "summary.md names stub_b with its first line" grep -q "forced failure (GOC_FAIL_STAGE=stub_b)" "$run/summary.md"
check "summary.md quotes stub_exit's error line" grep -q "expected 42, got 41" "$run/summary.md"
check "index.html shows the failed stages" grep -q "expected 42, got 41" "$run/index.html"
check "the final summary lists each stage" grep -q "stub_exit: FAILED rc=3" "$tmp/job.out"
check "the final summary quotes the failure" grep -q "| stub_exit: error: expected 42" "$tmp/job.out"
check "a log per stage" [ -s "$run/logs/stub_a.log" ] && [ -s "$run/logs/stub_exit.log" ] && [ -s "$run/logs/report.log" ]
check "stages.json: stub_a ok, test skipped, stub_b failed, stub_exit rc 3" /usr/bin/python3 - "$run/stages.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["stages"]
sys.exit(0 if (d["stub_a"]["status"], d["test"]["status"], d["stub_b"]["status"], d["stub_exit"]["rc"],
               d["report"]["status"]) == ("ok", "skipped", "failed", 3, "ok") else 1)
PY

# 2. a stage alone adds to the current run folder; report alone redraws it
"$src/run_all.sh" stub_a >"$tmp/alone.out" 2>&1
check "stub_a alone: rc 0" [ $? -eq 0 ]
check "stub_a alone ran in the same folder" [ "$(count "$run/stub-stub_a.count")" = 2 ]
check "still one run folder" [ "$(find "$GOC_RESULTS_ROOT" -mindepth 1 -maxdepth 1 -type d -name '*T*Z-*' | wc -l)" = 1 ]
rm -f "$run/index.html"
"$src/run_all.sh" report --open >"$tmp/report.out" 2>&1
check "report alone redraws the current run" [ -s "$run/index.html" ]
check "report --open prints the path" grep -qx "$run/index.html" "$tmp/report.out"

# 3. --resume reruns the failed stages only
todo=$(/usr/bin/python3 "$src/harness/stages.py" resume "$run" | tr '\n' ';')
check "the resume list is the failed stages with the job's options ($todo)" \
  [ "$todo" = "stub_b --quick;stub_exit --quick;" ]
[ "$todo" = "stub_b --quick;stub_exit --quick;" ] || { echo "test_driver: $fails failure(s)"; exit 1; }
"$src/run_all.sh" --resume >"$tmp/resume.out" 2>&1
rc=$?
cat "$tmp/resume.out"
check "resume exits 0 (rc=$rc)" [ "$rc" -eq 0 ]
check "resume did not rerun stub_a" [ "$(count "$run/stub-stub_a.count")" = 2 ]
check "resume ran stub_b" [ "$(count "$run/stub-stub_b.count")" = 1 ]
check "resume reran stub_exit with the job's options" [ "$(count "$run/stub-stub_exit.count")" = 2 ] && tail -1 "$run/stub-stub_exit.count" | grep -q -- "--quick"
check "summary.md has no Failed stages after resume" bash -c "! grep -q 'Failed stages' '$run/summary.md'"
"$src/run_all.sh" --resume >"$tmp/resume2.out" 2>&1
check "a second resume has nothing to do" grep -q "nothing to rerun" "$tmp/resume2.out"

echo "test_driver: $fails failure(s)"
[ $fails -eq 0 ]
