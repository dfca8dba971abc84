#!/usr/bin/env bash
# false_alarm_count.sh: how often does the wall-clock gate cry wolf, and does
# it still catch a real slowdown? (issue 13 item 5; not a CTest: minutes.)
#
#   harness/gate_tests/false_alarm_count.sh [--runs N] [--against REF] [GATE OPTIONS...]
#
# Runs the side-by-side wall-clock gate (./run_all.sh gate --wall-only
# --against REF, default HEAD) 2N times, alternately:
#   - unchanged: the candidate is this tree's build, the baseline REF's: with
#     REF = HEAD and no uncommitted change to the measured code, the same
#     code, so any REGRESSED verdict (exit 1) is a false alarm;
#   - planted: the same with GOC_GATE_PLANT=1, the candidate being
#     micro_planted-<backend> (plant_wrap.c: extra work in every send); a run
#     that exits 1 with a REGRESSED row has caught it.
# Alternating the two kinds puts them under the same machine load. The
# default filter is small and representative: single-task rows
# (ChanUncontended, SelectUncontended), a blocking handoff (ChanSync), and
# the bimodal lockfree MPMC/cap:1 (spinning or parking) that made the old
# gate fail one run in three. Each run's output goes to
# build/gate-count/<UTC>/; the last line is
#   false alarms: a/N, planted caught: b/N
# Exit 0 when a = 0 and b = N, 1 otherwise, 2 when a gate run could not run.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
RUNS=20 AGAINST=HEAD
FILTER='^(ChanUncontended|SelectUncontended|ChanSync|MPMC/cap:1)(/real_time)?$'
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=${2:?}; shift ;;
    --against) AGAINST=${2:?}; shift ;;
    --filter) FILTER=${2:?}; shift ;;
    *) EXTRA+=("$1") ;;
  esac
  shift
done
case "$RUNS" in ''|*[!0-9]*|0) echo "false_alarm_count.sh: --runs wants a positive integer" >&2; exit 2 ;; esac
cd "$ROOT" || exit 2
if ! git diff --quiet "$AGAINST" -- backends include harness/bench_micro.c \
     harness/gbench_shim.cc harness/goc_bench.h harness/CMakeLists.txt CMakeLists.txt cmake 2>/dev/null; then
  echo "false_alarm_count.sh: WARNING: the measured code differs from $AGAINST: the 'unchanged' runs compare different code" >&2
fi
LOGS="$ROOT/build/gate-count/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$LOGS"
fa=0 caught=0 errors=0 unstable_u=0 unstable_p=0
t0=$(date +%s)
for i in $(seq 1 "$RUNS"); do
  for kind in unchanged planted; do
    log="$LOGS/$kind-$i.log"
    plant=0
    [ $kind = planted ] && plant=1
    GOC_GATE_PLANT=$plant ./run_all.sh gate --wall-only --against "$AGAINST" --filter "$FILTER" \
      "${EXTRA[@]}" >"$log" 2>&1
    rc=$?
    nu=$(grep -o 'gate: [0-9]* UNSTABLE' "$log" | grep -o '[0-9]*' | head -1)
    nreg=$(grep -c '| REGRESSED ' "$log")
    case "$kind:$rc" in
      unchanged:0) unstable_u=$((unstable_u + ${nu:-0})) ;;
      unchanged:1) fa=$((fa + 1)); echo "run $i unchanged: FALSE ALARM ($log)"; grep '| REGRESSED ' "$log" | sort -u | sed 's/^/    /' ;;
      planted:1) [ "$nreg" -gt 0 ] && caught=$((caught + 1)); unstable_p=$((unstable_p + ${nu:-0})) ;;
      planted:0) unstable_p=$((unstable_p + ${nu:-0})); echo "run $i planted: MISSED ($log)" ;;
      *) errors=$((errors + 1)); echo "run $i $kind: gate exit $rc ($log)"; tail -5 "$log" | sed 's/^/    /' ;;
    esac
    printf 'run %2d %-9s exit %d, %s unstable row(s), %d REGRESSED row(s) [%ds]\n' "$i" "$kind" "$rc" \
      "${nu:-0}" "$((nreg / 2))" "$(( $(date +%s) - t0 ))"
  done
done
echo "unstable rows (not gated): $unstable_u in the unchanged runs, $unstable_p in the planted runs; gate errors: $errors"
echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg); logs in ${LOGS#"$ROOT"/}; $(( $(date +%s) - t0 ))s"
echo "false alarms: $fa/$RUNS, planted caught: $caught/$RUNS"
[ "$errors" -eq 0 ] || exit 2
[ "$fa" -eq 0 ] && [ "$caught" -eq "$RUNS" ]
