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
for f in scripts/stage_*.sh ${GOC_EXTRA_STAGES_DIR:+"$GOC_EXTRA_STAGES_DIR"/stage_*.sh}; do
  # shellcheck disable=SC1090
  source "$f"
done

# Stages run by `./run_all.sh` with no argument, in order; a stage whose
# script is not there yet is skipped. plots before report: the HTML report
# shows every figure. GOC_ALL_STAGES (a space list) replaces the list, and
# GOC_EXTRA_STAGES_DIR adds stage_*.sh scripts from another folder: the
# driver's own test runs stub stages that way (harness/report_tests).
ALL_STAGES=(setup test bench memory scaling patterns races pitfalls plots report)
# shellcheck disable=SC2206
[ -z "${GOC_ALL_STAGES:-}" ] || ALL_STAGES=($GOC_ALL_STAGES)
# Stages that write into a run folder when run alone (the others: setup,
# test, gate, history, do not).
RUN_STAGES=" bench compare memory scaling patterns races pitfalls plots report ${GOC_ALL_STAGES:-} "

usage() {
  cat <<USAGE
usage: ./run_all.sh [STAGE] [options]
  (no stage)     setup, build, every stage below that exists; --quick for a short run;
                 every stage runs even if one fails (exit status 1 then)
  --resume [--run DIR]
                 rerun the stages of the current run (or DIR) that failed or did
                 not finish, then redraw its plots and report
  setup          install missing Debian packages (root) or print the command
  test [--long] [--presets "release tsan asan"] [-R REGEX] [-L LABEL]
                 build and run the CTest suites in each preset
  bench [--quick] [--filter RE] [--backends LIST]
  compare [--filter RE]
  memory | scaling [--quick]   memory per parked task; throughput vs task count
  races [--repeat N] [--go-runs N] [--no-go] | pitfalls
  plots [RUN]    the figures of RUN (default: the current run)
  report [RUN] [--open]        summary.md and index.html of RUN (default: the current run)
  report RUN1 RUN2 ...         one comparison of runs from several machines
  history [--filter RE] [--backends LIST]  medians over commits, change points
  stability [RUN ...] [--backends LIST] [--check [--by-placement]]
                 one commit's fresh runs side by side: verdicts that flip, max/min
  gate [--against REF] [--baseline DIR] [--icount-only] | gate --update-baseline
  kit build [--out DIR] | kit import TARBALL [--host NAME]
                 the many-core run: binaries + libraries + run.sh for a machine
                 without packages; its tarball back into one run folder per P
A stage run alone (bench ... report) adds to the current run folder: the
newest results/<UTC>-<host> of this commit and host, or --run DIR; a new one
if there is none.
Environment: GOC_FAIL_STAGE=<stage>[,<stage>] makes those stages fail (tests).
available here: $(declare -F | awk '{print $3}' | sed -n 's/^stage_//p' | tr '\n' ' ')
USAGE
}

# Positional arguments of a stage (RUN folders), without options and the
# values of the options that take one.
goc_positional() {
  local prev="" a
  for a in "$@"; do
    case "$prev" in --filter|--backends|--presets|-R|-L|-E|-LE|--rounds|--run|--out|--db) prev=""; continue ;; esac
    case "$a" in -*) ;; *) echo "$a" ;; esac
    prev=$a
  done
}

# Runs the whole job (or the resume list) in the run folder $GOC_RESULTS.
run_job() {
  local quick=0 a s
  for a in "$@"; do [ "$a" = --quick ] && quick=1; done
  /usr/bin/python3 harness/stages.py plan "$GOC_RESULTS" "$(goc_commit)" "$(goc_host)" \
    "${ALL_STAGES[@]}" -- "$@"
  for s in "${ALL_STAGES[@]}"; do
    declare -F "stage_$s" >/dev/null || continue
    if [ "$s" = test ]; then
      # The whole job checks the release build only; the sanitizer
      # suites are `./run_all.sh test` (CI). --quick skips the tests.
      if [ $quick = 1 ]; then
        goc_log "stage test: skipped with --quick (run ./run_all.sh test)"
        goc_stage_record test skipped 0 0 "$@"
      else
        goc_stage test stage_test --presets release
      fi
      continue
    fi
    goc_stage "$s" "stage_$s" "$@"
  done
}

