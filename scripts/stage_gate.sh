# Stage "gate": the performance regression gate (harness/gate.py has the details).
#
#   ./run_all.sh gate --baseline DIR [options]   compare this build with DIR
#   ./run_all.sh gate --update-baseline [--icount-only] [--to DIR]
#                                                record DIR (default results/baseline)
# Options:
#   --icount-only        only the instruction-count signal (what CI runs: < 1 min)
#   --wall-only          only the wall-clock signal
#   --candidate RUN      wall clock: compare RUN's Google Benchmark JSON (e.g.
#                        results/latest) instead of running the micro benchmarks
#   --threshold PCT      instruction-count threshold (default 3)
#   --wall-threshold PCT wall-clock threshold (default 25), --alpha P (0.01)
#   --no-rerun           never rerun suspects (wall regressions stay unconfirmed)
# Environment: GOC_GATE_BUILD=DIR uses an already configured build folder
# instead of build/release. Writes build/gate/<UTC>/ (icount.json, wall/,
# gate.md, gate.json). Exit status: 0 pass, 1 regression, 2 unusable input.

# _gate_build WANT_MICRO: configure (if needed) and build every icount-<backend>
# (and micro-<backend>, bench_patterns-<backend> for the wall-clock signal);
# prints the build folder.
_gate_build() {
  local want_micro=$1 dir
  if [ -n "${GOC_GATE_BUILD:-}" ]; then
    dir=$GOC_GATE_BUILD
    [ -f "$dir/build.ninja" ] || { echo "gate: GOC_GATE_BUILD=$dir is not a configured build folder" >&2; return 2; }
  else
    dir=$GOC_ROOT/build/release
    if [ ! -f "$dir/build.ninja" ]; then
      cmake --preset release >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log" >&2; return 2; }
    fi
  fi
  local targets=() t
  while read -r t; do
    case "$t" in
      icount-*) targets+=("$t") ;;
      micro-*-vtbl) ;;
      micro-*|bench_patterns-*) [ "$want_micro" = 1 ] && targets+=("$t") ;;
    esac
  done < <(ninja -C "$dir" -t targets all 2>/dev/null | cut -d: -f1 | grep -E '^(icount|micro|bench_patterns)-[a-z]+$' | sort -u)
  if [ ${#targets[@]} -eq 0 ]; then
    echo "gate: no icount-<backend> target in $dir (is harness/gate_tests configured?)" >&2; return 2
  fi
  if [ -z "${GOC_GATE_BUILD:-}" ]; then
    goc_build release "${targets[@]}" >&2 || return 2
  else
    local targs=()
    for t in "${targets[@]}"; do targs+=(--target "$t"); done
    cmake --build "$dir" -j "$GOC_JOBS" "${targs[@]}" >&2 || return 2
  fi
  echo "$dir"
}

stage_gate() {
  local baseline="" update=0 icount=1 wall=1 candidate="" to="$GOC_ROOT/results/baseline"
  local pyargs=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --baseline) baseline=${2:?--baseline wants a folder}; shift ;;
      --update-baseline) update=1 ;;
      --to) to=${2:?}; shift ;;
      --icount-only) wall=0 ;;
      --wall-only) icount=0 ;;
      --candidate) candidate=${2:?--candidate wants a results folder}; shift ;;
      --threshold|--wall-threshold|--alpha) pyargs+=("$1" "${2:?$1 wants a value}"); shift ;;
      --no-rerun|--any-machine) pyargs+=("$1") ;;
      --quick) ;;  # accepted from `./run_all.sh --quick`; the gate is already short
      *) echo "gate: unknown option $1 (see scripts/stage_gate.sh)" >&2; return 2 ;;
    esac
    shift
  done
  if [ "$update" = 0 ] && [ -z "$baseline" ]; then
    if [ -d "$GOC_ROOT/results/baseline" ]; then
      baseline=$GOC_ROOT/results/baseline
    else
      echo "gate: no --baseline DIR and no results/baseline/ (record one: ./run_all.sh gate --update-baseline)" >&2
      return 2
    fi
  fi
  if [ "$update" = 0 ]; then
    # fail fast (before minutes of building and measuring) on a baseline
    # that cannot serve; gate.py checks the contents
    if [ ! -d "$baseline" ]; then
      echo "gate: baseline folder not found: $baseline" >&2; return 2
    fi
    if [ "$icount" = 1 ] && [ ! -f "$baseline/icount.json" ]; then
      echo "gate: $baseline has no icount.json (record one: ./run_all.sh gate --update-baseline)" >&2; return 2
    fi
    if [ "$wall" = 1 ] && ! ls "$baseline"/wall/*.json >/dev/null 2>&1; then
      echo "gate: $baseline has no wall/*.json (use --icount-only, or record: ./run_all.sh gate --update-baseline)" >&2
      return 2
    fi
  fi
  local py=/usr/bin/python3
  [ -x "$py" ] || { echo "gate: /usr/bin/python3 is missing" >&2; return 2; }
  if [ "$icount" = 1 ] && ! command -v valgrind >/dev/null; then
    echo "gate: valgrind is not installed (apt-get install valgrind)" >&2; return 2
  fi
  local need_micro=0
  [ "$wall" = 1 ] && [ -z "$candidate" ] && need_micro=1
  local dir
  dir=$(_gate_build "$need_micro") || return 2
  local out
  out="$GOC_ROOT/build/gate/$(date -u +%Y%m%dT%H%M%SZ)"
  mkdir -p "$out"
  local commit
  commit=$(git -C "$GOC_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)

  local checkargs=()
  if [ "$icount" = 1 ]; then
    local bins=() f b
    for f in "$dir"/harness/gate_tests/icount-*; do
      [ -x "$f" ] || continue
      b=${f##*/icount-}
      bins+=("$b=$f")
    done
    goc_log "gate: instruction counts (callgrind) for ${bins[*]%%=*}"
    "$py" "$GOC_ROOT/harness/gate.py" record-icount --runs 3 --commit "$commit" \
      --out "$out/icount.json" "${bins[@]}" || return 2
    checkargs+=(--icount "$out/icount.json")
  fi
  if [ "$wall" = 1 ]; then
    if [ -n "$candidate" ]; then
      [ -d "$candidate" ] || { echo "gate: candidate folder not found: $candidate" >&2; return 2; }
      checkargs+=(--wall "$candidate")
    else
      mkdir -p "$out/wall"
      local m suite
      for m in "$dir"/harness/micro-* "$dir"/harness/bench_patterns-*; do
        case "$m" in *-vtbl|*-busted) continue ;; esac
        [ -x "$m" ] || continue
        suite=${m##*/}
        suite=${suite%-*}
        goc_log "gate: wall clock ${m##*/} (9 repetitions, interleaved)"
        "$m" --benchmark_repetitions=9 --benchmark_min_time=0.05 \
          --benchmark_enable_random_interleaving=true --benchmark_context=goc_suite="$suite" \
          --benchmark_out="$out/wall/${m##*/}.json" --benchmark_out_format=json >"$out/wall/${m##*/}.log" 2>&1 ||
          { echo "gate: ${m##*/} failed (see $out/wall/${m##*/}.log)" >&2; return 2; }
      done
      checkargs+=(--wall "$out/wall")
    fi
  fi

  if [ "$update" = 1 ]; then
    local upd=(--to "$to")
    [ "$icount" = 1 ] && upd+=(--icount "$out/icount.json")
    [ "$wall" = 1 ] && upd+=(--wall "${checkargs[-1]}")
    "$py" "$GOC_ROOT/harness/gate.py" update-baseline "${upd[@]}" || return 2
    goc_log "gate: baseline refreshed in $to (commit it)"
    return 0
  fi
  local rc=0
  "$py" "$GOC_ROOT/harness/gate.py" check --baseline "$baseline" --out "$out" \
    "${checkargs[@]}" "${pyargs[@]}" || rc=$?
  goc_log "gate: report in $out/gate.md (exit $rc)"
  return $rc
}
