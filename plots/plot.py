#!/usr/bin/python3
"""Figures for one results folder (./run_all.sh plots [RUN]).

usage: /usr/bin/python3 plots/plot.py RUN_DIR [--out DIR] (default RUN_DIR/plots)

Reads only the files of the run folder, through the loaders of
harness/summary.py (which documents them), and draws, when the data is there:
  bench-<suite>[-k].png   grouped bars per benchmark: median ns/op on a log
                          axis, min-max over the repetitions as error bars,
                          Go (go-p1, go-pN) as backends beside goc's
  latency.png             per-operation latency percentile curves (p50, p99,
                          p99.9) per benchmark and backend
  memory.png              RSS per parked task and spawn time against N
  scaling.png             throughput against producers / workers, coro per
                          GOC_PROCS, Go at GOMAXPROCS=1 and =cores
  hyperfine.png           pattern CLIs: mean wall time per run, +- stddev
  http.png                http_fanout under wrk: requests/s and p99 latency
                          against connections
Every figure's footer names the machine (env.json) and the commit. Missing
inputs are reported and skipped; exit status 0 unless RUN_DIR is not a
folder (2) or matplotlib is missing (2).
"""
import argparse
import math
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "harness"))
import summary as S  # noqa: E402  (the shared loaders)

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter
except ImportError:  # pragma: no cover
    plt = None

COLORS = {"pthread": "#1f77b4", "lockfree": "#ff7f0e", "coro": "#2ca02c", "coro-compact": "#9467bd",
          "pthread-vtbl": "#aec7e8", "lockfree-vtbl": "#ffbb78", "coro-vtbl": "#98df8a",
          "go-p1": "#7f7f7f", "go-pN": "#222222"}
CORO_P = ["#b5e3a8", "#74c476", "#31a354", "#006d2c", "#00441b"]
BARS_PER_FIG = 12


def color(b):
    if b in COLORS:
        return COLORS[b]
    if b.startswith("coro-p"):
        try:
            k = int(b[6:])
        except ValueError:
            k = 1
        return CORO_P[min(k - 1, len(CORO_P) - 1)]
    return None


def style(b):
    return {"linestyle": "--" if b.startswith("go") else "-", "marker": "o" if b.startswith("go") else "s"}


def ns_label(v, _pos=None):
    for unit, s in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if v >= s:
            return "%g %s" % (v / s, unit)
    return "%g ns" % v


def log_axis(axis, fmt=None):
    """Log scale with ticks at 1, 2, 5 x 10^k, labelled with units."""
    axis.axes.set_yscale("log") if axis is axis.axes.yaxis else axis.axes.set_xscale("log")
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    axis.set_minor_formatter(NullFormatter())
    axis.set_major_formatter(FuncFormatter(fmt or ns_label))


def finish(fig, foot, path, made):
    fig.text(0.005, 0.005, foot, fontsize=7, color="#555555", ha="left", va="bottom")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    made.append(path)


def plot_bench(run, out, foot, made, notes):
    data, order, backends = S.load_gbench(S.bench_files(run))
    if not order:
        notes.append("no bench-*.json: no benchmark bars")
        return
    suites = []
    for suite, _ in order:
        if suite not in suites:
            suites.append(suite)
    for suite in suites:
        names = [n for n in order if n[0] == suite]
        sb = [b for b in backends if any(b in data[n] for n in names)]
        chunks = [names[i:i + BARS_PER_FIG] for i in range(0, len(names), BARS_PER_FIG)]
        for ci, chunk in enumerate(chunks):
            fig, ax = plt.subplots(figsize=(max(8, 1.1 * len(chunk) + 2), 5.2))
            width = 0.8 / max(1, len(sb))
            for bi, b in enumerate(sb):
                xs, ys, lo, hi = [], [], [], []
                for i, n in enumerate(chunk):
                    e = data[n].get(b)
                    if not e or not e["ns"]:
                        continue
                    md, mn, mx = S.stats(e["ns"])
                    xs.append(i - 0.4 + width * (bi + 0.5))
                    ys.append(md)
                    lo.append(md - mn)
                    hi.append(mx - md)
                if xs:
                    ax.bar(xs, ys, width, label=b, color=color(b), yerr=[lo, hi], capsize=2,
                           error_kw={"elinewidth": 0.8, "ecolor": "#333333"},
                           hatch="//" if b.startswith("go") else None,
                           edgecolor="white" if not b.startswith("go") else "#dddddd", linewidth=0.3)
            ax.set_yscale("log")
            ax.yaxis.set_major_formatter(FuncFormatter(ns_label))
            ax.set_ylabel("time per operation (ns/op, log scale; lower is better)")
            ax.set_xticks(range(len(chunk)))
            ax.set_xticklabels([n for _, n in chunk], rotation=30, ha="right", fontsize=8)
            ax.set_xlabel("benchmark (bars: median over repetitions; whiskers: min-max)")
            title = "goc %s benchmarks vs Go" % (suite or "")
            if len(chunks) > 1:
                title += " (%d/%d)" % (ci + 1, len(chunks))
            ax.set_title(title)
            ax.grid(axis="y", which="major", alpha=0.3)
            ax.legend(ncol=min(len(sb), 8), fontsize=8, loc="upper left", bbox_to_anchor=(0, -0.28))
            fig.tight_layout(rect=(0, 0.03, 1, 1))
            name = "bench-%s%s.png" % (suite or "all", "-%d" % (ci + 1) if len(chunks) > 1 else "")
            finish(fig, foot, os.path.join(out, name), made)


