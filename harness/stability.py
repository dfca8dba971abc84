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

The machine itself moves between runs: the host places a VM's vCPUs as it
likes (the 2-vCPU VM: BarePingPong 440 ns at 08:15, 52 ns at 09:25, ~400 ns
at 09:30 on one day), and every hand-off row moves 2-8x with it, Go's too.
Each run's placement is its cross-core round trip: the median of the bench
stage's probes (floors.json) or else the thread backends' BarePingPong row.
Runs within 1.5x of each other form one placement; each row is also judged
within every placement that has two or more runs ("within one placement"),
which is what the code, not the host, is answerable for. --by-placement
makes --check count only those.

Prints a Markdown report. Exit status: 0, or with --check 1 when a row is
flagged; 2 when fewer than two runs have benchmark results.
"""
import argparse
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import floors as FL  # noqa: E402
import history as H  # noqa: E402
import summary as S  # noqa: E402


def medians(run):
    rows = H.from_json(run) or H.from_summary_md(run)
    return {k: r["median"] for k, r in rows.items()}


def placement(run, med):
    """The run's cross-core round trip in ns (None when unknown): the median
    of its bench probes, else its fastest thread-backend BarePingPong."""
    recs = FL.load_probes_file(os.path.join(run, FL.PROBE_FILE))
    if recs:
        return statistics.median(r["ns"] for r in recs)
    floors = [m for (su, name, b), m in med.items()
              if name == FL.PROBE_FLOOR and b in FL.THREAD_FLOOR_BACKENDS and m and m > 0]
    return min(floors) if floors else None


def placement_groups(places, limit=FL.PLACEMENT_LIMIT):
    """Indices of runs grouped by placement: sorted by round trip, a run
    starts a new group when it is more than `limit` times the group's
    fastest. Runs of unknown placement form no group."""
    known = sorted((v, i) for i, v in enumerate(places) if v)
    groups = []
    for v, i in known:
        if groups and v <= places[groups[-1][0]] * limit:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def judge(meds, verdicts, limit):
    flags = []
    if len({v for v in verdicts if v}) > 1:
        flags.append("verdict flips")
    spread = max(meds) / min(meds) if min(meds) > 0 else float("inf")
    if spread > limit:
        flags.append("max/min %.2f > %.2f" % (spread, limit))
    return spread, flags


def analyse(runs, backends=None, limit=1.3, pattern=None, groups=None):
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
        meds, verdicts, idx = [], [], []
        for i, med in enumerate(runs):
            m = med.get((suite, name, b))
            if m is None:
                continue
            go = [med[(suite, name, g)] for g in S.GO if (suite, name, g) in med]
            meds.append(m)
            verdicts.append(None if not go else ("faster" if m < min(go) else "slower"))
            idx.append(i)
        if len(meds) < 2:
            continue
        spread, flags = judge(meds, verdicts, limit)
        within = []
        for g in groups or []:
            sel = [k for k, i in enumerate(idx) if i in g]
            if len(sel) >= 2:
                within += judge([meds[k] for k in sel], [verdicts[k] for k in sel], limit)[1]
        out.append({"suite": suite, "benchmark": name, "backend": b, "medians_ns": meds,
                    "max_over_min": spread, "verdicts": verdicts, "flags": flags,
                    "flags_within_placement": sorted(set(within))})
    return out


def report(rows, labels, limit, places=None, groups=None):
    flagged = [r for r in rows if r["flags"]]
    places = places or [None] * len(labels)
    out = ["# Stability over %d runs" % len(labels), "",
           "Runs: %s." % ", ".join("%s (cross-core round trip %s)" % (l, S.fmt_ns(p) if p else "unknown")
                                   for l, p in zip(labels, places)), ""]
    multi = [g for g in groups or [] if len(g) >= 2]
    if groups and len(groups) > 1:
        out += ["The runs saw %d placements of the vCPUs (round trips more than %.1fx apart): %s. "
                "Hand-off rows move with it on every backend and in Go; \"within one placement\" "
                "judges each row only among runs of one placement%s." % (
                    len(groups), FL.PLACEMENT_LIMIT,
                    "; ".join("{%s}" % ", ".join(labels[i] for i in g) for g in groups),
                    "" if multi else " (no placement has two runs: nothing to judge)"), ""]
    within = [r for r in rows if r.get("flags_within_placement")]
    out += ["%d of %d rows flagged (a verdict that differs between runs, or max/min of the medians "
            "above %.2f); %d within one placement; verdict = faster or slower than the better Go of "
            "the same run." % (len(flagged), len(rows), limit, len(within)), "",
            "| benchmark | backend | medians (ns) | max/min | verdicts | flag | within one placement |",
            "|---|---|---|--:|---|---|---|"]
    for r in rows:
        name = r["benchmark"] if not r["suite"] else "%s (%s)" % (r["benchmark"], r["suite"])
        out.append("| %s | %s | %s | %.2f | %s | %s | %s |" % (
            name, r["backend"], " / ".join(S.fmt_ns(m) for m in r["medians_ns"]), r["max_over_min"],
            " / ".join(v or "-" for v in r["verdicts"]), "; ".join(r["flags"]) or "ok",
            ("; ".join(r.get("flags_within_placement", [])) or "ok") if multi else "-"))
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+")
    ap.add_argument("--backends", help="comma list of goc backends (default: all)")
    ap.add_argument("--filter", help="regular expression on benchmark names")
    ap.add_argument("--limit", type=float, default=1.3)
    ap.add_argument("--json")
    ap.add_argument("--check", action="store_true", help="exit 1 when a row is flagged")
    ap.add_argument("--by-placement", action="store_true",
                    help="--check counts only rows flagged within one placement of the vCPUs")
    a = ap.parse_args(argv)
    runs, labels, places = [], [], []
    for p in a.runs:
        if not os.path.isdir(p):
            print("stability: %s: not a run folder" % p, file=sys.stderr)
            return 2
        med = medians(p)
        if med:
            runs.append(med)
            labels.append(os.path.basename(os.path.realpath(p)))
            places.append(placement(p, med))
        else:
            print("stability: %s: no benchmark results, left out" % p, file=sys.stderr)
    if len(runs) < 2:
        print("stability: need two or more runs with benchmark results", file=sys.stderr)
        return 2
    bk = set(a.backends.split(",")) if a.backends else None
    groups = placement_groups(places)
    rows = analyse(runs, bk, a.limit, a.filter, groups)
    sys.stdout.write(report(rows, labels, a.limit, places, groups))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"runs": labels, "limit": a.limit, "placements_ns": places,
                       "placement_groups": [[labels[i] for i in g] for g in groups], "rows": rows}, f, indent=1)
    key = "flags_within_placement" if a.by_placement else "flags"
    return 1 if a.check and any(r[key] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
