# stage report: summary.md for a results folder (harness/summary.py).
#   ./run_all.sh report [RUN]      RUN defaults to this run's folder
#                                  (./run_all.sh), else results/latest
# Reads only the run folder; says in summary.md which files are missing.

# goc_pick_run ARGS...: the run folder named by the first non-option
# argument, else $GOC_RESULTS (set by ./run_all.sh for the whole run), else
# results/latest. Prints it; fails with a message when it is not a folder.
goc_pick_run() {
  local run="" a
  for a in "$@"; do
    case "$a" in -*) ;; *) [ -z "$run" ] && run=$a ;; esac
  done
  # options that take a value (--filter RE, --backends LIST) must not count as RUN
  local prev=""
  for a in "$@"; do
    case "$prev" in --filter|--backends|--presets|-R) [ "$run" = "$a" ] && run="" ;; esac
    prev=$a
  done
  [ -n "$run" ] || run=${GOC_RESULTS:-$GOC_ROOT/results/latest}
  if [ ! -d "$run" ]; then
    echo "no results folder '$run' (run ./run_all.sh bench first, or name one: results/<UTC>-<host>)" >&2
    return 2
  fi
  (cd "$run" && pwd -P)
}

stage_report() {
  local run
  run=$(goc_pick_run "$@") || return 2
  /usr/bin/python3 "$GOC_ROOT/harness/summary.py" "$run" || return 1
  goc_log "report: wrote $run/summary.md"
  sed -n '1,60p' "$run/summary.md"
}
