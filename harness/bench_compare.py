#!/usr/bin/python3
"""Aggregate Google Benchmark JSON files into a per-benchmark comparison.

usage: bench_compare.py FILE.json... [--md OUT.md] [--json OUT.json]
                        [--order b1,b2,...] [--title TEXT]

Each file is one run of one backend (goc binaries and the converted Go runs
alike); its backend is context.goc_backend. Every "iteration" record counts
as one sample (the repetitions of one file and the rounds of several files
pool together); aggregates in the files are ignored and recomputed. For each
benchmark and backend: median, min and max of real_time (ns per op) and
the number of samples; then the ratio of the median to Go's: against go-p1,
go-pN, and the better (faster) of the two. A ratio above 1 means slower
than Go. Where a backend "X" and its adapter build "X-vtbl" both ran, a
second table gives the dispatch cost (vtbl median - direct median).
Names are compared without the "/real_time" suffix.

Prints the table (markdown) on stdout; writes --md and --json when given.
Exit status 1 when some record reports an error (self-check failed), 2 when
no file could be read. Standard library only.
"""
import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from floors import UNIT_NS, floor_lines, placement_lines  # noqa: E402  (channel rows over the bare floors)

GO_BACKENDS = ("go-p1", "go-pN")
LAT_KEYS = ("p50_ns", "p99_ns", "p99.9_ns")
CPU_KEYS = ("cpu_ns", "sys_ns")  # process CPU time per op (gbench_shim.cc, reference/go)


def norm(name):
    return name[: -len("/real_time")] if name.endswith("/real_time") else name


def load(paths):
    """samples[bench][backend] = [ns...]; counters[bench][backend][key] = [v...];
    errors[bench][backend] = message; order = benchmark order."""
    samples, counters, errors = {}, {}, {}
    order, backends = [], []
    go_order = []
    rank = {}  # (suite, name) -> (family_index, instance index): registration order
    suites = []  # suite order of first appearance (context.goc_suite, default micro)
    readable = 0
    for p in paths:
        try:
            with open(p) as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print("bench_compare.py: skipping %s: %s" % (p, e), file=sys.stderr)
            continue
        readable += 1
        ctx = doc.get("context", {})
        backend = ctx.get("goc_backend") or os.path.splitext(os.path.basename(p))[0]
        suite = ctx.get("goc_suite") or "micro"
        if suite not in suites:
            suites.append(suite)
        if backend not in backends:
            backends.append(backend)
        for r in doc.get("benchmarks", []):
            if r.get("run_type", "iteration") != "iteration":
                continue
            name = (suite, norm(r.get("run_name") or r.get("name", "?")))
            target = go_order if backend.startswith("go") else order
            if name not in order and name not in target:
                target.append(name)
            if not backend.startswith("go") and "family_index" in r:
                key = (r["family_index"], r.get("per_family_instance_index", 0))
                rank[name] = min(rank.get(name, key), key)
            if r.get("error_occurred"):
                errors.setdefault(name, {})[backend] = r.get("error_message", "error")
                continue
            if "real_time" not in r:
                continue
            ns = float(r["real_time"]) * UNIT_NS.get(r.get("time_unit", "ns"), 1.0)
            samples.setdefault(name, {}).setdefault(backend, []).append(ns)
            for k in LAT_KEYS + CPU_KEYS:
                if k in r:
                    counters.setdefault(name, {}).setdefault(backend, {}).setdefault(k, []).append(float(r[k]))
    # registration order of the C binaries (files written with random
    # interleaving list records shuffled), then what only Go ran
    order.sort(key=lambda n: (suites.index(n[0]), rank.get(n, (1 << 30, 0))))
    order += sorted((n for n in go_order if n not in order), key=lambda n: suites.index(n[0]))
    return samples, counters, errors, order, backends, readable


def fmt_ns(ns):
    if ns is None:
        return "-"
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e4:
        return "%.1f us" % (ns / 1e3)
    if ns >= 1e3:
        return "%.2f us" % (ns / 1e3)
    if ns >= 100:
        return "%.0f ns" % ns
    return "%.1f ns" % ns


def fmt_ratio(r):
    return "-" if r is None else "%.2fx" % r


def aggregate(samples, counters, errors, order, backends):
    rows = []
    for name in order:
        per = samples.get(name, {})
        med = {b: statistics.median(v) for b, v in per.items() if v}
        go = [med[g] for g in GO_BACKENDS if g in med]
        best_go = min(go) if go else None
        for b in backends:
            if b not in per and b not in errors.get(name, {}):
                continue
            row = {"suite": name[0], "benchmark": name[1], "backend": b}
            if b in errors.get(name, {}):
                row["error"] = errors[name][b]
            v = per.get(b, [])
            if v:
                m = med[b]
                row.update(median_ns=m, min_ns=min(v), max_ns=max(v), n=len(v))
                for g in GO_BACKENDS:
                    row["ratio_" + g] = m / med[g] if g in med and med[g] > 0 else None
                row["ratio_best_go"] = m / best_go if best_go else None
                ctr = counters.get(name, {}).get(b) or {}
                lat = {k: statistics.median(x) for k, x in ctr.items() if k in LAT_KEYS}
                if lat:
                    row["latency_ns"] = lat
                if ctr.get("cpu_ns"):
                    row["cpu_ns"] = statistics.median(ctr["cpu_ns"])
            rows.append(row)
    return rows


