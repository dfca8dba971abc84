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
#       baseline or an empty candidate exits 2, naming what differs (from
#       env.json when there); a bimodal row is unstable, not a regression.
#   test_gate.sh sbs
#       the side-by-side signal on stand-in binaries (fake_bench.py): an
#       unchanged build passes with the bimodal row unstable; the planted
#       slowdown (--plant) is caught and confirmed; an unconfirmed suspect
#       passes; the decision rule's p-values; a missing binary or an empty
#       filter exits 2.
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
  has "CPUs: 64 (baseline) vs 2 (here)"

  # env.json on both sides: the message names what differs, not "(vm, 2 CPUs)"
  "$PY" - "$TMP" <<'EOF2'
import json, os, sys
tmp = sys.argv[1]
def env(cpu, kernel, gcc, go):
    return {"cpu_model": cpu, "cores": 2, "kernel": kernel, "os": "Debian GNU/Linux 12 (bookworm)",
            "compilers": {"gcc": gcc, "go": go}, "google_benchmark": "1.7.1-1"}
os.makedirs(os.path.join(tmp, "envbase/wall"), exist_ok=True)
json.dump(env("Intel Xeon Gold 6148", "6.1.0-18-amd64", "gcc (Debian 12.2.0-14) 12.2.0", "go1.19.8"),
          open(os.path.join(tmp, "envbase/env.json"), "w"))
json.dump(env("AMD EPYC 7B13", "6.1.0-18-amd64", "gcc (Debian 12.2.0-14) 12.2.0", "go1.21.1"),
          open(os.path.join(tmp, "cand_env.json"), "w"))
EOF2
  cp "$TMP/base/wall/pthread.json" "$TMP/envbase/wall/"
  expect 2 "another machine, named from env.json" "$PY" "$GATE" check --baseline "$TMP/envbase" \
    --wall "$TMP/same" --env "$TMP/cand_env.json"
  has "CPU: Intel Xeon Gold 6148 (baseline) vs AMD EPYC 7B13 (here)"
  has "Go: go1.19.8 (baseline) vs go1.21.1 (here)"
  grep -q "kernel:" "$TMP/out" && fail "names the kernel although it is the same"
  "$PY" - "$TMP" <<'EOF2'
import json, os, sys
tmp = sys.argv[1]
d = json.load(open(os.path.join(tmp, "base/wall/pthread.json")))
d["context"]["caches"] = [{"type": "Data", "level": 1, "size": 32768, "num_sharing": 1}]
os.makedirs(os.path.join(tmp, "cachebase/wall"), exist_ok=True)
json.dump(d, open(os.path.join(tmp, "cachebase/wall/pthread.json"), "w"))
d["context"]["caches"] = [{"type": "Data", "level": 1, "size": 49152, "num_sharing": 1}]
os.makedirs(os.path.join(tmp, "cachebase2/wall"), exist_ok=True)
json.dump(d, open(os.path.join(tmp, "cachebase2/wall/pthread.json"), "w"))
EOF2
  expect 0 "caches unknown on one side are not a difference" "$PY" "$GATE" check --baseline "$TMP/cachebase" \
    --wall "$TMP/same"
  expect 2 "different caches are named" "$PY" "$GATE" check --baseline "$TMP/cachebase2" --wall "$TMP/cachebase/wall"
  has "caches: L1d 48 KiB (baseline) vs L1d 32 KiB (here)"
  expect 0 "same machine by env.json passes" "$PY" "$GATE" check --baseline "$TMP/envbase" \
    --wall "$TMP/same" --env "$TMP/envbase/env.json"

  # a bimodal row (half the repetitions 7x slower) is unstable, never suspect
  "$PY" - "$TMP" <<'EOF2'
import json, os, sys
tmp = sys.argv[1]
for src, dst, mode in (("base/wall/pthread.json", "bimod_base/wall/pthread.json", 0),
                       ("slow/micro-pthread.json", "bimod_cand/micro-pthread.json", 1)):
    d = json.load(open(os.path.join(tmp, src)))
    k = 0
    for r in d["benchmarks"]:
        if r["name"] == "ChanSync/real_time":
            # baseline: 2 of 9 parked; candidate: 8 of 9 parked (the issue's +600%)
            if k < (2 if mode == 0 else 8):
                r["real_time"] *= 7
            k += 1
    os.makedirs(os.path.dirname(os.path.join(tmp, dst)), exist_ok=True)
    json.dump(d, open(os.path.join(tmp, dst), "w"))
