# Stage "gate": the performance regression gate (harness/gate.py has the
# details and the decision rules).
#
#   ./run_all.sh gate [--against REF] [options]  instruction counts against
#       results/baseline (or --baseline DIR), wall clock side by side: the
#       commit REF is built beside this tree (build/gate-base-<sha>/, release
#       preset) and both builds run in alternating rounds on this machine now
#   ./run_all.sh gate --baseline DIR [options]   both signals against the
#       stored baseline DIR (for machines that cannot build two trees)
#   ./run_all.sh gate --update-baseline [--icount-only] [--to DIR]
#                                                record DIR (default results/baseline)
# Options:
#   --icount-only        only the instruction-count signal (what CI runs: < 1 min)
#   --wall-only          only the wall-clock signal
#   --against REF        wall clock side by side against the git commit REF;
#                        default (no --baseline, no --candidate): HEAD when the
#                        tree has uncommitted changes, else the merge-base with
#                        main, else HEAD~
#   --rounds N           side by side: alternating rounds (default 10; the rule
#                        keeps p < 0.01 reachable with 2 disturbed rounds)
#   --filter RE          side by side: Google Benchmark filter (default: all)
#   --suites LIST        side by side: micro (default), bench_patterns
#   --backends LIST      side by side: default every micro-<backend> built
#   --min-time S, --reps K, --pin CPUS   side by side: seconds per repetition
#                        (0.001), repetitions per round (20, the fastest
#                        counts), run under taskset -c CPUS
#   --rerun-rounds N, --confirm-tries T  side by side: confirmation rounds of
#                        the suspects (10), batches while unstable (3)
#   --candidate RUN      stored mode: compare RUN's Google Benchmark JSON (e.g.
#                        results/latest) instead of running the micro benchmarks
#   --threshold PCT      instruction-count threshold (default 3)
#   --wall-threshold PCT wall-clock threshold (default 25), --alpha P (0.01)
#   --no-rerun           never confirm suspects (wall regressions stay unconfirmed)
#   --any-machine        stored mode: compare wall clock across machines
# Environment: GOC_GATE_BUILD=DIR uses an already configured build folder
# instead of build/release for the candidate. GOC_GATE_PLANT=1 (the gate's
# test of itself, harness/gate_tests/false_alarm_count.sh): the side-by-side
# candidate is micro_planted-<backend>, the micro catalogue with a planted
# slowdown in every send (harness/gate_tests/plant_wrap.c).
# Writes build/gate/<UTC>/ (icount.json, wall/ or rounds/, env.json, gate.md,
# gate.json). Exit status: 0 pass (unstable rows included), 1 regression,
# 2 unusable input.

# _gate_build WANT_MICRO: configure (if needed) and build every icount-<backend>
# (and micro-<backend>, bench_patterns-<backend> for the wall-clock signal;
# micro_planted-<backend> too with GOC_GATE_PLANT=1); prints the build folder.
_gate_build() {
  local want_micro=$1 dir
  if [ -n "${GOC_GATE_BUILD:-}" ]; then
    dir=$GOC_GATE_BUILD
    [ -f "$dir/build.ninja" ] || { echo "gate: GOC_GATE_BUILD=$dir is not a configured build folder" >&2; return 2; }
  else
    dir=$GOC_ROOT/build/release
    if [ ! -f "$dir/build.ninja" ]; then
      mkdir -p "$GOC_ROOT/build"
      cmake --preset release >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log" >&2; return 2; }
    fi
  fi
  local targets=() t pattern='^(icount|micro|bench_patterns)-[a-z]+$'
  [ "${GOC_GATE_PLANT:-0}" = 1 ] && pattern='^(icount|micro|micro_planted|bench_patterns)-[a-z]+$'
  while read -r t; do
    case "$t" in
      icount-*) targets+=("$t") ;;
      micro-*-vtbl) ;;
      micro-*|micro_planted-*|bench_patterns-*) [ "$want_micro" = 1 ] && targets+=("$t") ;;
    esac
  done < <(ninja -C "$dir" -t targets all 2>/dev/null | cut -d: -f1 | grep -E "$pattern" | sort -u)
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

