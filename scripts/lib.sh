# Shared helpers for run_all.sh and its stages (sourced, not run).

GOC_T0=$(date +%s)
GOC_STAGE_RESULTS=()
GOC_JOBS=${GOC_JOBS:-$(nproc)}
export PYTHONUNBUFFERED=1  # stage output goes through tee: keep Python progress lines live

goc_log() { printf '[goc %4ss] %s\n' "$(( $(date +%s) - GOC_T0 ))" "$*"; }
goc_die() { printf 'run_all.sh: %s\n' "$*" >&2; exit 2; }

goc_run_start() { GOC_T0=$(date +%s); }

# goc_stage NAME FUNC ARGS...: runs one stage with a progress line and its
# elapsed time and records ok / FAILED for the summary. A failing stage never
# stops the caller: the whole job runs every stage and goc_run_summary's
# status says whether any failed. With a run folder ($GOC_RESULTS set), the
# stage's output also goes to RUN/logs/NAME.log and its outcome (status, exit
# status, seconds, options) to RUN/stages.json (harness/stages.py), which
# summary.md's "Failed stages" and `./run_all.sh --resume` read. The stage
# runs in a subshell: an `exit` inside it ends the stage, not the job.
# GOC_FAIL_STAGE="a b" (space or comma list) makes those stages fail at once
# without running (to test this path).
goc_stage() {
  local name=$1 fn=$2; shift 2
  local t rc=0 log="" dt errexit=0
  t=$(date +%s)
  goc_log "stage $name: start"
  if [ -n "${GOC_RESULTS:-}" ]; then
    mkdir -p "$GOC_RESULTS/logs"
    log="$GOC_RESULTS/logs/$name.log"
    : >"$log"
    goc_stage_record "$name" running 0 0 "$@"
  fi
  [[ $- == *e* ]] && errexit=1
  set +e
  local forced=" ${GOC_FAIL_STAGE:-} "
  forced=${forced//,/ }
  if [[ $forced == *" $name "* ]]; then
    rc=1
    echo "stage $name: forced failure (GOC_FAIL_STAGE=$GOC_FAIL_STAGE); the stage did not run" |
      if [ -n "$log" ]; then tee -a "$log"; else cat; fi
  elif [ -n "$log" ]; then
    # `|| exit $?`: errexit stays off inside the stage, as in a plain call
    ( export GOC_STAGE_NAME=$name; "$fn" "$@" || exit $? ) 2>&1 | tee -a "$log"
    rc=${PIPESTATUS[0]}
  else
    ( "$fn" "$@" || exit $? )
    rc=$?
  fi
  [ $errexit -eq 1 ] && set -e
  dt=$(( $(date +%s) - t ))
  if [ $rc -eq 0 ]; then
    GOC_STAGE_RESULTS+=("$name: ok (${dt}s)")
    goc_log "stage $name: ok in ${dt}s"
    [ -z "$log" ] || goc_stage_record "$name" ok 0 "$dt" "$@"
  else
    GOC_STAGE_RESULTS+=("$name: FAILED rc=$rc (${dt}s)")
    GOC_STAGES_FAILED+=("$name")
    goc_log "stage $name: FAILED (rc=$rc) after ${dt}s${log:+; log: $log}"
    [ -z "$log" ] || goc_stage_record "$name" failed "$rc" "$dt" "$@"
  fi
  return 0
}
GOC_STAGES_FAILED=()

goc_stage_record() { # NAME STATUS RC SECONDS ARGS...
  local name=$1 status=$2 rc=$3 dt=$4; shift 4
  /usr/bin/python3 "$GOC_ROOT/harness/stages.py" record "$GOC_RESULTS" "$name" "$status" "$rc" "$dt" \
    "$(goc_commit)" "$(goc_host)" -- "$@" || goc_log "stage $name: could not write stages.json"
}

# The final summary: each stage's status, the run folder, and for each
# failed stage the first lines of its failure. Returns 1 if a stage failed.
goc_run_summary() {
  goc_log "summary ($(( $(date +%s) - GOC_T0 ))s total):"
  local r
  for r in "${GOC_STAGE_RESULTS[@]}"; do printf '    %s\n' "$r"; done
  [ -z "${GOC_RESULTS:-}" ] || printf '    run folder: %s\n' "$GOC_RESULTS"
  [ ${#GOC_STAGES_FAILED[@]} -eq 0 ] && return 0
  goc_log "FAILED: ${GOC_STAGES_FAILED[*]}"
  if [ -n "${GOC_RESULTS:-}" ]; then
    /usr/bin/python3 "$GOC_ROOT/harness/stages.py" failed "$GOC_RESULTS" | sed 's/^/    /'
    printf '    rerun the failed stages: ./run_all.sh --resume --run %s\n' "$GOC_RESULTS"
  fi
  return 1
}

goc_commit() { git -C "$GOC_ROOT" rev-parse HEAD 2>/dev/null || echo unknown; }
goc_host() { hostname -s 2>/dev/null || hostname; }

# goc_build PRESET [TARGETS...]: configure (once) and build a preset.
goc_build() {
  local preset=$1; shift
  local dir="$GOC_ROOT/build/$preset"
  local extra=()
  [ -n "${CI:-}" ] && extra+=(-DGOC_WERROR=ON)
  mkdir -p "$GOC_ROOT/build"  # a fresh checkout has no build/ for the log yet
  if [ ! -f "$dir/build.ninja" ] || [ -n "${CI:-}" ]; then
    cmake --preset "$preset" "${extra[@]}" >"$dir.configure.log" 2>&1 || {
      mkdir -p "$dir"; cat "$dir.configure.log" >&2; return 1; }
  fi
  local targets=() t  # t local: goc_stage's own $t (its start time) is in scope here
  for t in "$@"; do targets+=(--target "$t"); done
  cmake --build "$dir" -j "$GOC_JOBS" "${targets[@]}"
}

# Run folders: $GOC_RESULTS_ROOT/<UTC>-<host>/ (default results/), and
# results/latest -> the one in use. The folder name is fixed once per process
# (GOC_RUN_ID); run_all.sh picks the folder before the first stage and
# exports GOC_RESULTS, so that every stage, also from command substitutions
# (res=$(goc_results_dir)), writes into the same one.
GOC_RESULTS_ROOT=${GOC_RESULTS_ROOT:-$GOC_ROOT/results}
export GOC_RESULTS_ROOT
GOC_RUN_ID=${GOC_RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s)}
export GOC_RUN_ID
goc_results_dir() {
  if [ -z "${GOC_RESULTS:-}" ]; then
    goc_use_run "$GOC_RESULTS_ROOT/$GOC_RUN_ID"
  fi
  echo "$GOC_RESULTS"
}

# goc_use_run DIR: make DIR (created if needed) the run folder of this process.
goc_use_run() {
  mkdir -p "$1"
  GOC_RESULTS=$(cd "$1" && pwd -P)
  export GOC_RESULTS
  if [ "$(dirname "$GOC_RESULTS")" = "$(cd "$GOC_RESULTS_ROOT" 2>/dev/null && pwd -P)" ]; then
    ln -sfn "$(basename "$GOC_RESULTS")" "$GOC_RESULTS_ROOT/latest"
  fi
}

# goc_current_run: prints the newest run folder made on this host at this
# commit (a stage run alone adds to it); fails if there is none.
goc_current_run() {
  /usr/bin/python3 "$GOC_ROOT/harness/stages.py" current "$GOC_RESULTS_ROOT" "$(goc_commit)" "$(goc_host)"
}

# The release build folder that benchmark stages use; GOC_BENCH_BUILD_DIR
# points them at an already configured one instead (for parallel work).
goc_bench_build_dir() { echo "${GOC_BENCH_BUILD_DIR:-$GOC_ROOT/build/release}"; }

# goc_bench_build TARGETS...: configure if needed and build the given targets.
goc_bench_build() {
  local dir
  dir=$(goc_bench_build_dir)
  if [ -n "${GOC_BENCH_BUILD_DIR:-}" ]; then
    [ -f "$dir/build.ninja" ] || { echo "bench: $dir is not a configured build folder" >&2; return 1; }
    local t args=()
    for t in "$@"; do args+=(--target "$t"); done
    cmake --build "$dir" -j "$GOC_JOBS" "${args[@]}"
  else
    goc_build release "$@"
  fi
}

# goc_bench_backends PREFIX: the backends B (busted left out) for which the
# bench build folder has a PREFIX-B target, one per line; configures the
# default folder first if it is not configured yet.
goc_bench_backends() {
  local dir
  dir=$(goc_bench_build_dir)
  if [ -z "${GOC_BENCH_BUILD_DIR:-}" ] && [ ! -f "$dir/build.ninja" ]; then
    cmake --preset release >"$dir.configure.log" 2>&1 || { cat "$dir.configure.log" >&2; return 1; }
  fi
  ninja -C "$dir" -t targets all 2>/dev/null |
    sed -n -E "s/^$1-([a-z]+): phony\$/\1/p" | sort -u | grep -vx busted
  return 0
}

# The Go toolchain offline: no module proxy, caches under build/.
goc_bench_go_env() {
  export GOCACHE="$GOC_ROOT/build/go-cache" GOPATH="$GOC_ROOT/build/go-path"
  export GOPROXY=off GOTOOLCHAIN=local GOFLAGS='' GO111MODULE=on GOTELEMETRY=off
}