run_resume() {
  local lines=() line s did=" "
  mapfile -t lines < <(/usr/bin/python3 harness/stages.py resume "$GOC_RESULTS")
  if [ ${#lines[@]} -eq 0 ]; then
    goc_log "resume: every stage of $GOC_RESULTS is ok; nothing to rerun"
    return 0
  fi
  goc_log "resume: $GOC_RESULTS: rerunning $(printf '%s\n' "${lines[@]}" | awk '{print $1}' | paste -sd' ')"
  for line in "${lines[@]}"; do
    eval "set -- $line"  # stages.py quoted each word (shlex.quote)
    s=$1; shift
    declare -F "stage_$s" >/dev/null || { goc_log "resume: no stage $s here; skipped"; continue; }
    goc_stage "$s" "stage_$s" "$@"
    did+="$s "
  done
  # the figures and the report are drawn from every stage's files: redraw them
  for s in plots report; do
    case "$did" in *" $s "*) continue ;; esac
    declare -F "stage_$s" >/dev/null || continue
    case " ${ALL_STAGES[*]} " in *" $s "*) goc_stage "$s" "stage_$s" ;; esac
  done
}

main() {
  local stage="${1:-all}"
  [ $# -gt 0 ] && shift
  # --run DIR anywhere: the run folder to add to
  local args=() run_dir="" a
  while [ $# -gt 0 ]; do
    case "$1" in
      --run) [ $# -ge 2 ] || goc_die "--run needs a folder"; run_dir=$2; shift ;;
      *) args+=("$1") ;;
    esac
    shift
  done
  set -- ${args[@]+"${args[@]}"}
  if [ "$stage" = --run ]; then
    # ./run_all.sh --run DIR [STAGE|--resume ...]
    run_dir=${1:-}; [ -n "$run_dir" ] || goc_die "--run needs a folder"; shift
    stage=${1:-all}; [ $# -gt 0 ] && shift
  fi
  case "$stage" in
    -h|--help|help) usage; return 0 ;;
    all|--quick)
      [ "$stage" = --quick ] && set -- --quick "$@"
      goc_run_start
      # a new results folder for every stage of this run (or --run DIR)
      if [ -n "$run_dir" ]; then goc_use_run "$run_dir"; else goc_results_dir >/dev/null; fi
      goc_log "run folder: $GOC_RESULTS"
      run_job "$@"
      goc_run_summary ;;
    --resume)
      goc_run_start
      if [ -n "$run_dir" ]; then
        [ -d "$run_dir" ] || goc_die "--resume: no folder $run_dir"
        goc_use_run "$run_dir"
      else
        run_dir=$(goc_current_run) || goc_die "--resume: no run folder of commit $(goc_commit) on $(goc_host) under $GOC_RESULTS_ROOT (name one with --run DIR)"
        goc_use_run "$run_dir"
      fi
      run_resume
      goc_run_summary ;;
    *)
      if ! declare -F "stage_$stage" >/dev/null; then
        echo "run_all.sh: unknown stage '$stage'" >&2; usage >&2; return 2
      fi
      goc_run_start
      local pos=()
      mapfile -t pos < <(goc_positional "$@")
      case "$RUN_STAGES" in
        *" $stage "*)
          if [ "$stage" = report ] && [ ${#pos[@]} -gt 1 ]; then
            :  # a comparison of several runs: no run folder of its own
          elif [ ${#pos[@]} -gt 0 ] && { [ "$stage" = report ] || [ "$stage" = plots ]; }; then
            :  # an explicitly named run is redrawn, not recorded into
          elif [ -n "$run_dir" ]; then
            goc_use_run "$run_dir"
          elif run_dir=$(goc_current_run); then
            goc_use_run "$run_dir"
          elif [ "$stage" = report ] || [ "$stage" = plots ]; then
            :  # nothing of this commit: goc_pick_run falls back to results/latest
          else
            goc_results_dir >/dev/null
          fi ;;
      esac
      [ -z "${GOC_RESULTS:-}" ] || goc_log "run folder: $GOC_RESULTS"
      goc_stage "$stage" "stage_$stage" "$@"
      goc_run_summary ;;
  esac
}
main "$@"
