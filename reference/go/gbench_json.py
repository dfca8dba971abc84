#!/usr/bin/python3
"""Convert `go test -bench` output to Google Benchmark's JSON schema.

Input: the text output of `go test -bench ... [-count N]` (or of the test
binary with -test.bench), or its `-json` (test2json) form; read from the
files given, or stdin. Output: one Google Benchmark 1.7-style JSON document,
whose "context" carries "goc_backend" (go-p1, go-pN) like the goc binaries,
so that harness/bench_compare.py and gbench's own tools read both alike.

Names: "BenchmarkSPSC/cap:16-2" becomes "SPSC/cap:16/real_time" (the
GOMAXPROCS suffix is dropped; "/real_time" is appended because Go's ns/op is
wall-clock time, which is what UseRealTime() benchmarks report). Each
`-count` repetition becomes one "iteration" record; with several
repetitions, mean/median/stddev/cv aggregates follow as gbench writes them.
Extra metrics (b.ReportMetric: p50_ns, ...) become counters. A benchmark
that failed (--- FAIL) becomes a record with "error_occurred": true.

Exit status: 0; 1 when any benchmark failed or the run panicked; 2 on
usage errors or when the input holds no benchmark at all.
Standard library only.
"""
import argparse
import datetime
import json
import os
import re
import socket
import statistics
import sys

LINE = re.compile(r"^Benchmark(?P<name>\S+)\s+(?P<iters>\d+)\s+(?P<rest>.+)$")
FAIL = re.compile(r"^--- FAIL: Benchmark(?P<name>\S+)")
PAIR = re.compile(r"(?P<val>[-+0-9.eE]+)\s+(?P<unit>\S+)")


def read_text(paths):
    chunks = []
    srcs = paths or ["-"]
    for p in srcs:
        if p == "-":
            data = sys.stdin.read()
        else:
            with open(p, encoding="utf-8", errors="replace") as f:
                data = f.read()
        chunks.append(data)
    text = "".join(chunks)
    # test2json: one JSON event per line; benchmark result lines may be split
    # over several "output" events, so join them in order first.
    if text.lstrip().startswith("{"):
        out = []
        for ln in text.splitlines():
            ln = ln.strip()
            if not ln.startswith("{"):
                continue
            try:
                ev = json.loads(ln)
            except ValueError:
                continue
            if ev.get("Action") == "output":
                out.append(ev.get("Output", ""))
        text = "".join(out)
    return text


def clean_name(raw, procs):
    m = re.match(r"^(.*)-(\d+)$", raw)
    if m and (procs is None or int(m.group(2)) == procs):
        raw = m.group(1)
    return raw


def parse(text, procs):
    """Returns (runs, failures, panicked): runs = [(name, iters, ns_per_op,
    {metric: value})] in output order; failures = {name: message}."""
    runs, failures = [], {}
    panicked = False
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        ln = lines[i].rstrip()
        i += 1
        if ln.startswith("panic:") or ln.startswith("fatal error:"):
            panicked = True
        fm = FAIL.match(ln)
        if fm:
            name = clean_name(fm.group("name"), procs)
            msg = []
            while i < len(lines) and lines[i].startswith((" ", "\t")):
                msg.append(lines[i].strip())
                i += 1
            failures[name] = " ".join(msg) or "benchmark failed"
            continue
        m = LINE.match(ln)
        if not m:
            continue
        name = clean_name(m.group("name"), procs)
        metrics = {}
        ns = None
        for pm in PAIR.finditer(m.group("rest")):
            try:
                v = float(pm.group("val"))
            except ValueError:
                continue
            unit = pm.group("unit")
            if unit == "ns/op":
                ns = v
            elif unit in ("B/op", "allocs/op", "MB/s"):
                metrics[unit.replace("/", "_per_")] = v
            else:
                metrics[unit] = v
        if ns is None:
            continue
        runs.append((name, int(m.group("iters")), ns, metrics))
    return runs, failures, panicked


def mhz():
    try:
        with open("/proc/cpuinfo") as f:
            for ln in f:
                if ln.startswith("cpu MHz"):
                    return int(float(ln.split(":")[1]))
    except OSError:
        pass
    return 0


