# stage plots: the figures of a results folder (plots/plot.py).
#   ./run_all.sh plots [RUN]       RUN defaults to this run's folder
#                                  (./run_all.sh), else results/latest
# Draws RUN/plots/*.png from the files of RUN only (any earlier run can be
# redrawn); inputs that are absent are reported and their figures skipped.
# Needs /usr/bin/python3 with python3-matplotlib (Agg backend, no display).

stage_plots() {
  declare -F goc_pick_run >/dev/null || source "$GOC_ROOT/scripts/stage_report.sh"
  local run
  run=$(goc_pick_run "$@") || return 2
  MPLBACKEND=Agg /usr/bin/python3 "$GOC_ROOT/plots/plot.py" "$run" || return 1
  goc_log "plots: figures in $run/plots/"
}
