# stage pitfalls: the article's pitfalls table, reproduced per backend
# (TESTING.md (e)): goroutine leaks, race conditions, deadlocks, memory
# leaks, each as a buggy program whose detector must fire and fixed programs
# that must run clean.
#   ./run_all.sh pitfalls [--backends "pthread coro"] [--quick]
# Builds the pitfall programs in the release, tsan, tsan-precise (racy counter
# only) and asan presets (each detector lives in one of them), runs races/pitfalls/check_pitfalls.py and
# writes into the run folder:
#   pitfalls.md    the table: problem, buggy program, detector, per backend
#                  the key lines the detector printed, fix, clean result
#                  (also appended to summary.md)
#   pitfalls.json  every run: exit status, fired, key lines, fixed runs
# Fails if a detector did not fire on a buggy program or a fixed program was
# not clean.

stage_pitfalls() {
  local backends=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --backends) backends=$2; shift ;;
      --quick) ;;
      *) echo "pitfalls: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  local p sets=()
  for p in release tsan tsan-precise asan; do
    goc_log "pitfalls: build $p"
    goc_build "$p" pitfalls_all || return 1
    sets+=(--set "$p=$GOC_ROOT/build/$p/races/pitfalls/bin")
  done
  local out args=() rc=0
  out=$(goc_results_dir)
  for p in $backends; do args+=(--backend "$p"); done
  goc_log "pitfalls: running (results in $out/pitfalls.md)"
  /usr/bin/python3 races/pitfalls/check_pitfalls.py "${sets[@]}" "${args[@]}" --check \
      --json "$out/pitfalls.json" --md "$out/pitfalls.md" || rc=$?
  if [ -f "$out/pitfalls.md" ]; then
    { echo; cat "$out/pitfalls.md"; } >>"$out/summary.md"
  fi
  return $rc
}