def build(runs, failures, backend, procs, suffix, extra_ctx):
    ctx = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host_name": socket.gethostname(),
        "executable": "go test -bench",
        "num_cpus": os.cpu_count() or 1,
        "mhz_per_cpu": mhz(),
        "cpu_scaling_enabled": False,
        "caches": [],
        "load_avg": list(os.getloadavg()) if hasattr(os, "getloadavg") else [],
        "library_build_type": "release",
        "goc_backend": backend,
        "gomaxprocs": str(procs) if procs is not None else "",
    }
    ctx.update(extra_ctx)
    order, by_name = [], {}
    for name, iters, ns, metrics in runs:
        if name not in by_name:
            by_name[name] = []
            order.append(name)
        by_name[name].append((iters, ns, metrics))
    for name in failures:
        if name not in by_name:
            by_name[name] = []
            order.append(name)
    out = []
    for fam, name in enumerate(order):
        full = name + suffix
        reps = by_name[name]
        base = {"name": full, "family_index": fam, "per_family_instance_index": 0,
                "run_name": full, "threads": 1}
        if name in failures:
            out.append(dict(base, run_type="iteration", repetitions=max(1, len(reps)),
                            repetition_index=0, error_occurred=True,
                            error_message=failures[name]))
            continue
        for k, (iters, ns, metrics) in enumerate(reps):
            rec = dict(base, run_type="iteration", repetitions=len(reps), repetition_index=k,
                       iterations=iters, real_time=ns, cpu_time=ns, time_unit="ns")
            rec.update(metrics)
            out.append(rec)
        if len(reps) > 1:
            times = [r[1] for r in reps]
            keys = sorted({k for r in reps for k in r[2]})
            mean = statistics.fmean(times)
            sd = statistics.stdev(times)
            aggs = {"mean": (mean, {k: statistics.fmean([r[2].get(k, 0) for r in reps]) for k in keys}),
                    "median": (statistics.median(times),
                               {k: statistics.median([r[2].get(k, 0) for r in reps]) for k in keys}),
                    "stddev": (sd, {k: statistics.stdev([r[2].get(k, 0) for r in reps]) for k in keys}),
                    "cv": (sd / mean if mean else 0.0, {})}
            for agg, (t, ctrs) in aggs.items():
                rec = dict(base, name=full + "_" + agg, run_type="aggregate",
                           repetitions=len(reps), aggregate_name=agg,
                           aggregate_unit="percentage" if agg == "cv" else "time",
                           iterations=len(reps), real_time=t, cpu_time=t, time_unit="ns")
                rec.update(ctrs)
                out.append(rec)
    return {"context": ctx, "benchmarks": out}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="*", help="go test output files (default: stdin)")
    ap.add_argument("--backend", default="go", help='backend name for the context ("go-p1", "go-pN")')
    ap.add_argument("--procs", type=int, default=None,
                    help="GOMAXPROCS of the run (strips exactly that -N suffix)")
    ap.add_argument("--no-real-time-suffix", action="store_true",
                    help='do not append "/real_time" to names')
    ap.add_argument("--context", action="append", default=[], metavar="KEY=VALUE",
                    help="extra context entries")
    ap.add_argument("-o", "--output", default="-", help="output file (default: stdout)")
    a = ap.parse_args(argv)
    extra = {}
    for kv in a.context:
        if "=" not in kv:
            ap.error("--context wants KEY=VALUE, got %r" % kv)
        k, v = kv.split("=", 1)
        extra[k] = v
    try:
        text = read_text(a.inputs)
    except OSError as e:
        print("gbench_json.py: %s" % e, file=sys.stderr)
        return 2
    runs, failures, panicked = parse(text, a.procs)
    if not runs and not failures:
        print("gbench_json.py: no benchmark results in the input", file=sys.stderr)
        return 2
    doc = build(runs, failures, a.backend, a.procs, "" if a.no_real_time_suffix else "/real_time", extra)
    data = json.dumps(doc, indent=2) + "\n"
    if a.output == "-":
        sys.stdout.write(data)
    else:
        with open(a.output, "w") as f:
            f.write(data)
    for name, msg in failures.items():
        print("gbench_json.py: %s failed: %s" % (name, msg), file=sys.stderr)
    if panicked:
        print("gbench_json.py: the Go run panicked", file=sys.stderr)
    return 1 if failures or panicked else 0


if __name__ == "__main__":
    sys.exit(main())
