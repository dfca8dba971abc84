#!/usr/bin/python3
"""Are a commit's benchmark verdicts stable across fresh runs? (issue 11, item 6)

usage: stability.py RUN1 RUN2 [RUN3 ...] [--backends LIST] [--limit 1.3]
                    [--filter RE] [--json FILE] [--check]

For every (suite, benchmark, goc backend) measured in at least two of the
runs: the median of each run, max/min of those medians, and each run's
verdict against the better Go median *of the same run* (go-p1 / go-pN):
"faster" below 1, "slower" otherwise. A row is flagged when its verdict
differs between runs or max/min exceeds --limit (issue 11's target: the same
verdict in three fresh `./run_all.sh bench` runs and max/min <= 1.3).
Medians come from each run's JSON (harness/history.py's loader), or from its
summary.md when only that was kept.

Prints a Markdown report. Exit status: 0, or with --check 1 when a row is
flagged; 2 when fewer than two runs have benchmark results.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import history as H  # noqa: E402
import summary as S  # noqa: E402


def medians(run):
    rows = H.from_json(run) or H.from_summary_md(run)
    return {k: r["median"] for k, r in rows.items()}


def analyse(runs, backends=None, limit=1.3, pattern=None):
    """runs: [{(suite, name, backend): median}]. Returns the rows, in a stable order."""
    keys = []
    for med in runs:
        for k in med:
            if k not in keys:
                keys.append(k)
    out = []
    for suite, name, b in keys:
        if b in S.GO or (backends and b not in backends) or (pattern and not re.search(pattern, name)):
            continue
        meds, verdicts = [], []
        for med in runs:
            m = med.get((suite, name, b))
            if m is None:
                continue
            go = [med[(suite, name, g)] for g in S.GO if (suite, name, g) in med]
            meds.append(m)
            verdicts.append(None if not go else ("faster" if m < min(go) else "slower"))
        if len(meds) < 2:
            continue
        spread = max(meds) / min(meds) if min(meds) > 0 else float("inf")
        known = {v for v in verdicts if v}
        flags = []
        if len(known) > 1:
            flags.append("verdict flips")
        if spread > limit:
            flags.append("max/min %.2f > %.2f" % (spread, limit))
        out.append({"suite": suite, "benchmark": name, "backend": b, "medians_ns": meds,
                    "max_over_min": spread, "verdicts": verdicts, "flags": flags})
    return out


def report(rows, labels, limit):
    flagged = [r for r in rows if r["flags"]]
    out = ["# Stability over %d runs" % len(labels), "",
           "Runs: %s." % ", ".join(labels), "",
           "%d of %d rows flagged (a verdict that differs between runs, or max/min of the medians "
           "above %.2f); verdict = faster or slower than the better Go of the same run." % (
               len(flagged), len(rows), limit), "",
           "| benchmark | backend | medians (ns) | max/min | verdicts | flag |",
           "|---|---|---|--:|---|---|"]
    for r in rows:
        name = r["benchmark"] if not r["suite"] else "%s (%s)" % (r["benchmark"], r["suite"])
        out.append("| %s | %s | %s | %.2f | %s | %s |" % (
            name, r["backend"], " / ".join(S.fmt_ns(m) for m in r["medians_ns"]), r["max_over_min"],
            " / ".join(v or "-" for v in r["verdicts"]), "; ".join(r["flags"]) or "ok"))
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--backends", help="comma list of goc backends (default: all)")
    ap.add_argument("--filter", help="regular expression on benchmark names")
    ap.add_argument("--limit", type=float, default=1.3)
    ap.add_argument("--json")
    ap.add_argument("--check", action="store_true", help="exit 1 when a row is flagged")
    a = ap.parse_args(argv)
    runs, labels = [], []
    for p in a.runs:
        if not os.path.isdir(p):
            print("stability: %s: not a run folder" % p, file=sys.stderr)
            return 2
        med = medians(p)
        if med:
            runs.append(med)
            labels.append(os.path.basename(os.path.realpath(p)))
        else:
            print("stability: %s: no benchmark results, left out" % p, file=sys.stderr)
    if len(runs) < 2:
        print("stability: need two or more runs with benchmark results", file=sys.stderr)
        return 2
    bk = set(a.backends.split(",")) if a.backends else None
    rows = analyse(runs, bk, a.limit, a.filter)
    sys.stdout.write(report(rows, labels, a.limit))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"runs": labels, "limit": a.limit, "rows": rows}, f, indent=1)
    return 1 if a.check and any(r["flags"] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