EOF2
  expect 1 "stored mode: a bimodal row is unstable, a real slowdown still fails" "$PY" "$GATE" check \
    --baseline "$TMP/bimod_base" --wall "$TMP/bimod_cand" \
    --rerun-cmd "cp '$TMP/fix/rerun_slow.json' \"\$GOC_GATE_RERUN_OUT/\""
  grep -q "ChanSync/real_time.*unstable.*bimodal" "$TMP/out" || fail "bimodal ChanSync not reported unstable"
  grep -q "ChanSync/real_time.*REGRESSED" "$TMP/out" && fail "bimodal ChanSync reported as a regression"
  grep -q "SPSC/cap:16/real_time.*REGRESSED" "$TMP/out" || fail "SPSC/cap:16 not flagged"
  has "how to make it stable\|To make it stable"

  expect 2 "candidate without results" "$PY" "$GATE" check --baseline "$TMP/base" --wall "$TMP/none"
  has "no Google Benchmark JSON"

  # The bare floors (harness/floors.py) moved between baseline and candidate:
  # the host placed the vCPUs differently (BarePingPong 462 ns one hour, 54 ns
  # the next on the 2-vCPU VM), same CPU, kernel and compilers. Such numbers do
  # not compare; a rerun that finds the floors moved confirms nothing.
  "$PY" - "$TMP" <<'EOF2'
import json, os, sys
tmp = sys.argv[1]
def with_floors(src, dst, pingpong, ring=10.0, slow=1.0):
    d = json.load(open(os.path.join(tmp, src)))
    recs = [dict(r, real_time=r["real_time"] * (slow if r["name"] == "SPSC/cap:16/real_time" else 1.0))
            for r in d["benchmarks"]]
    for fam, (name, t) in enumerate((("BarePingPong/real_time", pingpong), ("BareRing/cap:1024/real_time", ring))):
        for k in range(9):
            v = t * (1 + 0.01 * (k % 3))
            recs.append({"name": name, "run_name": name, "run_type": "iteration", "family_index": 10 + fam,
                         "per_family_instance_index": 0, "repetitions": 9, "repetition_index": k,
                         "threads": 1, "iterations": 1000, "real_time": v, "cpu_time": v, "time_unit": "ns"})
    d["benchmarks"] = recs
    os.makedirs(os.path.dirname(os.path.join(tmp, dst)), exist_ok=True)
    json.dump(d, open(os.path.join(tmp, dst), "w"))
with_floors("base/wall/pthread.json", "flbase/wall/pthread.json", 462.0)
with_floors("same/micro-pthread.json", "flmoved/micro-pthread.json", 54.0)
with_floors("same/micro-pthread.json", "flsame/micro-pthread.json", 470.0)
with_floors("same/micro-pthread.json", "flslow/micro-pthread.json", 455.0, slow=1.5)
with_floors("same/micro-pthread.json", "flfix/rerun_moved.json", 54.0, slow=1.5)
with_floors("same/micro-pthread.json", "flfix/rerun_kept.json", 458.0, slow=1.5)
EOF2
  expect 0 "floors that agree: no regression" "$PY" "$GATE" check --baseline "$TMP/flbase" --wall "$TMP/flsame"
  has "no regression"
  expect 2 "floors moved: the machine changed, nothing compared" "$PY" "$GATE" check \
    --baseline "$TMP/flbase" --wall "$TMP/flmoved"
  has "cross-core cost changed"
  has "BarePingPong: 467 ns (baseline, pthread) vs 54.5 ns (here, pthread): 8.6x apart"
  grep -q "BareRing" "$TMP/out" && fail "names BareRing although it did not move"
  expect 0 "floors moved, --any-machine compares anyway" "$PY" "$GATE" check --baseline "$TMP/flbase" \
    --wall "$TMP/flmoved" --any-machine
  expect 0 "a slowdown whose rerun finds the floors moved is not confirmed" "$PY" "$GATE" check \
    --baseline "$TMP/flbase" --wall "$TMP/flslow" \
    --rerun-cmd "cp '$TMP/flfix/rerun_moved.json' \"\$GOC_GATE_RERUN_OUT/\""
  grep -q "SPSC/cap:16/real_time.*unstable.*cross-core cost changed before the rerun" "$TMP/out" ||
    fail "SPSC/cap:16 not unstable after a moved rerun"
  expect 1 "the same slowdown with the floors kept is confirmed" "$PY" "$GATE" check \
    --baseline "$TMP/flbase" --wall "$TMP/flslow" \
    --rerun-cmd "cp '$TMP/flfix/rerun_kept.json' \"\$GOC_GATE_RERUN_OUT/\""
  grep -q "SPSC/cap:16/real_time.*REGRESSED" "$TMP/out" || fail "SPSC/cap:16 not confirmed with the floors kept"
  ;;
