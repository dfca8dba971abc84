# stage bench: the benchmark catalogues for every backend and for Go.
#   ./run_all.sh bench [--quick] [--filter RE] [--backends LIST]
#
# Builds the release preset (goc_build) and the Go reference test binaries
# (offline: GOPROXY=off, GOCACHE under build/), then runs, for every backend
# whose binary exists (pthread, lockfree, coro; also X-vtbl adapter builds
# when named in --backends) and for Go at GOMAXPROCS=1 and =cores (go-p1,
# go-pN), each suite with the same flags:
#   C:  --benchmark_repetitions=R --benchmark_enable_random_interleaving=true
#       --benchmark_min_time=T (1.7.1 takes plain seconds)
#   Go: R separate runs of the test binary (-test.count=1 each, so that
#       repetitions interleave over the catalogue as gbench's do),
#       -test.benchtime=Ts, converted by reference/go/gbench_json.py.
# Suites (GOC_BENCH_SUITES, "name:go package"): micro (harness/bench_micro.c,
# reference/go) and bench_patterns (harness/bench_patterns.c,
# reference/go/patterns) when built.
# Writes into the run folder (goc_results_dir): bench-<backend>.json (micro,
# Google Benchmark JSON; context.goc_backend names the backend, goc_suite the
# suite), bench_patterns-<backend>.json, a .log beside each, env.json, and
# bench.md / bench.json (medians, min-max, ratios to Go, per suite).
# --backends: comma or space separated names among pthread lockfree coro
#   X-vtbl go (= go-p1 and go-pN) go-p1 go-pN; default every real backend
#   built + go-p1 + go-pN.
# --filter RE: Google Benchmark regex; Go gets the same string as -test.bench
#   (Go matches it level by level on '/'; top-level names work alike).
# Rounds: the R repetitions are split over GOC_BENCH_ROUNDS rounds (3; 1
#   with --quick); each round runs every backend and Go once, in alternating
#   order, and each backend's rounds are merged into one file
#   (harness/gbench_merge.py), so that a host moving the VM's vCPUs during
#   the stage moves every backend alike. A thread backend's BarePingPong is
#   probed before and after each backend's run (floors.json, floors.log).
# Environment: GOC_BENCH_BUILD_DIR=dir uses an already configured build
#   folder instead of build/release (for parallel work); GOC_BENCH_REPS,
#   GOC_BENCH_MIN_TIME, GOC_BENCH_ROUNDS override the repetition count, the
#   min time and the rounds.
# Fails (after writing everything) if a benchmark failed its self-check or a
# requested backend did not build.

# suite name (= C target prefix) : Go package directory under reference/go
GOC_BENCH_SUITES=(micro:. bench_patterns:patterns)

goc_bench_suite_names() { local s; for s in "${GOC_BENCH_SUITES[@]}"; do echo "${s%%:*}"; done; }

# File name of a suite's results for a backend (micro keeps the short name).
goc_bench_file() { # SUITE BACKEND
  if [ "$1" = micro ]; then echo "bench-$2"; else echo "$1-$2"; fi
}

# Prints the benchmark targets of the configured build: "<suite>-<backend>".
goc_bench_targets() {
  local dir suites
  dir=$(goc_bench_build_dir)
  suites=$(goc_bench_suite_names | paste -sd'|')
  ninja -C "$dir" -t targets all 2>/dev/null |
    sed -n -E "s/^(($suites)-[A-Za-z0-9_-]+): phony$/\1/p" | sort -u
}

# The real backends built (micro-<b> without -vtbl), in a stable order.
goc_bench_real_backends() {
  local t b found=() all
  all=$(goc_bench_targets)
  for b in pthread lockfree coro; do
    grep -qx "micro-$b" <<<"$all" && found+=("$b")
  done
  for t in $all; do
    b=${t#micro-}
    [ "$b" = "$t" ] && continue
    case "$b" in *-vtbl|busted) continue ;; esac
    case " ${found[*]} " in *" $b "*) ;; *) found+=("$b") ;; esac
  done
  echo "${found[@]}"
}

