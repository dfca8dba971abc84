#!/usr/bin/env bash
# Tests of the regression gate (harness/gate.py), run by CTest (label "gate").
#
#   test_gate.sh icount BINARY PLANTED_BINARY BACKEND
#       an unchanged build passes (exit 0); the planted slowdown fails (exit 1)
#       naming chan_buf_send_recv and nothing else; a missing, corrupt or
#       mismatched baseline exits 2 with a message and no traceback.
#   test_gate.sh wall
#       the wall-clock signal on synthetic Google Benchmark JSON (9 repetitions
#       each): same distribution passes; a 50% slowdown confirmed by a rerun
#       fails; one the rerun does not confirm passes; another machine's
#       baseline or an empty candidate exits 2.
# Exit 77 (CTest SKIP_RETURN_CODE) when valgrind / compare.py are missing.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
GATE="$HERE/../gate.py"
PY=/usr/bin/python3
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
FAILS=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { echo "ok: $*"; }

# expect RC WHAT CMD...: runs CMD, checks its exit status, keeps its output in $TMP/out.
expect() {
  local want=$1 what=$2; shift 2
  "$@" >"$TMP/out" 2>&1
  local rc=$?
  if [ "$rc" -ne "$want" ]; then
    fail "$what: exit $rc, want $want"; sed 's/^/    /' "$TMP/out"
  elif grep -q "Traceback" "$TMP/out"; then
    fail "$what: printed a traceback"; sed 's/^/    /' "$TMP/out"
  else
    pass "$what (exit $rc)"
  fi
}
has() { grep -q -- "$1" "$TMP/out" || { fail "output lacks '$1'"; sed 's/^/    /' "$TMP/out"; }; }

[ -x "$PY" ] || { echo "SKIP: /usr/bin/python3 missing"; exit 77; }

case "${1:-}" in
icount)
  BIN=$2 PLANTED=$3 B=$4
  command -v valgrind >/dev/null || { echo "SKIP: valgrind not installed"; exit 77; }
  "$PY" "$GATE" record-icount --runs 2 --out "$TMP/base/icount.json" "$B=$BIN" || { echo "FAIL: record"; exit 1; }
  "$PY" "$GATE" record-icount --runs 2 --out "$TMP/cand.json" "$B=$BIN" || exit 1
  "$PY" "$GATE" record-icount --runs 2 --out "$TMP/planted.json" "$B=$PLANTED" || exit 1

  expect 0 "unchanged build passes" "$PY" "$GATE" check --baseline "$TMP/base" --icount "$TMP/cand.json"
  has "no regression"

  expect 1 "planted slowdown is flagged" "$PY" "$GATE" check --baseline "$TMP/base" --icount "$TMP/planted.json"
  has "1 REGRESSION"
  grep -q "chan_buf_send_recv.*REGRESSED" "$TMP/out" || fail "the regression is not chan_buf_send_recv"

  expect 2 "missing baseline folder" "$PY" "$GATE" check --baseline "$TMP/nowhere" --icount "$TMP/cand.json"
  has "baseline folder not found"

  mkdir -p "$TMP/empty"
  expect 2 "baseline without icount.json" "$PY" "$GATE" check --baseline "$TMP/empty" --icount "$TMP/cand.json"
  has "not found"

  mkdir -p "$TMP/corrupt" && printf '{"schema": "goc-icount/1", "backends": ' >"$TMP/corrupt/icount.json"
  expect 2 "corrupt baseline" "$PY" "$GATE" check --baseline "$TMP/corrupt" --icount "$TMP/cand.json"
  has "not readable JSON"

  mkdir -p "$TMP/mism"
  "$PY" - "$TMP/base/icount.json" "$TMP/mism/icount.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for b in d["backends"].values():
    b["workloads"]["chan_buf_send_recv"]["ops"] += 1
json.dump(d, open(sys.argv[2], "w"))
EOF
  expect 2 "mismatched baseline (workload changed)" "$PY" "$GATE" check --baseline "$TMP/mism" --icount "$TMP/cand.json"
  has "does not match"

  "$PY" - "$TMP/base/icount.json" "$TMP/other.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["backends"] = {"nosuchbackend": next(iter(d["backends"].values()))}