sbs)
  # The side-by-side wall-clock gate (check --base-build --cand-build) on
  # stand-in benchmark binaries (fake_bench.py: reproducible numbers, no
  # timing): rounds, pairing, the decision rule, confirmation, --plant.
  mk() { # mk DIR/harness/NAME SEED COUNTER ROWS_JSON
    mkdir -p "$(dirname "$1")"
    cp "$HERE/fake_bench.py" "$1"
    printf '{"seed": %s, "counter": "%s", "backend": "pthread", "rows": %s}\n' "$2" "$3" "$4" >"$1.json"
  }
  SAME='{"ChanUncontended/real_time": {"ns": 2000}, "MPMC/cap:1/real_time": {"ns": 300, "bimodal": 6.6},
         "ChanSync/real_time": {"ns": 9000, "spread": 2.2}}'
  SLOW='{"ChanUncontended/real_time": {"ns": 2000, "factor": 1.6}, "MPMC/cap:1/real_time": {"ns": 300, "bimodal": 6.6, "factor": 3},
         "ChanSync/real_time": {"ns": 9000, "spread": 2.2, "factor": 2}}'
  ONCE='{"ChanUncontended/real_time": {"ns": 2000, "factor": 1.6, "factor_calls": 8}, "MPMC/cap:1/real_time": {"ns": 300, "bimodal": 6.6}}'
  mk "$TMP/b/harness/micro-pthread" 1 "$TMP/c1" "$SAME"
  mk "$TMP/c/harness/micro-pthread" 2 "$TMP/c2" "$SAME"
  mk "$TMP/c/harness/gate_tests/micro_planted-pthread" 3 "$TMP/c3" "$SLOW"
  mk "$TMP/o/harness/micro-pthread" 4 "$TMP/c4" "$ONCE"
  # slower throughout, but a load spike makes the first confirmation batch unstable
  mk "$TMP/s/harness/micro-pthread" 5 "$TMP/c5" \
    '{"ChanUncontended/real_time": {"ns": 2000, "factor": 1.6, "spread": 4, "spread_calls": [8, 16]}}'
  SBS=(check --base-build "$TMP/b" --backends pthread --rounds 8 --rerun-rounds 8 --reps 3)

  expect 0 "unchanged build passes" "$PY" "$GATE" "${SBS[@]}" --cand-build "$TMP/c" --out "$TMP/o1"
  has "no regression"
  grep -q "ChanUncontended/real_time.* ok " "$TMP/out" || fail "ChanUncontended not ok"
  grep -q "MPMC/cap:1/real_time.*unstable.*bimodal" "$TMP/out" || fail "bimodal MPMC/cap:1 not unstable"
  has "To make it stable"
  [ -f "$TMP/o1/gate.json" ] && [ -f "$TMP/o1/gate.md" ] || fail "no gate.json / gate.md"
  n=$(ls "$TMP/o1/rounds" | grep -c '^gate-r.*-base-micro-pthread.json$')
  [ "$n" -eq 8 ] || fail "want 8 baseline runs, found $n"

  expect 1 "planted slowdown is caught and confirmed" "$PY" "$GATE" "${SBS[@]}" --cand-build "$TMP/c" --plant
  grep -q "ChanUncontended/real_time.*REGRESSED.*confirmed by 8 more rounds" "$TMP/out" || fail "plant not confirmed"
  grep -q "MPMC/cap:1/real_time.*REGRESSED" "$TMP/out" && fail "bimodal MPMC/cap:1 reported as a regression"
  grep -q "MPMC/cap:1/real_time.*unstable" "$TMP/out" || fail "bimodal MPMC/cap:1 (3x slower) not unstable"
  grep -q "ChanSync/real_time.*unstable" "$TMP/out" ||
    fail "ChanSync (disturbed by other jobs, 2x slower) not unstable"
  has "1 REGRESSION"

  expect 0 "a slowdown the confirmation rounds do not see passes" "$PY" "$GATE" "${SBS[@]}" --cand-build "$TMP/o"
  grep -q "ChanUncontended/real_time.*ok (not confirmed" "$TMP/out" || fail "unconfirmed suspect not reported"

  expect 1 "an unstable confirmation batch is measured again" "$PY" "$GATE" "${SBS[@]}" --cand-build "$TMP/s"
  grep -q "ChanUncontended/real_time.*REGRESSED.*confirmed by 8 more rounds" "$TMP/out" ||
    fail "second confirmation batch did not decide"
  grep -q "batch 2 of at most" "$TMP/out" || fail "no second confirmation batch"

  # the decision rule itself: exact Wilcoxon p-values, and a median above
  # the threshold without consistency across rounds is not a suspect
  expect 0 "decision rule" "$PY" - "$HERE/.." <<'EOF2'