# goc_bench_build_backends LIST: builds the benchmark targets of each C
# backend in LIST (Go entries are skipped); prints the backends that built.
# A backend that does not build is reported and left out.
goc_bench_build_backends() {
  local b suite all targets ok=()
  all=$(goc_bench_targets)
  for b in $1; do
    case "$b" in go-*) continue ;; esac
    targets=()
    for suite in $(goc_bench_suite_names); do
      grep -qx -- "$suite-$b" <<<"$all" && targets+=("$suite-$b")
    done
    if [ ${#targets[@]} -eq 0 ]; then
      echo "bench: no benchmark target for backend $b" >&2
      continue
    fi
    if goc_bench_build "${targets[@]}" >&2; then ok+=("$b"); else echo "bench: backend $b does not build; skipped" >&2; fi
  done
  echo "${ok[@]}"
}

# Builds build/go/<suite>.test for each suite whose Go package has tests
# (offline). The micro suite must build; others are skipped with a message.
goc_bench_go_build() {
  command -v go >/dev/null || { echo "bench: go not found (apt-get install golang-go)" >&2; return 1; }
  mkdir -p "$GOC_ROOT/build/go"
  local s suite pkg
  for s in "${GOC_BENCH_SUITES[@]}"; do
    suite=${s%%:*} pkg=${s#*:}
    rm -f "$GOC_ROOT/build/go/$suite.test"
    compgen -G "$GOC_ROOT/reference/go/$pkg/*_test.go" >/dev/null || continue
    if ! ( goc_bench_go_env; cd "$GOC_ROOT/reference/go" &&
           go test -c -o "$GOC_ROOT/build/go/$suite.test" "./$pkg" ); then
      [ "$suite" = micro ] && return 1
      echo "bench: Go suite $suite does not build; skipped" >&2
    fi
  done
}

# goc_bench_expand_backends LIST: the run list.
goc_bench_expand_backends() {
  local list=$1 b names=()
  [ -n "$list" ] || list="$(goc_bench_real_backends) go-p1 go-pN"
  for b in ${list//,/ }; do
    case "$b" in
      go) names+=(go-p1 go-pN) ;;
      *) names+=("$b") ;;
    esac
  done
  echo "${names[@]}"
}

# goc_bench_prepare BACKENDS: configure, build the C backends and Go; sets
# GOC_BENCH_LIST (what will run) and GOC_BENCH_BUILD_FAILED.
goc_bench_prepare() {
  local list built b
  GOC_BENCH_LIST="" GOC_BENCH_BUILD_FAILED=""
  # configure (and build the shim) first, so that the target list is known
  goc_bench_build goc_bench_shim || return 1
  list=$(goc_bench_expand_backends "$1")
  built=" $(goc_bench_build_backends "$list") "
  for b in $list; do
    case "$b" in
      go-*) GOC_BENCH_LIST+=" $b" ;;
      *) case "$built" in
           *" $b "*) GOC_BENCH_LIST+=" $b" ;;
           *) GOC_BENCH_BUILD_FAILED+=" $b" ;;
         esac ;;
    esac
  done
  case " $list " in *" go-"*) goc_bench_go_build || return 1 ;; esac
  GOC_BENCH_LIST=${GOC_BENCH_LIST# } GOC_BENCH_BUILD_FAILED=${GOC_BENCH_BUILD_FAILED# }
  return 0
}