def plot_latency(run, out, foot, made, notes):
    data, order, backends = S.load_gbench(S.bench_files(run))
    series = []
    for n in order:
        per = {b: e for b, e in data[n].items() if all(k in e["counters"] for k in S.LAT_KEYS)}
        if per:
            series.append((n, per))
    if not series:
        notes.append("no latency counters: no latency.png")
        return
    cols = min(3, len(series))
    rows = int(math.ceil(len(series) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(max(8.5, 5.2 * cols), 4.2 * rows + 0.8), squeeze=False)
    # x: percentile on a "number of nines" axis: p50 -> 0.3, p99 -> 2, p99.9 -> 3
    qs = [0.5, 0.99, 0.999]
    xs = [-math.log10(1 - q) for q in qs]
    for ax, (n, per) in zip(axes.flat, series):
        for b in sorted(per, key=S.backend_key):
            ys = [statistics.median(per[b]["counters"][k]) for k in S.LAT_KEYS]
            ax.plot(xs, ys, label=b, color=color(b), **style(b))
        log_axis(ax.yaxis)
        ax.set_xticks(xs)
        ax.set_xticklabels(["p50", "p99", "p99.9"])
        ax.set_xlabel("percentile (log scale of 1 - q)")
        ax.set_ylabel("latency per operation (ns, log)")
        ax.set_title("%s%s" % (n[1], " (%s)" % n[0] if n[0] not in ("", "micro") else ""), fontsize=10)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(series):]:
        ax.axis("off")
    fig.suptitle("Latency percentiles (medians over repetitions of each percentile)")
    fig.tight_layout(rect=(0, 0.03, 1, 0.96))
    finish(fig, foot, os.path.join(out, "latency.png"), made)


def plot_memory(run, out, foot, made, notes):
    mem = S.load_memory(run)
    pts = {}
    for b, r in mem:
        if r.get("skipped") or r.get("rss_per_task_bytes") is None or not r.get("tasks"):
            continue
        pts.setdefault(b, []).append((r["tasks"], r["rss_per_task_bytes"], r.get("spawn_ns_per_task")))
    if not pts:
        notes.append("no memory-*.json: no memory.png")
        return
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.6))
    for b in sorted(pts, key=S.backend_key):
        p = sorted(pts[b])
        a1.plot([x[0] for x in p], [x[1] / 1024 for x in p], label=b, color=color(b), **style(b))
        a2.plot([x[0] for x in p], [x[2] for x in p], label=b, color=color(b), **style(b))
        for x in p:
            a1.annotate("%.1f" % (x[1] / 1024), (x[0], x[1] / 1024), fontsize=7,
                        textcoords="offset points", xytext=(3, 3))
    for ax in (a1, a2):
        ax.set_xscale("log")
        ax.set_xlabel("parked tasks N (log)")
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=8)
    a1.set_ylim(bottom=0)
    a1.set_ylabel("resident memory per parked task (KiB)")
    a1.set_title("Memory per parked task (RSS delta / N)")
    log_axis(a2.yaxis)
    a2.set_ylabel("spawn time per task (log)")
    a2.set_title("Spawn time (N spawns / N)")
    fig.text(0.5, 0.035, "Thread backends stop at 10k tasks (OS threads); user memory only: a thread's "
             "kernel stack is not in RSS.", ha="center", fontsize=7)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    finish(fig, foot, os.path.join(out, "memory.png"), made)


def plot_scaling(run, out, foot, made, notes):
    sc = S.load_scaling(run)
    if not sc:
        notes.append("no scaling-*.json: no scaling.png")
        return
    bare = S.bare_pool_curve(sc)  # drawn as the pool panel's ceiling, not a panel
    fams = sorted(f for f in sc if f != S.BARE_POOL)
    if not fams:
        notes.append("only %s in scaling-*.json: no scaling.png" % S.BARE_POOL)
        return
    fig, axes = plt.subplots(1, len(fams), figsize=(6 * len(fams), 4.8), squeeze=False)
    for ax, fam in zip(axes.flat, fams):
        for b in sorted(sc[fam], key=S.backend_key):
            p = sc[fam][b]
            ns = [x[0] for x in p]
            md = [x[1] for x in p]
            err = [[x[1] - x[2] for x in p], [x[3] - x[1] for x in p]]
            ax.errorbar(ns, md, yerr=err, label=b, color=color(b), capsize=2, **style(b))
        if fam == S.POOL and bare:
            ax.plot([n for n, _ in bare], [m for _, m in bare], color="black", linestyle=":",
                    linewidth=1.2, label="bare threads (ceiling)")
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted({x[0] for p in sc[fam].values() for x in p}))
        ax.get_xaxis().set_major_formatter(FuncFormatter(lambda v, _p: "%d" % v))
        log_axis(ax.yaxis, lambda v, _p: S.fmt_rate(v))
        unit = "workers" if "Pool" in fam else "producers (and as many consumers)"
        ax.set_xlabel("%s (log2)" % unit)
        ax.set_ylabel("throughput (items/s, log; higher is better)")
        ax.set_title(fam)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7, ncol=2)
    fig.suptitle("Scaling (median over repetitions, whiskers min-max)")
    fig.tight_layout(rect=(0, 0.03, 1, 0.95))
    finish(fig, foot, os.path.join(out, "scaling.png"), made)


