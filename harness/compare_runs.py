#!/usr/bin/python3
"""Runs from several machines side by side (./run_all.sh report RUN1 RUN2 ...).

usage: compare_runs.py RUN1 RUN2 ... --out DIR

Writes DIR/summary.md, DIR/index.html, DIR/scaling.png and DIR/runs.json:
  - the machines: CPU, cores, kernel, compilers, commit, date of each run
    (from its env.json: a run folder copied in from another machine describes
    itself);
  - per suite, one row per benchmark and one column group per machine: each
    goc backend's median divided by the better Go median (go-p1 / go-pN) *of
    the same machine*, the fastest backend of the machine in bold; then the
    same layout with the medians themselves;
  - scaling.png: one panel per scaling family and backend, one line per
    machine (coro at GOC_PROCS = that machine's cores is "coro-pN").
Benchmark numbers come from each run's JSON (harness/summary.py's loaders),
or from its summary.md when only that was kept (results/published/*).
"""
import argparse
import datetime
import json
import os
import re
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import summary as S  # noqa: E402
import history as H  # noqa: E402
import html_report as R  # noqa: E402


def machine_label(env, run):
    host = env.get("host") or os.path.basename(run).split("-", 1)[-1]
    return "%s (%s cores)" % (host, env.get("cores", "?"))


def medians(run):
    """{(suite, name): {backend: median ns}} and the benchmark order."""
    rows = H.from_json(run) or H.from_summary_md(run)
    out, order = {}, []
    for (suite, name, b), r in rows.items():
        if (suite, name) not in out:
            out[(suite, name)] = {}
            order.append((suite, name))
        out[(suite, name)][b] = r["median"]
    return out, order


def load_runs(paths):
    runs, labels = [], []
    for p in paths:
        env = S.load_env(p)
        lab = machine_label(env, p)
        if lab in labels:
            lab = "%s %s" % (lab, os.path.basename(os.path.realpath(p))[:16])
        labels.append(lab)
        med, order = medians(p)
        runs.append({"path": os.path.realpath(p), "env": env, "label": lab, "med": med, "order": order,
                     "scaling": S.load_scaling(p)})
    return runs


def ratio_tables(runs):
    """Per suite: (backends, [(name, [per machine: {backend: (ratio, median)}, best Go, fastest])])."""
    order = []
    for r in runs:
        for k in r["order"]:
            if k not in order:
                order.append(k)
    goc = []
    for r in runs:
        for per in r["med"].values():
            for b in per:
                if b not in S.GO and b not in goc:
                    goc.append(b)
    goc.sort(key=S.backend_key)
    suites = []
    for s, _ in order:
        if s not in suites:
            suites.append(s)
    out = []
    for suite in suites:
        rows = []
        for k in [k for k in order if k[0] == suite]:
            cells = []
            for r in runs:
                per = r["med"].get(k, {})
                go = [per[g] for g in S.GO if g in per]
                best_go = min(go) if go else None
                c = {b: (per[b] / best_go if best_go else None, per[b]) for b in goc if b in per}
                fastest = min(c, key=lambda b: c[b][1]) if c else None
                cells.append((c, best_go, fastest))
            rows.append((k[1], cells))
        out.append((suite, goc, rows))
    return out


