# stage history: the benchmark medians of every run over commits.
#   ./run_all.sh history [--filter RE] [--backends LIST] [--host HOST]
#                        [--min-effect F] [--alpha P]
# Imports every run folder under results/ (and results/published/) into
# results/history.sqlite (harness/history.py; the report stage adds each run
# as it goes), prints one table per benchmark (rows: commits in run order,
# columns: backends) with the change points the test found, and draws
# results/history.png. The change-point test is documented in
# harness/history.py and results/README.md.

stage_history() {
  local db="$GOC_RESULTS_ROOT/history.sqlite"
  /usr/bin/python3 "$GOC_ROOT/harness/history.py" --db "$db" import --all "$GOC_RESULTS_ROOT" || return 1
  /usr/bin/python3 "$GOC_ROOT/harness/history.py" --db "$db" show --plot "$GOC_RESULTS_ROOT/history.png" "$@"
}