# goc_bench_run_one SUITE BACKEND OUT_JSON LOG FILTER MIN_TIME REPS
# Runs one suite for one backend. Returns 0; 1 when a benchmark failed its
# self-check (or the program failed); 3 when the suite has no binary for
# this backend or nothing matched the filter (nothing written).
goc_bench_run_one() {
  local suite=$1 backend=$2 out=$3 log=$4 filter=$5 min_time=$6 reps=$7
  local dir rc=0
  dir=$(goc_bench_build_dir)
  rm -f "$out"
  case "$backend" in
    go-p1|go-pN)
      local procs=1 r tmp bin="$GOC_ROOT/build/go/$suite.test" crc
      [ -x "$bin" ] || return 3
      [ "$backend" = go-pN ] && procs=$(nproc)
      tmp="$out.txt"
      : >"$tmp"
      for r in $(seq 1 "$reps"); do
        ( cd "$GOC_ROOT/build/go" &&
          GOMAXPROCS=$procs "$bin" -test.run '^$' -test.bench "${filter:-.}" \
            -test.benchtime "${min_time}s" -test.count 1 ) >>"$tmp" 2>&1 || rc=1
      done
      cat "$tmp" >>"$log"
      crc=0
      /usr/bin/python3 "$GOC_ROOT/reference/go/gbench_json.py" --backend "$backend" \
        --procs "$procs" --context "gomaxprocs=$procs" --context "goc_suite=$suite" \
        --context "go_version=$(go version 2>/dev/null)" -o "$out" "$tmp" >>"$log" 2>&1 || crc=$?
      rm -f "$tmp"
      if [ $crc -eq 2 ] && [ $rc -eq 0 ]; then rm -f "$out"; return 3; fi # nothing matched
      [ $crc -eq 0 ] || rc=1
      ;;
    *)
      local bin="$dir/harness/$suite-$backend"
      [ -x "$bin" ] || return 3
      # warm-up (gbench_shim.cc) as long as one repetition: --quick stays quick
      GOC_BENCH_WARMUP="${GOC_BENCH_WARMUP:-$min_time}" \
      "$bin" --benchmark_filter="${filter:-.}" --benchmark_min_time="$min_time" \
        --benchmark_repetitions="$reps" --benchmark_enable_random_interleaving=true \
        --benchmark_display_aggregates_only=true --benchmark_context="goc_suite=$suite" \
        --benchmark_out="$out" --benchmark_out_format=json >>"$log" 2>&1 || rc=1
      if ! grep -q '"run_type"' "$out" 2>/dev/null; then
        # no record: nothing matched the filter (or the program died early)
        rm -f "$out"
        [ $rc -eq 0 ] && return 3
      fi
      ;;
  esac
  return $rc
}

