# stage races: the race / no-race happens-before suite (TESTING.md (b)) and
# the ports of Go's own race tests (races/go/), in both TSan builds, every
# backend (and the busted negative control).
#   ./run_all.sh races [--backends "pthread coro"] [--quick] [--repeat N]
#                      [--go-runs N] [--no-go]
# Builds the `tsan` (natural) and `tsan-precise` presets and writes into the
# run folder:
#   races.json / races.md   R01-R34: one record per case x backend x build
#                           (case, row, mode, expected, observed, first report
#                           line, required, pass, runs, outcomes, stable)
#   go-verdicts.json        Go's own verdict per ported test, measured here
#                           (races/go/go_verdicts.py; reused while Go and the
#                           sources are unchanged)
#   race-go.json            the Go ports' records (as races.json)
#   race-parity.json / .md  per Go test: Go's verdict, each backend's verdict
#                           per build, stable or not; totals (schema in
#                           races/go/README.md)
# --repeat N runs every case N times (R rows default 1, Go ports default
# --go-runs, 10; --quick: 2) and reports each case whose outcome varies; a
# required case that varies fails the stage. Fails if a required outcome is
# not met (R rows: precise every case, natural every N case, busted every
# no-race channel case caught; Go ports: precise 100% agreement with Go and
# stable, natural every NoRace test clean).

stage_races() {
  local backends="" repeat="" go_runs=10 no_go=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --backends) backends=$2; shift ;;
      --quick) go_runs=2 ;;
      --repeat) repeat=$2; shift ;;
      --go-runs) go_runs=$2; shift ;;
      --no-go) no_go=1 ;;
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
  local sets=(--set natural="$GOC_ROOT/build/tsan/races/bin" --set precise="$GOC_ROOT/build/tsan-precise/races/bin")
  goc_log "races: R01-R34 x ${repeat:-1} run(s) (results in $out/races.json)"
  local rc=0
  /usr/bin/python3 races/run_races.py "${sets[@]}" --suite rows --repeat "${repeat:-1}" \
      "${args[@]}" --check --quiet -j "$GOC_JOBS" \
      --json "$out/races.json" --md "$out/races.md" || rc=$?
  if [ -f "$out/races.md" ]; then
    { echo; cat "$out/races.md"; } >>"$out/summary.md"
  fi
  [ $no_go = 1 ] && return $rc

  # Go's verdicts: measured once per Go version and sources (cached in
  # build/race-go, copied into the run folder)
  local cache="$GOC_ROOT/build/race-go/go-verdicts.json" gv="$out/go-verdicts.json"
  [ -f "$cache" ] && [ ! -f "$gv" ] && cp "$cache" "$gv"
  if command -v go >/dev/null; then
    goc_log "races: Go's own verdicts (go test -race, one test at a time)"
    (goc_bench_go_env; /usr/bin/python3 races/go/go_verdicts.py --out "$gv" \
         --work "$GOC_ROOT/build/race-go" -j "$GOC_JOBS") || rc=1
    [ -f "$gv" ] && cp "$gv" "$cache"
  else
    goc_log "races: no go toolchain: Go's verdicts not measured (the names' verdicts are used)"
  fi
  local runs=${repeat:-$go_runs}
  goc_log "races: Go's race tests, ported, x $runs run(s) (results in $out/race-parity.md)"
  /usr/bin/python3 races/run_races.py "${sets[@]}" --suite go --repeat "$runs" \
      "${args[@]}" --check --quiet -j "$GOC_JOBS" --json "$out/race-go.json" \
      $([ -f "$gv" ] && echo --go-verdicts "$gv") \
      --parity-json "$out/race-parity.json" --parity-md "$out/race-parity.md" || rc=$?
  if [ -f "$out/race-parity.json" ]; then
    { echo; /usr/bin/python3 races/race_parity.py --totals-md "$out/race-parity.json"; } >>"$out/summary.md"
  fi
  return $rc
}
