# stage report: summary.md and index.html of a results folder, or one
# comparison of several.
#   ./run_all.sh report [RUN] [--open]   RUN defaults to the current run (the
#                                        newest of this commit and host), else
#                                        results/latest
#   ./run_all.sh report RUN1 RUN2 ...    runs from several machines side by side
# One run: harness/summary.py writes RUN/summary.md (reads only the run
# folder; says which files are missing; a "Failed stages" section from
# RUN/stages.json), harness/history.py adds the run's medians to
# results/history.sqlite, harness/html_report.py writes RUN/index.html (every
# table and figure, trends from the history). --open prints index.html's path
# (and opens it where a desktop is there to open it).
# Several runs: harness/compare_runs.py writes results/compare-<UTC>/
# (summary.md, index.html, scaling.png): a column group per machine, each
# backend's ratio to Go on the same machine.

# goc_pick_run ARGS...: the run folder named by the first non-option
# argument, else $GOC_RESULTS (the run folder ./run_all.sh picked), else
# results/latest. Prints it; fails with a message when it is not a folder.
goc_pick_run() {
  local run
  run=$(goc_positional "$@" | head -1)
  [ -n "$run" ] || run=${GOC_RESULTS:-$GOC_RESULTS_ROOT/latest}
  if [ ! -d "$run" ]; then
    echo "no results folder '$run' (run ./run_all.sh bench first, or name one: results/<UTC>-<host>)" >&2
    return 2
  fi
  (cd "$run" && pwd -P)
}

stage_report() {
  local runs=() open=0 a
  for a in "$@"; do [ "$a" = --open ] && open=1; done
  mapfile -t runs < <(goc_positional "$@")
  if [ ${#runs[@]} -gt 1 ]; then
    local out
    out="$GOC_RESULTS_ROOT/compare-$(date -u +%Y%m%dT%H%M%SZ)"
    /usr/bin/python3 "$GOC_ROOT/harness/compare_runs.py" "${runs[@]}" --out "$out" || return 1
    goc_log "report: wrote $out/{summary.md,index.html}"
    [ $open -eq 0 ] || goc_report_open "$out/index.html"
    return 0
  fi
  local run rc=0
  run=$(goc_pick_run "$@") || return 2
  /usr/bin/python3 "$GOC_ROOT/harness/summary.py" --keep-published "$run" || return 1
  goc_log "report: wrote $run/summary.md"
  sed -n '1,60p' "$run/summary.md"
  local db="$GOC_RESULTS_ROOT/history.sqlite"
  /usr/bin/python3 "$GOC_ROOT/harness/history.py" --db "$db" import "$run" ||
    { rc=1; goc_log "report: could not add the run to $db"; }
  /usr/bin/python3 "$GOC_ROOT/harness/html_report.py" "$run" --history "$db" || return 1
  goc_log "report: wrote $run/index.html"
  [ $open -eq 0 ] || goc_report_open "$run/index.html"
  return $rc
}

# Prints the report's path (and file:// URL); opens it where a desktop can.
goc_report_open() {
  echo "$1"
  echo "file://$1"
  if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && command -v xdg-open >/dev/null; then
    xdg-open "$1" >/dev/null 2>&1 &
  fi
}
