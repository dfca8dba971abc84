#!/usr/bin/env bash
# pool_placement.sh: the worker pool's GOC_PROCS=2 / GOC_PROCS=1 throughput
# ratio, round by round, next to where the VM's two vCPUs sat at the time.
#   scripts/pool_placement.sh [ROUNDS] [BUILD_DIR]
# Each round probes the cross-core round trip (harness/floors.py probe:
# BarePingPong of micro-pthread), runs ScalingWorkerPool/workers:16 in
# scaling-coro at GOC_PROCS=1 and =2 (3 repetitions, the median), and Go's
# twin at GOMAXPROCS=1 and =2 when build/go-scaling/scaling.test exists
# (`./run_all.sh scaling` builds it), then probes again. A round whose two probes are within
# floors.PLACEMENT_LIMIT of each other is assigned to that placement; one
# whose vCPUs moved during it is shown but judged in no placement. Prints a
# row per round and, per placement, the median ratio and its range: issue
# 11's 2-core target (>= 1.8x) depends on it (coro README, "Not done yet").
# ROUNDS defaults to 6, BUILD_DIR to build/release; POOL_PLACEMENT_GO names
# Go's test binary (empty: no Go).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-6}
build=${2:-$root/build/release}
case "$rounds" in ''|*[!0-9]*|0) echo "pool_placement: ROUNDS wants a positive integer" >&2; exit 2 ;; esac
probe=$build/harness/micro-pthread
pool=$build/harness/scaling-coro
gotest=${POOL_PLACEMENT_GO-$root/build/go-scaling/scaling.test}
for b in "$probe" "$pool"; do
  [ -x "$b" ] || { echo "pool_placement: $b is not built (cmake --build $build)" >&2; exit 2; }
done
[ -z "$gotest" ] || [ -x "$gotest" ] || gotest=""
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
filter='ScalingWorkerPool/workers:16/'
for ((r = 1; r <= rounds; r++)); do
  /usr/bin/python3 "$root/harness/floors.py" probe "$probe" pthread before "$tmp/probes.json" "$r" >/dev/null
  for p in 1 2; do
    GOC_PROCS=$p "$pool" --benchmark_filter="$filter" --benchmark_repetitions=3 \
      --benchmark_format=json >"$tmp/coro-p$p.$r.json" 2>/dev/null
    if [ -n "$gotest" ]; then
      (cd "$(dirname "$gotest")" && GOMAXPROCS=$p ./scaling.test -test.run '^$' \
        -test.bench 'ScalingWorkerPool/workers:16$' -test.benchtime 10000x -test.count 3) \
        >"$tmp/go-p$p.$r.txt" 2>&1
    fi
  done
  /usr/bin/python3 "$root/harness/floors.py" probe "$probe" pthread after "$tmp/probes.json" "$r" >/dev/null
done
/usr/bin/python3 - "$tmp" "$rounds" "$root/harness" <<'PY'
import json, re, statistics, sys
tmp, rounds = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, sys.argv[3])
import floors  # noqa: E402

def gb(path):
    """Median ns/op of the file's benchmarks (one here)."""
    return floors.gbench_median_ns(json.load(open(path)))

def go(path):
    """Median ns/op of Go's runs (no -N suffix at GOMAXPROCS=1)."""
    try:
        ns = re.findall(r"ScalingWorkerPool/workers:16(?:-\d+)?\s+\d+\s+([\d.]+) ns/op", open(path).read())
    except OSError:
        return None
    return statistics.median(float(v) for v in ns) if ns else None

probes = {(x.get("round"), x.get("when")): x["ns"] for x in floors.load_probes_file(f"{tmp}/probes.json")}
rows = []
for r in range(1, rounds + 1):
    a, b = probes.get((r, "before")), probes.get((r, "after"))
    c1, c2 = gb(f"{tmp}/coro-p1.{r}.json"), gb(f"{tmp}/coro-p2.{r}.json")
    g1, g2 = go(f"{tmp}/go-p1.{r}.txt"), go(f"{tmp}/go-p2.{r}.txt")
    if None in (a, b, c1, c2):
        sys.exit(f"pool_placement: round {r} has no result (a benchmark failed)")
    steady = max(a, b) / min(a, b) <= floors.PLACEMENT_LIMIT
    rows.append(dict(r=r, a=a, b=b, rt=(a + b) / 2 if steady else None,
                     coro=c1 / c2, go=(g1 / g2) if g1 and g2 else None, c1=c1, c2=c2, g1=g1, g2=g2))

print("| round | round trip before -> after (ns) | coro ns/job P=1 -> P=2 | coro P=2 / P=1 "
      "| Go ns/job P=1 -> P=2 | Go P=2 / P=1 |")
print("|---:|---|---|---:|---|---:|")
for x in rows:
    print("| %d | %.0f -> %.0f%s | %.0f -> %.0f | %.2fx | %s | %s |" % (
        x["r"], x["a"], x["b"], "" if x["rt"] else " (moved)", x["c1"], x["c2"], x["coro"],
        "%.0f -> %.0f" % (x["g1"], x["g2"]) if x["go"] else "-",
        "%.2fx" % x["go"] if x["go"] else "-"))

# Placements: steady rounds sorted by round trip, a new group whenever one is
# more than PLACEMENT_LIMIT above its group's fastest (floors.placement_groups'
# rule, on rounds instead of runs).
steady = sorted((x for x in rows if x["rt"]), key=lambda x: x["rt"])
groups = []
for x in steady:
    if groups and x["rt"] <= groups[-1][0]["rt"] * floors.PLACEMENT_LIMIT:
        groups[-1].append(x)
    else:
        groups.append([x])
print()
for g in groups:
    rts = [x["rt"] for x in g]
    co = [x["coro"] for x in g]
    gos = [x["go"] for x in g if x["go"]]
    print("placement %.0f-%.0f ns (%d round(s)): coro %.2fx (%.2f-%.2f)%s" % (
        min(rts), max(rts), len(g), statistics.median(co), min(co), max(co),
        ", Go %.2fx (%.2f-%.2f)" % (statistics.median(gos), min(gos), max(gos)) if gos else ""))
moved = sum(1 for x in rows if not x["rt"])
if moved:
    print("%d round(s) saw the vCPUs move: in no placement" % moved)
PY