def plot_hyperfine(run, out, foot, made, notes):
    hf = S.load_hyperfine(run)
    if not hf:
        notes.append("no hyperfine-*.json: no hyperfine.png")
        return
    names = sorted(hf)
    cmds = sorted({c for rows in hf.values() for c, *_ in rows}, key=S.backend_key)
    fig, ax = plt.subplots(figsize=(max(8, 1.2 * len(names) + 2), 5))
    width = 0.8 / max(1, len(cmds))
    for ci, c in enumerate(cmds):
        xs, ys, es = [], [], []
        for i, n in enumerate(names):
            d = {r[0]: r for r in hf[n]}
            if c in d:
                xs.append(i - 0.4 + width * (ci + 0.5))
                ys.append(d[c][1] * 1e3)
                es.append(d[c][2] * 1e3)
        if xs:
            ax.bar(xs, ys, width, yerr=es, label=c, color=color(c), capsize=2,
                   hatch="//" if c.startswith("go") else None, error_kw={"elinewidth": 0.8})
    log_axis(ax.yaxis, lambda v, _p: "%g ms" % v)
    ax.set_ylabel("wall time per run (ms, log; lower is better)")
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=25, ha="right", fontsize=8)
    ax.set_xlabel("pattern CLI (hyperfine mean, whiskers ± stddev)")
    ax.set_title("Pattern programs end to end")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, ncol=min(len(cmds), 6))
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    finish(fig, foot, os.path.join(out, "hyperfine.png"), made)


def plot_http(run, out, foot, made, notes):
    recs = [r for r in S.load_wrk(run) if r.get("requests_per_sec") is not None]
    if not recs:
        notes.append("no http_fanout.json / wrk-*.txt: no http.png")
        return
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.6))
    bs = sorted({r["backend"] for r in recs}, key=S.backend_key)
    conns = sorted({r["connections"] for r in recs})
    width = 0.8 / max(1, len(bs))
    for bi, b in enumerate(bs):
        d = {r["connections"]: r for r in recs if r["backend"] == b}
        xs = [i - 0.4 + width * (bi + 0.5) for i, c in enumerate(conns) if c in d]
        a1.bar(xs, [d[c]["requests_per_sec"] for c in conns if c in d], width, label=b, color=color(b),
               hatch="//" if b.startswith("go") else None)
        p99 = [(c, d[c].get("p99_ms")) for c in conns if c in d and d[c].get("p99_ms") is not None]
        if p99:
            a2.plot([conns.index(c) for c, _ in p99], [v for _, v in p99], label=b, color=color(b), **style(b))
    for ax in (a1, a2):
        ax.set_xticks(range(len(conns)))
        ax.set_xticklabels([str(c) for c in conns])
        ax.set_xlabel("concurrent connections (wrk -c)")
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    a1.set_ylabel("requests per second (higher is better)")
    a1.set_title("http_fanout throughput")
    log_axis(a2.yaxis, lambda v, _p: "%g ms" % v)
    a2.set_ylabel("p99 latency (ms, log; lower is better)")
    a2.set_title("http_fanout p99 latency")
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    finish(fig, foot, os.path.join(out, "http.png"), made)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", help="results folder (e.g. results/latest)")
    ap.add_argument("--out", help="output folder (default RUN/plots)")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.run):
        print("plot.py: %s is not a results folder" % a.run, file=sys.stderr)
        return 2
    if plt is None:
        print("plot.py: matplotlib is missing (apt-get install python3-matplotlib)", file=sys.stderr)
        return 2
    out = a.out or os.path.join(a.run, "plots")
    os.makedirs(out, exist_ok=True)
    foot = S.footer(a.run)
    made, notes = [], []
    for fn in (plot_bench, plot_latency, plot_memory, plot_scaling, plot_hyperfine, plot_http):
        try:
            fn(a.run, out, foot, made, notes)
        except Exception as e:  # one broken input must not cost the other figures
            notes.append("%s failed: %s: %s" % (fn.__name__, type(e).__name__, e))
            plt.close("all")
    for n in notes:
        print("plot.py: " + n, file=sys.stderr)
    for m in made:
        print(m)
    return 0


if __name__ == "__main__":
    sys.exit(main())