# _gate_default_ref: what the side-by-side gate compares with when no
# --against is given: HEAD with uncommitted changes (they are what is new),
# else the merge-base with main when this branch has commits of its own,
# else HEAD~ (the last commit's change).
_gate_default_ref() {
  if [ -n "$(git -C "$GOC_ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    echo HEAD; return
  fi
  local head mb
  head=$(git -C "$GOC_ROOT" rev-parse HEAD 2>/dev/null) || return 1
  mb=$(git -C "$GOC_ROOT" merge-base HEAD main 2>/dev/null || true)
  if [ -n "$mb" ] && [ "$mb" != "$head" ]; then echo "$mb"; else echo HEAD~; fi
}

# _gate_base_build REF SUITES BACKENDS: extracts commit REF into
# build/gate-base-<sha>/ (git archive: a plain tree, nothing registered in
# the shared .git), configures its release preset and builds the benchmark
# binaries the side-by-side run needs; prints that tree's build folder.
# Kept between runs: a second gate against the same commit builds nothing.
_gate_base_build() {
  local ref=$1 suites=$2 backends=$3 sha src dir
  sha=$(git -C "$GOC_ROOT" rev-parse --verify --quiet "$ref^{commit}") ||
    { echo "gate: --against $ref: not a commit here" >&2; return 2; }
  src=$GOC_ROOT/build/gate-base-${sha:0:12}
  dir=$src/build/release
  if [ ! -f "$src/.gate-tree-complete" ]; then
    rm -rf "$src"
    mkdir -p "$src"
    git -C "$GOC_ROOT" archive --format=tar "$sha" | tar -x -C "$src" ||
      { echo "gate: cannot extract $ref ($sha) into $src" >&2; return 2; }
    echo "$sha" >"$src/.gate-tree-complete"
  fi
  if [ ! -f "$dir/build.ninja" ]; then
    goc_log "gate: configuring the baseline $ref (${sha:0:12}) in ${src#"$GOC_ROOT"/}" >&2
    mkdir -p "$src/build"
    (cd "$src" && cmake --preset release) >"$dir.configure.log" 2>&1 ||
      { cat "$dir.configure.log" >&2; return 2; }
  fi
  local all t b s targets=()
  all=$(ninja -C "$dir" -t targets all 2>/dev/null | cut -d: -f1)
  for s in ${suites//,/ }; do
    for t in $(grep -E "^$s-[a-z]+$" <<<"$all"); do
      b=${t#"$s"-}
      [ "$b" = busted ] && continue
      if [ -n "$backends" ]; then
        case ",${backends// /,}," in *",$b,"*) ;; *) continue ;; esac
      fi
      targets+=(--target "$t")
    done
  done
  [ ${#targets[@]} -gt 0 ] || { echo "gate: the baseline $ref has no benchmark target to build" >&2; return 2; }
  goc_log "gate: building the baseline $ref (${sha:0:12})" >&2
  cmake --build "$dir" -j "$GOC_JOBS" "${targets[@]}" >"$dir.build.log" 2>&1 ||
    { tail -30 "$dir.build.log" >&2; echo "gate: the baseline $ref does not build (log: $dir.build.log)" >&2; return 2; }
  echo "$dir"
}

stage_gate() {
  local baseline="" update=0 icount=1 wall=1 candidate="" to="$GOC_ROOT/results/baseline"
  local against="" sbs_suites=micro sbs_backends=""
  local pyargs=() sbsargs=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --baseline) baseline=${2:?--baseline wants a folder}; shift ;;
      --update-baseline) update=1 ;;
      --to) to=${2:?}; shift ;;
      --icount-only) wall=0 ;;
      --wall-only) icount=0 ;;
      --candidate) candidate=${2:?--candidate wants a results folder}; shift ;;
      --against) against=${2:?--against wants a commit}; shift ;;
      --suites) sbs_suites=${2:?--suites wants a list}; shift ;;
      --backends) sbs_backends=${2:?--backends wants a list}; shift ;;
      --rounds|--filter|--min-time|--reps|--pin|--rerun-rounds|--confirm-tries) sbsargs+=("$1" "${2:?$1 wants a value}"); shift ;;
      --threshold|--wall-threshold|--alpha) pyargs+=("$1" "${2:?$1 wants a value}"); shift ;;
      --no-rerun|--any-machine) pyargs+=("$1") ;;
      --quick) ;;  # accepted from `./run_all.sh --quick`; the gate is already short
      *) echo "gate: unknown option $1 (see scripts/stage_gate.sh)" >&2; return 2 ;;
    esac
    shift
  done
  # which wall-clock mode: side by side (--against, or nothing said), or the
  # stored baseline (--baseline DIR or --candidate RUN without --against)
  local sbs=0
  if [ "$wall" = 1 ] && [ "$update" = 0 ]; then
    if [ -n "$against" ]; then
      sbs=1
      [ -z "$candidate" ] || { echo "gate: --against and --candidate exclude each other" >&2; return 2; }
    elif [ -z "$baseline" ] && [ -z "$candidate" ]; then
      sbs=1
      against=$(_gate_default_ref) || { echo "gate: no git history here: give --baseline DIR" >&2; return 2; }
    fi
  fi
  if [ "$sbs" = 0 ] && [ ${#sbsargs[@]} -gt 0 ]; then
    echo "gate: ${sbsargs[0]} is a side-by-side option (with --against REF)" >&2; return 2
  fi
  if [ "$update" = 0 ] && [ -z "$baseline" ] && { [ "$icount" = 1 ] || [ "$sbs" = 0 ]; }; then
    if [ -d "$GOC_ROOT/results/baseline" ]; then
      baseline=$GOC_ROOT/results/baseline
    else
      echo "gate: no --baseline DIR and no results/baseline/ (record one: ./run_all.sh gate --update-baseline)" >&2
      return 2
    fi
  fi
  if [ "$update" = 0 ] && [ -n "$baseline" ]; then
    # fail fast (before minutes of building and measuring) on a baseline
    # that cannot serve; gate.py checks the contents
    if [ ! -d "$baseline" ]; then
      echo "gate: baseline folder not found: $baseline" >&2; return 2
    fi
    if [ "$icount" = 1 ] && [ ! -f "$baseline/icount.json" ]; then
      echo "gate: $baseline has no icount.json (record one: ./run_all.sh gate --update-baseline)" >&2; return 2
    fi
    if [ "$wall" = 1 ] && [ "$sbs" = 0 ] && ! ls "$baseline"/wall/*.json >/dev/null 2>&1; then
      echo "gate: $baseline has no wall/*.json (compare side by side: --against REF; or use --icount-only, or record: ./run_all.sh gate --update-baseline)" >&2
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
  local basedir=""
  if [ "$sbs" = 1 ]; then
    basedir=$(_gate_base_build "$against" "$sbs_suites" "$sbs_backends") || return 2
  fi
  local out
  out="$GOC_ROOT/build/gate/$(date -u +%Y%m%dT%H%M%SZ)"
  [ -e "$out" ] && out="$out-$$"
  mkdir -p "$out"
  local commit
  commit=$(git -C "$GOC_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
  "$py" "$GOC_ROOT/harness/env_json.py" "$out/env.json" --build-dir "$dir" --root "$GOC_ROOT" ||
    goc_log "gate: env.json incomplete"

  local checkargs=(--env "$out/env.json")
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
  local wallin=""
  if [ "$sbs" = 1 ]; then
    local dirty=""
    [ -n "$(git -C "$GOC_ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] && dirty=" + uncommitted changes"
    checkargs+=(--base-build "$basedir" --cand-build "$dir" --suites "$sbs_suites"
                --base-label "$against ($(git -C "$GOC_ROOT" rev-parse --short "$against^{commit}"))"
                --cand-label "$commit$dirty")
    [ -n "$sbs_backends" ] && checkargs+=(--backends "$sbs_backends")
    [ "${GOC_GATE_PLANT:-0}" = 1 ] && checkargs+=(--plant)
    goc_log "gate: wall clock side by side against $against"
  elif [ "$wall" = 1 ]; then
    if [ -n "$candidate" ]; then
      [ -d "$candidate" ] || { echo "gate: candidate folder not found: $candidate" >&2; return 2; }
      wallin=$candidate
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
      wallin=$out/wall
    fi
    checkargs+=(--wall "$wallin")
  fi

  if [ "$update" = 1 ]; then
    local upd=(--to "$to" --env "$out/env.json")
    [ "$icount" = 1 ] && upd+=(--icount "$out/icount.json")
    [ "$wall" = 1 ] && upd+=(--wall "$wallin")
    "$py" "$GOC_ROOT/harness/gate.py" update-baseline "${upd[@]}" || return 2
    goc_log "gate: baseline refreshed in $to (commit it)"
    return 0
  fi
  local rc=0
  [ -n "$baseline" ] && checkargs+=(--baseline "$baseline")
  "$py" "$GOC_ROOT/harness/gate.py" check --out "$out" \
    "${checkargs[@]}" "${sbsargs[@]}" "${pyargs[@]}" || rc=$?
  goc_log "gate: report in $out/gate.md (exit $rc)"
  return $rc
}
