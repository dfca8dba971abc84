# stage compare: every backend and Go, alternately, several rounds.
#   ./run_all.sh compare [--filter RE] [--rounds N] [--backends LIST] [--quick]
#
# Round k runs each backend once in turn (A B C ... A B C ...), so that slow
# drifts of a noisy machine (other jobs, frequency) hit every backend alike;
# each run is one repetition of every suite (micro, bench_patterns; filtered)
# in random order, min time 0.1 s per benchmark (--quick: 3 rounds of
# 0.02 s). Then harness/bench_compare.py prints, per benchmark, each
# backend's median, min-max over the rounds and the ratio of its median to
# Go's (go-p1, go-pN, and the better of the two), and writes compare.md /
# compare.json in the run folder (raw JSON per round under compare/).
# Defaults: 5 rounds; backends = every real backend built + go-p1 + go-pN
# (add X-vtbl to --backends to measure the dispatch cost). Same build and
# environment variables as stage bench (scripts/stage_bench.sh).

stage_compare() {
  declare -F goc_bench_run_one >/dev/null || source "$GOC_ROOT/scripts/stage_bench.sh"
  local filter="" rounds=5 min_time=0.1 backends=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --filter) filter=$2; shift ;;
      --rounds) rounds=$2; shift ;;
      --backends) backends=$2; shift ;;
      --quick) rounds=3; min_time=0.02 ;;
      *) echo "compare: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  case "$rounds" in ''|*[!0-9]*|0) echo "compare: --rounds wants a positive integer" >&2; return 2 ;; esac
  min_time=${GOC_BENCH_MIN_TIME:-$min_time}

  local dir res rc=0
  dir=$(goc_bench_build_dir)
  goc_log "compare: build ($dir)"
  goc_bench_prepare "$backends" || return 1
  [ -z "$GOC_BENCH_BUILD_FAILED" ] || { rc=1; goc_log "compare: not built: $GOC_BENCH_BUILD_FAILED"; }
  [ -n "$GOC_BENCH_LIST" ] || { goc_log "compare: nothing to run"; return 1; }

  # not res=$(goc_results_dir): the subshell would lose GOC_RESULTS, and the
  # next stage of the same run would open a new folder
  goc_results_dir >/dev/null
  res=$GOC_RESULTS
  mkdir -p "$res/compare"
  [ -f "$res/env.json" ] || /usr/bin/python3 "$GOC_ROOT/harness/env_json.py" "$res/env.json" \
    --build-dir "$dir" --root "$GOC_ROOT" || true

  local r b suite files=() nb out log x
  nb=$(wc -w <<<"$GOC_BENCH_LIST")
  for r in $(seq 1 "$rounds"); do
    goc_log "compare: round $r/$rounds: $GOC_BENCH_LIST"
    for b in $GOC_BENCH_LIST; do
      for suite in $(goc_bench_suite_names); do
        out="$res/compare/r$r-$suite-$b.json" log="$res/compare/r$r-$suite-$b.log"
        : >"$log"
        x=0
        goc_bench_run_one "$suite" "$b" "$out" "$log" "$filter" "$min_time" 1 || x=$?
        case $x in
          0) ;;
          3) rm -f "$log" ;;
          *) rc=1; goc_log "compare: round $r: $b $suite FAILED (see $log)" ;;
        esac
        [ -s "$out" ] && files+=("$out")
      done
    done
  done
  [ ${#files[@]} -gt 0 ] || { goc_log "compare: no results (filter matched nothing?)"; return 1; }
  /usr/bin/python3 "$GOC_ROOT/harness/bench_compare.py" "${files[@]}" \
    --order "$(tr ' ' , <<<"$GOC_BENCH_LIST")" \
    --title "compare: $rounds alternating rounds of $nb backends, filter '${filter:-.}', min time ${min_time}s" \
    --md "$res/compare.md" --json "$res/compare.json" || rc=1
  goc_log "compare: wrote $res/compare.md and $res/compare.json"
  return $rc
}