import sys
sys.path.insert(0, sys.argv[1])
import gate
assert gate.wilcoxon_greater([1.0] * 8) == 1 / 256
assert gate.wilcoxon_greater([-0.1] + [1.0] * 7) == 2 / 256  # one round below, the smallest
assert gate.wilcoxon_greater([-1.0] + [0.5] * 7) > 0.05      # one round far below
base = {k: 1000.0 for k in range(1, 9)}
v = gate.paired_verdict(base, {k: (1300.0 if k > 2 else 1100.0) for k in base}, 0.25, 0.01)
assert v["change"] > 0.25 and v["verdict"] == "ok", v   # median +30%, but 2 rounds of 8 at +10%
v = gate.paired_verdict(base, {k: 1300.0 + k for k in base}, 0.25, 0.01)
assert v["verdict"] == "suspect" and v["p"] < 0.01, v   # +30% in every round
v = gate.paired_verdict(base, {k: 1200.0 + k for k in base}, 0.25, 0.01)
assert v["verdict"] == "ok", v                           # +20%: under the threshold
v = gate.paired_verdict(base, {k: (850.0 if k % 2 else 1200.0) for k in base}, 0.25, 0.01)
assert v["verdict"] == "unstable" and "spread of the paired ratios" in v["note"], v
v = gate.paired_verdict(base, {k: (1300.0 if k != 3 else 2600.0) for k in base}, 0.25, 0.01)
assert v["verdict"] == "suspect" and v["n"] == 7, v      # a disturbed round left out: 7 above, p = 1/128
v = gate.paired_verdict(base, {k: 700.0 for k in base}, 0.25, 0.01)
assert v["verdict"] == "faster", v
print("decision rule ok")
EOF2
  expect 2 "candidate not built" "$PY" "$GATE" "${SBS[@]}" --cand-build "$TMP/nowhere"
  has "not built"
  expect 2 "filter matching nothing" "$PY" "$GATE" "${SBS[@]}" --cand-build "$TMP/c" --filter NoSuchBench --rounds 3
  has "matched no benchmark"
  ;;
*)
  echo "usage: $0 icount BINARY PLANTED BACKEND | wall | sbs" >&2; exit 2 ;;
esac
if [ "$FAILS" -ne 0 ]; then echo "$FAILS check(s) failed"; exit 1; fi
echo "all gate checks passed"
