#!/usr/bin/env bash
# ab_bins.sh: the same benchmark binary from two builds, side by side.
#   scripts/ab_bins.sh OLD_DIR NEW_DIR BINARY [ROUNDS] [-- GBENCH_ARGS...]
# Runs OLD_DIR/BINARY and NEW_DIR/BINARY alternately ROUNDS times (default
# 5), each run one repetition of every benchmark it selects, and prints per
# benchmark the median ns/op of each and new/old (median of the per-round
# ratios, with their min-max). For a scheduler or channel change measured on a
# noisy machine: both builds see the same drift. Environment (GOC_PROCS,
# taskset by the caller) applies to both. Example:
#   GOC_PROCS=2 scripts/ab_bins.sh /tmp/old build/release/harness micro-coro 5 \
#       -- --benchmark_filter='MPMC' --benchmark_min_time=0.2
set -euo pipefail
[ $# -ge 3 ] || { sed -n 2,12p "$0" >&2; exit 2; }
old=$1 new=$2 bin=$3 rounds=5
shift 3
if [ $# -gt 0 ] && [ "$1" != "--" ]; then rounds=$1; shift; fi
[ "${1:-}" = "--" ] && shift
case "$rounds" in ''|*[!0-9]*|0) echo "ab_bins: ROUNDS wants a positive integer" >&2; exit 2 ;; esac
for d in "$old" "$new"; do
  [ -x "$d/$bin" ] || { echo "ab_bins: $d/$bin is not an executable" >&2; exit 2; }
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for ((r = 1; r <= rounds; r++)); do
  for side in old new; do
    d=$old; [ $side = new ] && d=$new
    "$d/$bin" --benchmark_format=json "$@" >"$tmp/$side.$r.json" 2>/dev/null ||
      { echo "ab_bins: $d/$bin failed in round $r" >&2; exit 1; }
  done
done
/usr/bin/python3 - "$tmp" "$rounds" "$(dirname "$0")/../harness" <<'PY'
import json, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, sys.argv[3])
from floors import UNIT_NS as ns  # noqa: E402
runs = {}
for side in ("old", "new"):
    for r in range(1, rounds + 1):
        for b in json.load(open(f"{tmp}/{side}.{r}.json"))["benchmarks"]:
            if b.get("run_type") == "aggregate" or "error_message" in b:
                continue
            t = b["real_time"] * ns[b.get("time_unit", "ns")]
            runs.setdefault(b["name"], {}).setdefault(side, {})[r] = t
print(f"{'benchmark':44s} {'old ns':>10s} {'new ns':>10s} {'new/old':>8s}  per-round range")
for name, d in runs.items():
    if "old" not in d or "new" not in d:
        continue
    rs = [d["new"][r] / d["old"][r] for r in d["new"] if r in d["old"]]
    print(f"{name:44s} {statistics.median(d['old'].values()):10.1f} {statistics.median(d['new'].values()):10.1f} "
          f"{statistics.median(rs):8.2f}  {min(rs):.2f}-{max(rs):.2f}")
PY