def dispatch_rows(rows):
    by = {((r["suite"], r["benchmark"]), r["backend"]): r for r in rows if "median_ns" in r}
    out = []
    for (bench, b), r in by.items():
        if b.endswith("-vtbl") and (bench, b[: -len("-vtbl")]) in by:
            d = by[(bench, b[: -len("-vtbl")])]
            out.append({"suite": bench[0], "benchmark": bench[1], "backend": d["backend"],
                        "direct_ns": d["median_ns"],
                        "vtbl_ns": r["median_ns"], "delta_ns": r["median_ns"] - d["median_ns"],
                        "delta_min_ns": r["min_ns"] - d["min_ns"],
                        "ratio": r["median_ns"] / d["median_ns"] if d["median_ns"] else None})
    return out


def markdown(rows, disp, title):
    out = []
    if title:
        out += ["## " + title, ""]
    out += ["Time per op (wall clock, median of all samples; min-max over samples). "
            "Ratio = median / Go's median: above 1 is slower than Go; "
            "best Go = the faster of go-p1 (GOMAXPROCS=1) and go-pN (all cores).", ""]
    prev = None
    suite = None
    for r in rows:
        if r["suite"] != suite:
            suite = r["suite"]
            out += ["", "### %s" % suite, ""]
            out.append("| benchmark | backend | median | min - max | n | vs go-p1 | vs go-pN | vs best Go |")
            out.append("|---|---|--:|--:|--:|--:|--:|--:|")
        name = r["benchmark"] if r["benchmark"] != prev else ""
        prev = r["benchmark"]
        if "median_ns" not in r:
            out.append("| %s | %s | ERROR: %s | | | | | |" % (name, r["backend"], r.get("error", "no data")))
            continue
        err = " (errors: %s)" % r["error"] if "error" in r else ""
        out.append("| %s | %s | %s%s | %s - %s | %d | %s | %s | %s |" % (
            name, r["backend"], fmt_ns(r["median_ns"]), err, fmt_ns(r["min_ns"]), fmt_ns(r["max_ns"]),
            r["n"], fmt_ratio(r.get("ratio_go-p1")), fmt_ratio(r.get("ratio_go-pN")),
            fmt_ratio(r.get("ratio_best_go"))))
    lat = [r for r in rows if r.get("latency_ns")]
    if lat:
        out += ["", "Latency benchmarks (medians over samples of each run's quantiles):", "",
                "| benchmark | backend | p50 | p99 | p99.9 |", "|---|---|--:|--:|--:|"]
        for r in lat:
            l = r["latency_ns"]
            out.append("| %s | %s | %s | %s | %s |" % (r["benchmark"], r["backend"],
                                                     fmt_ns(l.get("p50_ns")), fmt_ns(l.get("p99_ns")),
                                                     fmt_ns(l.get("p99.9_ns"))))
    cpu = [r for r in rows if r.get("cpu_ns") is not None and r.get("median_ns")]
    if cpu:
        out += ["", "CPU time per op (the whole process, user + system, getrusage; medians): "
                "cpu / wall is the number of cores kept busy, where spinning shows:", "",
                "| benchmark | backend | wall | cpu | cpu / wall |", "|---|---|--:|--:|--:|"]
        for r in cpu:
            out.append("| %s | %s | %s | %s | %.2f |" % (r["benchmark"], r["backend"], fmt_ns(r["median_ns"]),
                                                       fmt_ns(r["cpu_ns"]), r["cpu_ns"] / r["median_ns"]))
    med = {(r["suite"], r["benchmark"], r["backend"]): r["median_ns"] for r in rows if r.get("median_ns")}
    cpum = {(r["suite"], r["benchmark"], r["backend"]): r["cpu_ns"] for r in rows if r.get("cpu_ns")}
    for line in floor_lines(med, cpum, fmt_ratio) + placement_lines(med, fmt_ns, fmt_ratio):
        out += ["", line]
    if disp:
        out += ["", "Dispatch cost (same catalogue through a function-pointer table, harness/goc_vtbl.h):", "",
                "| benchmark | backend | direct | vtbl | vtbl - direct (medians) | (minima) | ratio |",
                "|---|---|--:|--:|--:|--:|--:|"]
        for d in disp:
            out.append("| %s | %s | %s | %s | %+.1f ns | %+.1f ns | %s |" % (
                d["benchmark"], d["backend"], fmt_ns(d["direct_ns"]), fmt_ns(d["vtbl_ns"]),
                d["delta_ns"], d["delta_min_ns"], fmt_ratio(d["ratio"])))
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--md")
    ap.add_argument("--json")
    ap.add_argument("--order", help="comma-separated backend order for the table")
    ap.add_argument("--title", default="")
    a = ap.parse_args(argv)
    samples, counters, errors, order, backends, readable = load(a.files)
    if not readable:
        print("bench_compare.py: no readable input", file=sys.stderr)
        return 2
    if a.order:
        want = [b for b in a.order.split(",") if b]
        backends = [b for b in want if b in backends] + [b for b in backends if b not in want]
    else:  # goc backends first, then Go
        backends = [b for b in backends if not b.startswith("go")] + \
                   [b for b in backends if b.startswith("go")]
    rows = aggregate(samples, counters, errors, order, backends)
    disp = dispatch_rows(rows)
    md = markdown(rows, disp, a.title)
    sys.stdout.write(md)
    if a.md:
        with open(a.md, "w") as f:
            f.write(md)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"backends": backends, "rows": rows, "dispatch": disp,
                       "files": [os.path.basename(p) for p in a.files]}, f, indent=2)
            f.write("\n")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
