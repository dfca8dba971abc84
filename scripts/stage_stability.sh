# stage stability: are the verdicts of one commit stable across fresh runs?
#   ./run_all.sh stability [RUN ...] [--backends LIST] [--filter RE] [--limit F] [--check] [--by-placement]
# With no RUN: every run folder under results/ of the current commit and host
# that has benchmark results (make each with `./run_all.sh bench --run
# results/NEW`: a stage run alone adds to the newest folder of the commit,
# whatever results/latest says). Prints, per
# benchmark and goc backend, each run's median, max/min and the verdict
# against the better Go of the same run; flags rows whose verdict flips or
# whose max/min exceeds the limit (default 1.3, issue 11).
# harness/stability.py documents it; --check makes a flagged row exit 1.

stage_stability() {
  local runs=() a
  while IFS= read -r a; do runs+=("$a"); done < <(goc_positional "$@")
  if [ ${#runs[@]} -eq 0 ]; then
    local c h d
    c=$(goc_commit); h=$(goc_host)
    for d in "$GOC_RESULTS_ROOT"/*-"$h"; do
      [ -f "$d/env.json" ] && ls "$d"/bench-*.json >/dev/null 2>&1 || continue
      grep -q "\"git_commit\": *\"$c" "$d/env.json" && runs+=("$d")
    done
    if [ ${#runs[@]} -eq 0 ]; then
      echo "stability: no run folder of commit ${c:0:12} on host $h with benchmark results under $GOC_RESULTS_ROOT; name RUN folders" >&2
      return 2
    fi
    set -- "${runs[@]}" "$@"
  fi
  /usr/bin/python3 "$GOC_ROOT/harness/stability.py" "$@"
}
