#!/usr/bin/python3
"""Benchmark history across commits: run folders -> SQLite, tables, trends.

usage:
  history.py [--db DB] import RUN...            add (or replace) these runs
  history.py [--db DB] import --all ROOT        every run folder under ROOT
                                                (ROOT/<UTC>-<host>/, ROOT/published/*/)
  history.py [--db DB] show [--filter RE] [--backends LIST] [--host HOST]
                            [--min-effect F] [--alpha P] [--plot PNG]
DB defaults to results/history.sqlite (not committed).

What goes in (schema in results/README.md): one row per run (folder name,
commit, dirty flag, host, CPU, cores, date), and per (suite, benchmark,
backend) of the run its median, min, max and repetition count, plus every
repetition's ns/op in `samples`. The numbers come from the run's Google
Benchmark JSON (bench-*.json, bench_patterns-*.json, else compare/*.json,
through harness/summary.py's loaders); a run folder that kept only
summary.md (results/published/*) gives its "Per backend" table's medians,
one sample per row. Importing a run again replaces it.

A series is (host, suite, benchmark, backend) over commits; runs of the same
commit (and dirty flag) on that host are pooled into one point, and points
are ordered by their first run's date. Runs from different machines never
share a series.

The change-point test (change_points()): binary segmentation. At every
split of a series into "before" (commits up to i) and "after" (from i+1),
the repetition samples of up to 5 commits on each side (window) are
compared with a two-sided
Mann-Whitney U test (scipy.stats.mannwhitneyu); the p-value is multiplied by
the number of splits tried (Bonferroni). A split is a change point when
  1. the corrected p < alpha (default 0.05),
  2. the pooled medians differ by a factor >= 1 + min_effect (default 0.2:
     20% slower, or 1/1.2 faster), and
  3. the sides are separated: every commit median after the split lies
     beyond the geometric mean of the two pooled medians, and every commit
     median before it on the other side (one odd run in the middle of a
     flat series is not a change).
The best split (smallest p, then largest effect) is taken and each side is
searched again. Two changes closer than the window may be seen as one, or
(a rise, then a fall) as none. A flat series whose run-to-run noise stays below min_effect
is never flagged; a step larger than min_effect with a few repetitions on
each side is. A change at the newest commit rests on one run: rerun it
before believing it. With --quick's 3 repetitions, one new commit against
two earlier ones reaches p = 0.048 at best (3 vs 6 samples, 2 splits): a
step at the newest commit is found from the third commit on; with the full
run's 9 repetitions, much sooner.
"""
import argparse
import datetime
import glob
import math
import os
import re
import sqlite3
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import summary as S  # noqa: E402  (the run-folder loaders)

ROOT = os.path.normpath(os.path.join(HERE, ".."))
DEFAULT_DB = os.path.join(ROOT, "results", "history.sqlite")
RUN_NAME = re.compile(r"^(\d{8}T\d{6}Z)-(.+)$")
SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS runs (
  run_id TEXT PRIMARY KEY,      -- the run folder's name, <UTC>-<host>
  path TEXT,                    -- where it was imported from
  git_commit TEXT, git_dirty INTEGER, host TEXT, cpu_model TEXT, cores INTEGER,
  date_utc TEXT,                -- env.json's date_utc, else the folder's stamp
  source TEXT,                  -- 'json' (Google Benchmark JSON) or 'summary.md'
  imported_utc TEXT);
CREATE TABLE IF NOT EXISTS results (
  run_id TEXT REFERENCES runs(run_id) ON DELETE CASCADE,
  suite TEXT, benchmark TEXT, backend TEXT,
  median_ns REAL, min_ns REAL, max_ns REAL, n INTEGER,
  PRIMARY KEY (run_id, suite, benchmark, backend));
CREATE TABLE IF NOT EXISTS samples (
  run_id TEXT REFERENCES runs(run_id) ON DELETE CASCADE,
  suite TEXT, benchmark TEXT, backend TEXT, rep INTEGER, ns REAL);
