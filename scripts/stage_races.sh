# stage races: the race / no-race happens-before suite (TESTING.md (b)) in
# both TSan builds, every backend (and the busted negative control).
#   ./run_all.sh races [--backends "pthread coro"] [--quick]
# Builds the `tsan` (natural) and `tsan-precise` presets, runs
# races/run_races.py once over both, and writes into the run folder:
#   races.json  one record per case x backend x build: case, row, mode,
#               expected, observed, first report line, required, pass
#   races.md    the table (also appended to summary.md)
# Fails if a required outcome is not met (precise: every case; natural:
# every N case; busted: every no-race channel case must be caught).

stage_races() {
  local backends=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --backends) backends=$2; shift ;;
      --quick) ;;  # one size only
      *) echo "races: unknown option $1" >&2; return 2 ;;
    esac
    shift
  done
  local p
  for p in tsan tsan-precise; do
    goc_log "races: build $p"
    goc_build "$p" races_all || return 1
  done
  local out args=()
  out=$(goc_results_dir)
  for p in $backends; do args+=(--backend "$p"); done
  goc_log "races: running the suite (results in $out/races.json)"
  local rc=0
  /usr/bin/python3 races/run_races.py \
      --set natural="$GOC_ROOT/build/tsan/races/bin" \
      --set precise="$GOC_ROOT/build/tsan-precise/races/bin" \
      "${args[@]}" --check --quiet -j "$GOC_JOBS" \
      --json "$out/races.json" --md "$out/races.md" || rc=$?
  if [ -f "$out/races.md" ]; then
    { echo; cat "$out/races.md"; } >>"$out/summary.md"
  fi
  return $rc
}