stage_bench() {
  local quick=0 filter="" backends="" reps min_time
  while [ $# -gt 0 ]; do
    case "$1" in
      --quick) quick=1 ;;
      --filter) filter=$2; shift ;;
      --backends) backends=$2; shift ;;
      *) echo "bench: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  if [ $quick -eq 1 ]; then reps=3; min_time=0.01; else reps=9; min_time=0.05; fi
  reps=${GOC_BENCH_REPS:-$reps}
  min_time=${GOC_BENCH_MIN_TIME:-$min_time}

  # Rounds: every backend (and Go) runs once per round, in alternating order,
  # with its share of the repetitions, and the rounds' JSON are merged
  # (harness/gbench_merge.py): each backend's repetitions then span the whole
  # stage, so a host that moves the vCPUs mid-stage moves every backend's
  # numbers alike instead of splitting the backends over two machines.
  local rounds=${GOC_BENCH_ROUNDS:-3}
  [ $quick -eq 1 ] && rounds=${GOC_BENCH_ROUNDS:-1}
  [ "$rounds" -ge 1 ] 2>/dev/null || rounds=1
  [ "$rounds" -le "$reps" ] || rounds=$reps

  local dir res rc=0 failed=() b
  dir=$(goc_bench_build_dir)
  goc_log "bench: build ($dir)"
  goc_bench_prepare "$backends" || return 1
  if [ -n "$GOC_BENCH_BUILD_FAILED" ]; then
    rc=1
    for b in $GOC_BENCH_BUILD_FAILED; do failed+=("$b(build)"); done
  fi

  # not res=$(goc_results_dir): the subshell would lose GOC_RESULTS, and the
  # next stage of the same run would open a new folder
  goc_results_dir >/dev/null
  res=$GOC_RESULTS
  /usr/bin/python3 "$GOC_ROOT/harness/env_json.py" "$res/env.json" --build-dir "$dir" \
    --root "$GOC_ROOT" --set "bench_repetitions=$reps" --set "bench_min_time_s=$min_time" \
    --set "bench_filter=${filter:-.}" --set "bench_rounds=$rounds" || goc_log "bench: env.json incomplete"

  # the cross-core probe (harness/floors.py): a thread backend's BarePingPong
  # before and after each backend's suites, into floors.json, so that the
  # summary can say when coro's or Go's rows were measured on a differently
  # placed machine than the others (the host moves the vCPUs within minutes)
  local probe_bin="" pb
  for pb in pthread lockfree; do
    [ -x "$dir/harness/micro-$pb" ] && { probe_bin="$dir/harness/micro-$pb"; break; }
  done
  rm -f "$res/floors.json"
  goc_bench_probe() { # goc_bench_probe BACKEND before|after ROUND
    [ -n "$probe_bin" ] || return 0
    /usr/bin/python3 "$GOC_ROOT/harness/floors.py" probe "$probe_bin" "$1" "$2" "$res/floors.json" "$3" \
      >>"$res/floors.log" 2>&1 || goc_log "bench: cross-core probe failed (see $res/floors.log)"
  }

  local rdir="$res/.rounds" k order reps_k
  rm -rf "$rdir"
  mkdir -p "$rdir"

  local suite n i f r ran files=()
  declare -A status=() # suite/backend -> 0 ran, 1 failed, 3 nothing to run
  n=$(wc -w <<<"$GOC_BENCH_LIST")
  for k in $(seq 1 "$rounds"); do
    reps_k=$((reps / rounds + (k <= reps % rounds ? 1 : 0)))
    order=$GOC_BENCH_LIST
    [ $((k % 2)) -eq 0 ] && order=$(tr ' ' '\n' <<<"$GOC_BENCH_LIST" | tac | paste -sd' ')
    i=0
    for b in $order; do
      i=$((i + 1))
      goc_log "bench: round $k/$rounds: $b ($i/$n): $reps_k repetitions, min time ${min_time}s"
      goc_bench_probe "$b" before "$k"
      for suite in $(goc_bench_suite_names); do
        f=$(goc_bench_file "$suite" "$b")
        [ "$k" -eq 1 ] && : >"$res/$f.log"
        [ "${status[$suite/$b]:-}" = 3 ] && continue
        r=0
        goc_bench_run_one "$suite" "$b" "$rdir/$f.$k.json" "$res/$f.log" "$filter" "$min_time" "$reps_k" || r=$?
        case $r in
          0) [ "${status[$suite/$b]:-0}" = 1 ] || status[$suite/$b]=0 ;;
          3) status[$suite/$b]=3 ;;
          *) status[$suite/$b]=1
             goc_log "bench: $b $suite: FAILED in round $k (see $res/$f.log)"
             grep -E "goc_bench:|gbench_json.py:|--- FAIL|panic" "$res/$f.log" | head -5 | sed 's/^/    /' || true ;;
        esac
      done
      goc_bench_probe "$b" after "$k"
    done
  done
  for b in $GOC_BENCH_LIST; do
    ran=0
    for suite in $(goc_bench_suite_names); do
      f=$(goc_bench_file "$suite" "$b")
      case "${status[$suite/$b]:-3}" in
        3) rm -f "$res/$f.log"; continue ;;
        1) rc=1; failed+=("$b/$suite") ;;
      esac
      ran=1
      rm -f "$res/$f.json"
      local parts=()
      for k in $(seq 1 "$rounds"); do [ -s "$rdir/$f.$k.json" ] && parts+=("$rdir/$f.$k.json"); done
      [ ${#parts[@]} -gt 0 ] &&
        { /usr/bin/python3 "$GOC_ROOT/harness/gbench_merge.py" "$res/$f.json" "${parts[@]}" >>"$res/$f.log" 2>&1 || true; }
      [ -s "$res/$f.json" ] && files+=("$res/$f.json")
    done
    [ $ran -eq 1 ] || goc_log "bench: $b: nothing matched the filter"
  done
  rm -rf "$rdir"
  if [ ${#files[@]} -gt 0 ]; then
    /usr/bin/python3 "$GOC_ROOT/harness/bench_compare.py" "${files[@]}" \
      --order "$(tr ' ' , <<<"$GOC_BENCH_LIST")" \
      --title "bench ($reps repetitions, min time ${min_time}s)" \
      --md "$res/bench.md" --json "$res/bench.json" >/dev/null || rc=1
    goc_log "bench: wrote $res/{env.json,bench-*.json,bench.md,bench.json}"
    sed -n '1,400p' "$res/bench.md"
  else
    goc_log "bench: no results"; rc=1
  fi
  [ $rc -eq 0 ] || goc_log "bench: FAILED: ${failed[*]:-see above}"
  return $rc
}