json.dump(d, open(sys.argv[2], "w"))
EOF
  expect 2 "no backend in common" "$PY" "$GATE" check --baseline "$TMP/base" --icount "$TMP/other.json"
  has "nothing in common"

  expect 2 "no signal requested" "$PY" "$GATE" check --baseline "$TMP/base"
  ;;
wall)
  [ -f /usr/share/benchmark/compare.py ] || { echo "SKIP: libbenchmark-tools not installed"; exit 77; }
  "$PY" -c "import scipy" 2>/dev/null || { echo "SKIP: python3-scipy not installed"; exit 77; }
  mkdir -p "$TMP/base/wall" "$TMP/same" "$TMP/slow" "$TMP/fix" "$TMP/other/wall" "$TMP/none"
  # Synthetic runs: 9 repetitions per benchmark, times drawn with a fixed seed.
  "$PY" - "$TMP" <<'EOF'
import json, random, sys, os
tmp = sys.argv[1]
def doc(scale, seed, cpus=2):
    rnd = random.Random(seed)
    recs = []
    for fam, (name, t) in enumerate((("ChanSync/real_time", 50000.0), ("SPSC/cap:16/real_time", 4000.0))):
        for k in range(9):
            v = t * scale.get(name, 1.0) * rnd.uniform(0.97, 1.03)
            recs.append({"name": name, "run_name": name, "run_type": "iteration", "family_index": fam,
                         "per_family_instance_index": 0, "repetitions": 9, "repetition_index": k,
                         "threads": 1, "iterations": 1000, "real_time": v, "cpu_time": v / 3,
                         "time_unit": "ns"})
    ctx = {"goc_backend": "pthread", "host_name": "test", "num_cpus": cpus, "caches": [],
           "executable": "/nonexistent/micro-pthread"}
    return {"context": ctx, "benchmarks": recs}
def put(path, d):
    json.dump(d, open(os.path.join(tmp, path), "w"))
put("base/wall/pthread.json", doc({}, 1))
put("same/micro-pthread.json", doc({}, 2))
put("slow/micro-pthread.json", doc({"SPSC/cap:16/real_time": 1.5}, 3))
put("fix/rerun_slow.json", doc({"SPSC/cap:16/real_time": 1.5}, 4))
put("fix/rerun_fast.json", doc({}, 5))
put("other/wall/pthread.json", doc({}, 6, cpus=64))
EOF
  expect 0 "same distribution passes" "$PY" "$GATE" check --baseline "$TMP/base" --wall "$TMP/same"
  has "no regression"

  expect 1 "50% slowdown confirmed by the rerun fails" "$PY" "$GATE" check --baseline "$TMP/base" \
    --wall "$TMP/slow" --rerun-cmd "cp '$TMP/fix/rerun_slow.json' \"\$GOC_GATE_RERUN_OUT/\""
  grep -q "SPSC/cap:16/real_time.*REGRESSED" "$TMP/out" || fail "SPSC/cap:16 not flagged"
  grep -q "ChanSync/real_time.*REGRESSED" "$TMP/out" && fail "ChanSync flagged although unchanged"

  expect 0 "slowdown the rerun does not confirm passes" "$PY" "$GATE" check --baseline "$TMP/base" \
    --wall "$TMP/slow" --rerun-cmd "cp '$TMP/fix/rerun_fast.json' \"\$GOC_GATE_RERUN_OUT/\""
  has "not confirmed"

  expect 0 "without a rerun a slowdown is only reported" "$PY" "$GATE" check --baseline "$TMP/base" \
    --wall "$TMP/slow" --no-rerun
  has "suspect"

  expect 2 "baseline from another machine" "$PY" "$GATE" check --baseline "$TMP/other" --wall "$TMP/same"
  has "another machine"

  expect 2 "candidate without results" "$PY" "$GATE" check --baseline "$TMP/base" --wall "$TMP/none"
  has "no Google Benchmark JSON"
  ;;
*)
  echo "usage: $0 icount BINARY PLANTED BACKEND | wall" >&2; exit 2 ;;
esac
if [ "$FAILS" -ne 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
echo "all gate checks passed"
