#!/usr/bin/env bash
# goc driver. `./run_all.sh` runs the whole job; `./run_all.sh test` the tests.
# Each stage lives in scripts/stage_<name>.sh and defines stage_<name>().
# Usage: ./run_all.sh [STAGE] [options]     (./run_all.sh help lists them)
set -euo pipefail
GOC_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export GOC_ROOT
cd "$GOC_ROOT"
# shellcheck source=scripts/lib.sh
source scripts/lib.sh
for f in scripts/stage_*.sh; do
  # shellcheck disable=SC1090
  source "$f"
done

# Stages run by `./run_all.sh` with no argument, in order; a stage whose
# script is not there yet is skipped.
ALL_STAGES=(setup test bench memory scaling patterns races pitfalls report plots)

usage() {
  cat <<USAGE
usage: ./run_all.sh [STAGE] [options]
  (no stage)     setup, build, every stage below that exists; --quick for a short run
  setup          install missing Debian packages (root) or print the command
  test [--long] [--presets "release tsan asan"] [-R REGEX]
                 build and run the CTest suites in each preset
  bench [--quick] [--filter RE] [--backends LIST]
  compare [--filter RE]
  memory | scaling [--quick]   memory per parked task; throughput vs task count
  races | pitfalls | report [RUN] | plots [RUN]
  gate [--baseline DIR] [--icount-only] | gate --update-baseline
available here: $(declare -F | awk '{print $3}' | sed -n 's/^stage_//p' | tr '\n' ' ')
USAGE
}

main() {
  local stage="${1:-all}"
  [ $# -gt 0 ] && shift
  case "$stage" in
    -h|--help|help) usage; return 0 ;;
    all|--quick)
      [ "$stage" = "--quick" ] && set -- --quick "$@"
      goc_run_start
      # one results folder for every stage of this run (stages call
      # $(goc_results_dir) in a subshell, which cannot export it back)
      goc_results_dir >/dev/null
      local quick=0 a
      for a in "$@"; do [ "$a" = --quick ] && quick=1; done
      for s in "${ALL_STAGES[@]}"; do
        declare -F "stage_$s" >/dev/null || continue
        if [ "$s" = test ]; then
          # The whole job checks the release build only; the sanitizer
          # suites are `./run_all.sh test` (CI). --quick skips the tests.
          if [ $quick = 1 ]; then
            goc_log "stage test: skipped with --quick (run ./run_all.sh test)"
          else
            goc_stage test stage_test --presets release
          fi
          continue
        fi
        goc_stage "$s" "stage_$s" "$@"
      done
      goc_run_summary ;;
    *)
      if ! declare -F "stage_$stage" >/dev/null; then
        echo "run_all.sh: unknown stage '$stage'" >&2; usage >&2; return 2
      fi
      goc_run_start
      goc_stage "$stage" "stage_$stage" "$@"
      goc_run_summary ;;
  esac
}
main "$@"