def md(runs, tables, out_dir):
    o = ["# goc: %d runs side by side\n" % len(runs)]
    o.append("Each machine's numbers are its own run's; ratios are a backend's median divided by the "
             "better Go median (go-p1, go-pN) measured on the same machine, so they compare across "
             "machines where absolute times do not. **bold** = the machine's fastest goc backend. "
             "Written %s.\n" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    o.append("## Machines\n")
    rows = []
    for r in runs:
        e = r["env"]
        comp = e.get("compilers", {}) if isinstance(e.get("compilers"), dict) else {}
        rows.append([r["label"], e.get("cpu_model", "?"), str(e.get("cores", "?")), e.get("kernel", "?"),
                     "; ".join(str(v) for v in comp.values()) or "?",
                     str(e.get("git_commit", "?"))[:10] + ("+dirty" if e.get("git_dirty") is True else ""),
                     str(e.get("date_utc", "?"))[:16], os.path.relpath(r["path"], out_dir)])
    o.append(S.md_table(["machine", "CPU", "cores", "kernel", "compilers", "commit", "date", "run folder"], rows))
    for kind in ("ratio", "median"):
        o.append("\n## %s\n" % ("Ratio to the better Go on the same machine" if kind == "ratio"
                                 else "Medians (ns per operation)"))
        for suite, goc, rows in tables:
            o.append("### Suite %s%s\n" % (suite or "-", "" if kind == "ratio" else " (medians)"))
            hdr = ["benchmark"]
            for r in runs:
                hdr += ["%s: %s" % (r["label"], b) for b in goc] + ["%s: best Go" % r["label"]]
            lines = []
            for name, cells in rows:
                line = [name]
                for c, best_go, fastest in cells:
                    for b in goc:
                        if b not in c:
                            line.append("-")
                            continue
                        v = S.fmt_ratio(c[b][0]) if kind == "ratio" else S.fmt_ns(c[b][1])
                        line.append("**%s**" % v if b == fastest else v)
                    line.append(S.fmt_ns(best_go) if best_go else "-")
                lines.append(line)
            o.append(S.md_table(hdr, lines, ["---"] + ["---:"] * (len(hdr) - 1)))
            o.append("")
    o.append("## Scaling\n\n![scaling, one line per machine](scaling.png)\n")
    o.append("Files: [runs.json](runs.json).\n")
    return "\n".join(o) + "\n"


def html_tables(runs, tables):
    """The summary.md tables with a two-row header: a column group per machine."""
    out = []
    for kind in ("ratio", "median"):
        out.append("<h2 id=%s>%s</h2>" % (kind, "Ratio to the better Go on the same machine" if kind == "ratio"
                                          else "Medians (ns per operation)"))
        for suite, goc, rows in tables:
            out.append("<h3>Suite %s%s</h3>" % (R.esc(suite or "-"), "" if kind == "ratio" else " (medians)"))
            h = ["<div class=tw><table><thead><tr><th rowspan=2>benchmark</th>"]
            for r in runs:
                h.append("<th class=grp colspan=%d>%s</th>" % (len(goc) + 1, R.esc(r["label"])))
            h.append("</tr><tr>")
            for r in runs:
                for j, b in enumerate(goc + ["best Go"]):
                    h.append("<th class=\"r%s\">%s</th>" % (" g0" if j == 0 else "", R.esc(b)))
            h.append("</tr></thead><tbody>")
            for name, cells in rows:
                h.append("<tr><td>%s</td>" % R.esc(name))
                for c, best_go, fastest in cells:
                    for j, b in enumerate(goc):
                        g0 = " g0" if j == 0 else ""
                        if b not in c:
                            h.append("<td class=\"r%s\">-</td>" % g0)
                            continue
                        v = S.fmt_ratio(c[b][0]) if kind == "ratio" else S.fmt_ns(c[b][1])
                        h.append("<td class=\"r%s\">%s</td>" % (g0, "<strong>%s</strong>" % R.esc(v)
                                                                 if b == fastest else R.esc(v)))
                    h.append("<td class=r>%s</td>" % R.esc(S.fmt_ns(best_go) if best_go else "-"))
                h.append("</tr>")
            h.append("</tbody></table></div>")
            out.append("".join(h))
    return "\n".join(out)


def scaling_label(b, kmax):
    """coro-pK: K = 1 stays, the run's largest K (GOC_PROCS = its cores) is
    coro-pN, the ones between are left out of the cross-machine figure."""
    m = re.match(r"^coro-p(\d+)$", b)
    if m and int(m.group(1)) == kmax and kmax > 1:
        return "coro-pN"
    return b


def plot_scaling(runs, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sys.path.insert(0, os.path.join(HERE, "..", "plots"))
    from plot import log_axis  # noqa: E402
    from matplotlib.ticker import FuncFormatter
    per = {}  # family -> backend label -> machine -> points
    for r in runs:
        for fam, bs in r["scaling"].items():
            ks = [int(b[6:]) for b in bs if re.match(r"^coro-p\d+$", b)]
            for b, pts in bs.items():
                lab = scaling_label(b, max(ks) if ks else 0)
                if re.match(r"^coro-p\d+$", lab) and lab != "coro-p1":
                    continue  # intermediate GOC_PROCS: not comparable across machines
                per.setdefault(fam, {}).setdefault(lab, {})[r["label"]] = pts
    if not per:
        return False
    fams = sorted(per)
    bs = sorted({b for f in per.values() for b in f}, key=lambda b: S.backend_key(b if b != "coro-pN" else "coro-p99"))
    fig, axes = plt.subplots(len(fams), len(bs), figsize=(3.3 * len(bs) + 0.5, 3.0 * len(fams) + 0.8),
                             squeeze=False, sharey="row")
    styles = ["-o", "--s", ":^", "-.D", "-v", "--P"]
    for i, fam in enumerate(fams):
        for j, b in enumerate(bs):
            ax = axes[i][j]
            if not per[fam].get(b):  # ScalingBarePool: thread backends' binaries only
                ax.set_visible(False)
                continue
            for k, r in enumerate(runs):
                pts = per[fam].get(b, {}).get(r["label"])
                if not pts:
                    continue
                ax.plot([p[0] for p in pts], [p[1] for p in pts], styles[k % len(styles)], label=r["label"],
                        markersize=4)
            ax.set_xscale("log", base=2)
            ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: "%d" % v))
            log_axis(ax.yaxis, lambda v, _p: S.fmt_rate(v))
            ax.set_title("%s: %s" % (fam.replace("Scaling", ""), b), fontsize=9)
            ax.grid(alpha=0.3, which="both")
            ax.tick_params(labelsize=7)
            if i == len(fams) - 1:
                ax.set_xlabel("producers / workers (log2)", fontsize=8)
            if j == 0:
                ax.set_ylabel("items/s (log)", fontsize=8)
    handles, labels = [], []
    for ax in axes.flat:
        for hnd, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(hnd)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8)
    fig.suptitle("Scaling on each machine (median items/s; one line per machine)")
    fig.tight_layout(rect=(0, 0.05, 1, 0.95))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    bad = [r for r in a.runs if not os.path.isdir(r)]
    if bad or len(a.runs) < 2:
        print("compare_runs.py: want two or more run folders (not folders: %s)" % ", ".join(bad), file=sys.stderr)
        return 2
    os.makedirs(a.out, exist_ok=True)
    runs = load_runs(a.runs)
    tables = ratio_tables(runs)
    text = md(runs, tables, a.out)
    with open(os.path.join(a.out, "summary.md"), "w", encoding="utf-8") as f:
        f.write(text)
    json.dump([{"label": r["label"], "path": r["path"], "env": r["env"]} for r in runs],
              open(os.path.join(a.out, "runs.json"), "w"), indent=2)
    has_fig = plot_scaling(runs, os.path.join(a.out, "scaling.png"))
    used = set()
    head = text.split("## Ratio to the better Go")[0]
    machines = R.md_to_html(head, used, drop_h1=True)
    for r in runs:
        idx = os.path.join(r["path"], "index.html")
        if os.path.exists(idx):
            machines += "<p>%s: <a href=\"%s\">its report</a></p>" % (R.esc(r["label"]),
                                                                     R.esc(os.path.relpath(idx, a.out)))
    fig = ("<h2 id=scaling>Scaling</h2><figure><img src=\"scaling.png\" alt=\"scaling, one line per machine\">"
           "<figcaption>one panel per family and backend, one line per machine</figcaption></figure>"
           if has_fig else "<p>No scaling results in these runs.</p>")
    page = """<!doctype html>
<html lang=en><head><meta charset=utf-8><meta name=viewport content="width=device-width, initial-scale=1">
<title>goc: {n} runs side by side</title><style>{css}</style></head>
<body><header><h1>goc: {n} runs side by side</h1>
<nav><ul><li><a href="#ratio">Ratios to Go</a></li><li><a href="#median">Medians</a></li>
<li><a href="#scaling">Scaling</a></li><li><a href="summary.md">summary.md</a></li></ul></nav></header>
<main>{machines}{tables}{fig}</main>
<footer>Written by harness/compare_runs.py from the run folders named; static page.</footer>
{script}</body></html>
""".format(n=len(runs), css=R.CSS, machines=machines, tables=html_tables(runs, tables), fig=fig,
           script=R.LOAD_SCRIPT)
    with open(os.path.join(a.out, "index.html"), "w", encoding="utf-8") as f:
        f.write(page)
    print("compare_runs.py: wrote %s/{summary.md,index.html,runs.json%s}" % (a.out, ",scaling.png" if has_fig else ""),
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
