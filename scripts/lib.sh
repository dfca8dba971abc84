# Shared helpers for run_all.sh and its stages (sourced, not run).

GOC_T0=$(date +%s)
GOC_STAGE_RESULTS=()
GOC_JOBS=${GOC_JOBS:-$(nproc)}

goc_log() { printf '[goc %4ss] %s\n' "$(( $(date +%s) - GOC_T0 ))" "$*"; }
goc_die() { printf 'run_all.sh: %s\n' "$*" >&2; exit 2; }

goc_run_start() { GOC_T0=$(date +%s); }

# goc_stage NAME FUNC ARGS...: runs one stage with a progress line and its
# elapsed time; records pass/fail for the summary; a failing stage fails the run.
goc_stage() {
  local name=$1 fn=$2; shift 2
  local t=$(date +%s) rc=0
  goc_log "stage $name: start"
  "$fn" "$@" || rc=$?
  local dt=$(( $(date +%s) - t ))
  if [ $rc -eq 0 ]; then
    GOC_STAGE_RESULTS+=("$name: ok (${dt}s)")
    goc_log "stage $name: ok in ${dt}s"
  else
    GOC_STAGE_RESULTS+=("$name: FAILED rc=$rc (${dt}s)")
    goc_log "stage $name: FAILED (rc=$rc) after ${dt}s"
    goc_run_summary
    exit $rc
  fi
}

goc_run_summary() {
  goc_log "summary ($(( $(date +%s) - GOC_T0 ))s total):"
  local r
  for r in "${GOC_STAGE_RESULTS[@]}"; do printf '    %s\n' "$r"; done
}

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

# A results folder for this run: results/<UTC>-<host>/, results/latest -> it.
# The folder name is fixed once per process (GOC_RUN_ID) so that calls from
# command substitutions, res=$(goc_results_dir), which cannot export
# GOC_RESULTS back, still agree on one folder for the whole run.
GOC_RUN_ID=${GOC_RUN_ID:-$(date -u +%Y%m%dT%H%M%SZ)-$(hostname -s)}
export GOC_RUN_ID
goc_results_dir() {
  if [ -z "${GOC_RESULTS:-}" ]; then
    GOC_RESULTS="$GOC_ROOT/results/$GOC_RUN_ID"
    mkdir -p "$GOC_RESULTS"
    ln -sfn "$(basename "$GOC_RESULTS")" "$GOC_ROOT/results/latest"
    export GOC_RESULTS
  fi
  echo "$GOC_RESULTS"
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

# The Go toolchain offline: no module proxy, caches under build/.
goc_bench_go_env() {
  export GOCACHE="$GOC_ROOT/build/go-cache" GOPATH="$GOC_ROOT/build/go-path"
  export GOPROXY=off GOTOOLCHAIN=local GOFLAGS='' GO111MODULE=on GOTELEMETRY=off
}