CREATE INDEX IF NOT EXISTS samples_key ON samples (suite, benchmark, backend);
"""


def connect(db):
    os.makedirs(os.path.dirname(os.path.abspath(db)), exist_ok=True)
    con = sqlite3.connect(db)
    con.execute("PRAGMA foreign_keys = ON")
    con.executescript(SCHEMA)
    con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    return con


# ------------------------------------------------------------------ import --

_UNITS = {"ns": 1.0, "µs": 1e3, "us": 1e3, "ms": 1e6, "s": 1e9}


def parse_ns(text):
    """'13.8 µs' -> 13800.0 (summary.py's fmt_ns, read back); None if not a time."""
    m = re.match(r"^\s*\**([0-9.]+(?:e[+-]?\d+)?)\s*(ns|µs|us|ms|s)\**\s*$", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None


def from_summary_md(run):
    """{(suite, name, backend): [median]} from summary.md's 'Per backend' table."""
    try:
        lines = open(os.path.join(run, "summary.md"), encoding="utf-8").read().splitlines()
    except OSError:
        return {}
    out, on = {}, False
    for line in lines:
        if line.startswith("### Per backend"):
            on = True
            continue
        if on and line.startswith("#"):
            break
        if not on or not line.startswith("| ") or line.startswith("| benchmark"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 5:
            continue
        m = re.match(r"^(.*) \(([^()]*)\)$", cells[0])
        name, suite = (m.group(1), m.group(2)) if m else (cells[0], "")
        backend = re.sub(r"^\*\*(.+?)\*\* \(best\)$", r"\1", cells[1])
        med = parse_ns(cells[2])
        if med is None:
            continue
        lo = hi = None
        if "–" in cells[3]:
            a, b = cells[3].split("–", 1)
            lo, hi = parse_ns(a), parse_ns(b)
        try:
            n = int(cells[4])
        except ValueError:
            n = 1
        out[(suite if suite != "-" else "", name, backend)] = {"median": med, "min": lo, "max": hi, "n": n,
                                                               "samples": [med]}
    return out


def from_json(run):
    data, order, _ = S.load_gbench(S.bench_files(run))
    out = {}
    for (suite, name) in order:
        for b, e in data[(suite, name)].items():
            if not e["ns"]:
                continue
            md, lo, hi = S.stats(e["ns"])
            out[(suite, name, b)] = {"median": md, "min": lo, "max": hi, "n": len(e["ns"]),
                                     "samples": list(e["ns"])}
    return out


def run_meta(run):
    env = S.load_env(run)
    name = os.path.basename(os.path.realpath(run))
    m = RUN_NAME.match(name)
    st = S.ST.load(run)
    commit = env.get("git_commit") or st.get("commit") or "unknown"
    host = env.get("host") or st.get("host") or (m.group(2) if m else "unknown")
    date = env.get("date_utc")
    if not date and m:
        date = datetime.datetime.strptime(m.group(1), "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return {"run_id": name, "git_commit": commit, "git_dirty": 1 if env.get("git_dirty") is True else 0,
            "host": host, "cpu_model": env.get("cpu_model"), "cores": env.get("cores"),
            "date_utc": date or ""}


def import_run(con, run):
    """Adds RUN (replacing an earlier import of the same folder name); returns
    the number of (benchmark, backend) rows, 0 when the run has no results."""
    rows, source = from_json(run), "json"
    if not rows:
        rows, source = from_summary_md(run), "summary.md"
    if not rows:
        return 0
    meta = run_meta(run)
    con.execute("DELETE FROM runs WHERE run_id = ?", (meta["run_id"],))
    con.execute("INSERT INTO runs VALUES (?,?,?,?,?,?,?,?,?,?)", (
        meta["run_id"], os.path.abspath(run), meta["git_commit"], meta["git_dirty"], meta["host"],
        meta["cpu_model"], meta["cores"], meta["date_utc"], source,
        datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")))
    for (suite, name, b), r in rows.items():
        con.execute("INSERT INTO results VALUES (?,?,?,?,?,?,?,?)",
                    (meta["run_id"], suite, name, b, r["median"], r["min"], r["max"], r["n"]))
        con.executemany("INSERT INTO samples VALUES (?,?,?,?,?,?)",
                        [(meta["run_id"], suite, name, b, i, v) for i, v in enumerate(r["samples"])])
    con.commit()
    return len(rows)


def run_folders(root):
    out = []
    for p in sorted(glob.glob(os.path.join(root, "*")) + glob.glob(os.path.join(root, "published", "*"))):
        if os.path.isdir(p) and not os.path.islink(p) and RUN_NAME.match(os.path.basename(p)):
            out.append(p)
    return out


# ------------------------------------------------------------------ series --

def commit_label(commit, dirty):
    return str(commit)[:8] + ("+dirty" if dirty else "")


def series(con, host=None, filt=None, backends=None):
    """{(host, suite, benchmark): {backend: [(commit label, first date,
    n runs, [samples])]}}, points in commit order (first run's date)."""
    q = ("SELECT r.host, s.suite, s.benchmark, s.backend, r.git_commit, r.git_dirty, r.date_utc, "
         "r.run_id, s.ns FROM samples s JOIN runs r USING (run_id)")
    args = []
    if host:
        q += " WHERE r.host = ?"
        args.append(host)
    rx = re.compile(filt) if filt else None
    want = set(b for b in re.split(r"[ ,]+", backends or "") if b)
    if "go" in want:
        want |= {"go-p1", "go-pN"}
    acc = {}
    for h, suite, bench, b, commit, dirty, date, run_id, ns in con.execute(q, args):
        if rx and not (rx.search(bench) or rx.search("%s/%s" % (suite, bench))):
            continue
        if want and b not in want:
            continue
        key = (h, suite, bench)
        pts = acc.setdefault(key, {}).setdefault(b, {})
        lab = commit_label(commit, dirty)
        p = pts.setdefault(lab, {"date": date, "runs": set(), "samples": []})
        p["date"] = min(p["date"], date)
        p["runs"].add(run_id)
        p["samples"].append(ns)
    out = {}
    for key, per in acc.items():
        out[key] = {}
        for b, pts in per.items():
            out[key][b] = sorted(((lab, p["date"], len(p["runs"]), p["samples"]) for lab, p in pts.items()),
                                 key=lambda x: x[1])
    return out


# ------------------------------------------------------------ change points --

def _split_test(before_pts, after_pts, alpha, min_effect, n_tests, separate=True):
    from scipy.stats import mannwhitneyu
    before = [x for p in before_pts for x in p]
    after = [x for p in after_pts for x in p]
    if len(before) < 2 or len(after) < 2:
        return None
    mb, ma = statistics.median(before), statistics.median(after)
    if mb <= 0 or ma <= 0:
        return None
    ratio = ma / mb
    if abs(math.log(ratio)) < math.log1p(min_effect):
        return None
    if separate:
        mid = math.sqrt(ma * mb)
        cb = [statistics.median(p) for p in before_pts]
        ca = [statistics.median(p) for p in after_pts]
        if ratio > 1 and not (min(ca) > mid and max(cb) < mid):
            return None
        if ratio < 1 and not (max(ca) < mid and min(cb) > mid):
            return None
    p = mannwhitneyu(before, after, alternative="two-sided").pvalue
    p_adj = min(1.0, p * n_tests)
    if p_adj >= alpha:
        return None
    return {"p": p_adj, "ratio": ratio, "before": mb, "after": ma}


def change_points(points, alpha=0.05, min_effect=0.2, window=5, separate=True, offset=0):
    """points: [samples of commit 1, samples of commit 2, ...] in commit
    order. Returns [{"index": i (the first commit after the change), "p",
    "ratio" (after / before median), "before", "after"}], sorted by index.
    Each split compares up to WINDOW commits on either side (within the
    segment being searched), so that a rise and a later fall are two
    changes. The test is described in this module's docstring; separate=False
    drops guard 3 (for the tests that show what it is for)."""
    k = len(points)
    if k < 2:
        return []
    best = None
    for i in range(1, k):
        r = _split_test(points[max(0, i - window):i], points[i:i + window], alpha, min_effect, k - 1, separate)
        if r and (best is None or (r["p"], -abs(math.log(r["ratio"]))) <
                  (best["p"], -abs(math.log(best["ratio"])))):
            best = dict(r, index=i)
    if best is None:
        return []
    i = best["index"]
    best["index"] = i + offset
    return sorted(change_points(points[:i], alpha, min_effect, window, separate, offset) + [best] +
                  change_points(points[i:], alpha, min_effect, window, separate, offset + i),
                  key=lambda c: c["index"])


def trends(con, host, alpha=0.05, min_effect=0.2):
    """{(suite, benchmark): {backend: (points, change points)}} for HOST,
    points = [(commit label, median)]."""
    out = {}
    for (h, suite, bench), per in series(con, host=host).items():
        for b, pts in per.items():
            cps = change_points([p[3] for p in pts], alpha, min_effect)
            out.setdefault((suite, bench), {})[b] = ([(p[0], statistics.median(p[3])) for p in pts], cps)
    return out


# -------------------------------------------------------------------- show --

def show(con, a):
    data = series(con, host=a.host, filt=a.filter, backends=a.backends)
    if not data:
        print("history: nothing matches (import runs first: ./run_all.sh report, or history.py import)")
        return [], 1
    flagged = []
    figs = []
    for (host, suite, bench) in sorted(data, key=lambda k: (k[0], k[1], k[2])):
        per = data[(host, suite, bench)]
        bs = sorted(per, key=S.backend_key)
        commits = []
        for b in bs:
            for lab, date, nruns, _ in per[b]:
                if lab not in [c[0] for c in commits]:
                    commits.append((lab, date, nruns))
        commits.sort(key=lambda c: c[1])
        marks = {}
        cps_by_b = {}
        for b in bs:
            cps = change_points([p[3] for p in per[b]], a.alpha, a.min_effect)
            cps_by_b[b] = cps
            for c in cps:
                lab = per[b][c["index"]][0]
                marks[(lab, b)] = c
                flagged.append((host, suite, bench, b, lab, c))
        print("\n## %s%s on %s\n" % (bench, " (%s)" % suite if suite else "", host))
        hdr = ["commit", "date", "runs"] + bs
        rows = []
        for lab, date, nruns in commits:
            line = [lab, date[:16].replace("T", " "), str(nruns)]
            for b in bs:
                d = {p[0]: p for p in per[b]}
                if lab not in d:
                    line.append("-")
                    continue
                txt = S.fmt_ns(statistics.median(d[lab][3]))
                c = marks.get((lab, b))
                if c:
                    txt += " %s%+.0f%%" % ("▲" if c["ratio"] > 1 else "▼", (c["ratio"] - 1) * 100)
                line.append(txt)
            rows.append(line)
        w = [max(len(r[i]) for r in rows + [hdr]) for i in range(len(hdr))]
        print("  ".join(h.ljust(w[i]) for i, h in enumerate(hdr)))
        for r in rows:
            print("  ".join(c.ljust(w[i]) if i < 3 else c.rjust(w[i]) for i, c in enumerate(r)))
        figs.append(((host, suite, bench), per, cps_by_b))
    print("\nChange points (Mann-Whitney U per split, Bonferroni, alpha %g, effect >= %.0f%%; "
          "▲ slower, ▼ faster from that commit on):" % (a.alpha, a.min_effect * 100))
    if not flagged:
        print("  none")
    for host, suite, bench, b, lab, c in flagged:
        print("  %s %s%s %s: %s at %s (%s -> %s, %+.0f%%, p=%.2g)" % (
            host, bench, " (%s)" % suite if suite else "", b, "slower" if c["ratio"] > 1 else "faster", lab,
            S.fmt_ns(c["before"]), S.fmt_ns(c["after"]), (c["ratio"] - 1) * 100, c["p"]))
    return figs, 0


def plot(figs, path, max_panels=24):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    sys.path.insert(0, os.path.join(ROOT, "plots"))
    from plot import color, style, log_axis  # noqa: E402
    figs = figs[:max_panels]
    if not figs:
        return
    cols = min(3, len(figs))
    rows = int(math.ceil(len(figs) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.6 * cols, 3.6 * rows + 0.6), squeeze=False)
    for ax, ((host, suite, bench), per, cps_by_b) in zip(axes.flat, figs):
        labs = []
        for b in per:
            for p in per[b]:
                if p[0] not in labs:
                    labs.append((p[1], p[0]))
        labs = [l for _, l in sorted(set(labs))]
        x = {l: i for i, l in enumerate(labs)}
        for b in sorted(per, key=S.backend_key):
            pts = per[b]
            ax.plot([x[p[0]] for p in pts], [statistics.median(p[3]) for p in pts], label=b, color=color(b),
                    **style(b))
            for c in cps_by_b.get(b, []):
                xi = x[pts[c["index"]][0]]
                ax.axvline(xi - 0.5, color=color(b) or "#999999", alpha=0.5, linestyle=":")
                ax.annotate("%+.0f%%" % ((c["ratio"] - 1) * 100), (xi, c["after"]), fontsize=7,
                            color=color(b) or "#333333", textcoords="offset points", xytext=(3, 4))
        log_axis(ax.yaxis)
        ax.set_xticks(range(len(labs)))
        ax.set_xticklabels(labs, rotation=30, ha="right", fontsize=7)
        ax.set_title("%s%s (%s)" % (bench, " [%s]" % suite if suite not in ("", "micro") else "", host),
                     fontsize=9)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=6, ncol=2)
    for ax in list(axes.flat)[len(figs):]:
        ax.axis("off")
    fig.suptitle("Benchmark medians over commits (ns/op, log; dotted line: change point)")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print("history: trend figure %s%s" % (path, " (first %d benchmarks)" % max_panels
                                          if len(figs) >= max_panels else ""))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--db", default=DEFAULT_DB)
    sub = ap.add_subparsers(dest="cmd", required=True)
    im = sub.add_parser("import")
    im.add_argument("runs", nargs="*")
    im.add_argument("--all", metavar="ROOT", help="every run folder under ROOT and ROOT/published")
    sh = sub.add_parser("show")
    sh.add_argument("--filter", help="regex on the benchmark name (or suite/name)")
    sh.add_argument("--backends", help="comma or space list (go = go-p1,go-pN)")
    sh.add_argument("--host", help="only this machine (default: each machine separately)")
    sh.add_argument("--alpha", type=float, default=0.05)
    sh.add_argument("--min-effect", type=float, default=0.2)
    sh.add_argument("--plot", help="trend figure (PNG)")
    a = ap.parse_args(argv)
    con = connect(a.db)
    if a.cmd == "import":
        runs = list(a.runs) + (run_folders(a.all) if a.all else [])
        n = 0
        for r in runs:
            k = import_run(con, r)
            n += k > 0
            if a.runs:
                print("history: %s: %s" % (r, "%d rows" % k if k else "no benchmark results, skipped"),
                      file=sys.stderr)
        print("history: %d run(s) with results imported into %s" % (n, a.db), file=sys.stderr)
        return 0
    figs, rc = show(con, a)
    if figs and a.plot:
        plot(figs, a.plot)
    return rc


if __name__ == "__main__":
    sys.exit(main())
