"""Channel rows against the bare floors of the micro catalogue (issue 15).

Each pair is (channel benchmark, floor benchmark): the floor does the same
work with no channel semantics (harness/bare_ring.h), so the ratio of their
medians, measured in one run by one binary, is what the channel costs over
the hardware. Shared by summary.py and bench_compare.py.

The floors also show when the machine itself changed during a run: the
thread backends' binaries run the same floor code, minutes apart, so their
floor medians should agree. On the 2-vCPU VM they once differed 3.7x
(BarePingPong 362 ns in the pthread binary's run, 98.7 ns in the lockfree
one's: the host placed the two vCPUs differently), and every hand-off row
of the faster binary moved with it (lockfree ChanSync 1.15 us -> 365 ns)
while its channel / floor ratios stayed put. placement_lines says so.
"""
import json
import statistics
import subprocess
import sys
import time

# Backends whose binaries run the floors as plain OS threads (coro's run
# them on its workers: a different thing).
THREAD_FLOOR_BACKENDS = ("pthread", "lockfree")
# Floors of two such binaries further apart than this: the machine changed.
PLACEMENT_LIMIT = 1.5

FLOORS = [
    ("SPSC/cap:1024", "BareRing/cap:1024", "Channel over a bare ring",
     "issue 15's target is <= 1.3x"),
    ("ChanSync", "BarePingPong", "Unbuffered round trip over a bare ping-pong",
     "two threads that only flip two atomic words: the cache-line hand-offs every thread "
     "backend pays; issue 15's ChanSync target is <= 1.5x Go"),
]


def floor_lines(med, cpu, fmt_ratio):
    """med, cpu: {(suite, benchmark, backend): median ns} (wall, CPU time).
    One sentence per floor pair that has both rows for some backend."""
    out = []
    for chan, floor, title, note in FLOORS:
        parts = []
        for (su, name, b), m in sorted(med.items()):
            f = med.get((su, floor, b))
            if name != chan or not f or f <= 0:
                continue
            c, cf = cpu.get((su, name, b)), cpu.get((su, floor, b))
            parts.append("%s %s%s" % (b, fmt_ratio(m / f),
                                      " (CPU time: %s)" % fmt_ratio(c / cf) if c and cf else ""))
        if parts:
            out.append("%s (%s / %s, medians of wall time, and of CPU time, which a loaded machine "
                       "disturbs less; %s): %s." % (title, chan, floor, note, ", ".join(parts)))
    return out


def placement_lines(med, fmt_ns, fmt_ratio, limit=PLACEMENT_LIMIT):
    """One warning per floor whose thread-backend medians (the same code in
    each binary) differ by more than `limit` (max/min); none otherwise."""
    out = []
    floors = sorted({f for _, f, _, _ in FLOORS})
    for floor in floors:
        got = sorted(((b, m) for (su, name, b), m in med.items()
                      if name == floor and b in THREAD_FLOOR_BACKENDS and m and m > 0),
                     key=lambda x: x[1])
        if len(got) < 2 or got[-1][1] / got[0][1] <= limit:
            continue
        out.append("**Warning: the machine changed during this run.** %s, the same code in every "
                   "thread backend's binary, took %s (fastest) to %s (slowest): %s apart (limit %s). "
                   "Absolute hand-off numbers of these binaries are not comparable with each other "
                   "or with Go in this run (the host's placement of the vCPUs, presumably); the "
                   "channel / floor ratios are." % (
                       floor, "%s %s" % (got[0][0], fmt_ns(got[0][1])),
                       "%s %s" % (got[-1][0], fmt_ns(got[-1][1])),
                       fmt_ratio(got[-1][1] / got[0][1]), fmt_ratio(limit)))
    return out


# ------------------------------------------------------------ the probe --
# The host may move the vCPUs while a run goes on (the 2-vCPU VM: BarePingPong
# 440 ns at 08:15, 52 ns at 09:25, 380-490 ns again at 09:29, all on 5
# December). Each backend's binary measures its own floors, but coro's and
# Go's runs have no thread floor, so a ratio of coro to Go can compare two
# machines. The bench stage therefore probes the cross-core round trip with a
# thread backend's binary before and after each backend's suites
# (`floors.py probe`, stage_bench.sh) into floors.json, and the summary says
# which regime each backend ran in.
PROBE_FLOOR = "BarePingPong"
# A round trip this long is two threads taking turns on one CPU (time
# slices), not a cache-line hand-off (52-490 ns on the VM, either placement).
TIME_SHARED_NS = 2000
PROBE_FILE = "floors.json"


UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}  # Google Benchmark time_unit -> ns (every reader here)


def gbench_median_ns(doc):
    """The median real time in ns over a Google Benchmark document's
    iteration records without an error (None when there is none): a probe's
    output, here and in kit_import.py."""
    try:
        ns = [r["real_time"] * UNIT_NS.get(r.get("time_unit", "ns"), 1.0) for r in doc.get("benchmarks", [])
              if r.get("run_type", "iteration") == "iteration" and not r.get("error_occurred")]
    except (AttributeError, KeyError, TypeError):
        return None
    return statistics.median(ns) if ns else None


def probe(binary, backend, when, out, rnd=None, min_time=0.05, reps=5):
    """Runs binary's BarePingPong (reps x min_time s) and appends
    {"backend", "when", "ns", "t"[, "round"]} to the JSON list in `out`.
    Returns the median ns, or None (and appends nothing) when the probe
    could not run."""
    try:
        p = subprocess.run([binary, "--benchmark_filter=^%s(/|$)" % PROBE_FLOOR,
                            "--benchmark_min_time=%g" % min_time, "--benchmark_repetitions=%d" % reps,
                            "--benchmark_format=json"], capture_output=True, text=True, check=False,
                           timeout=120)
        med = gbench_median_ns(json.loads(p.stdout))
    except (OSError, ValueError, subprocess.SubprocessError):
        return None
    if med is None:
        return None
    recs = load_probes_file(out)
    rec = {"backend": backend, "when": when, "ns": med, "t": time.time()}
    if rnd:
        rec["round"] = int(rnd)
    recs.append(rec)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(recs, f, indent=1)
    return med


def load_probes_file(path):
    """The probe records of a floors.json ([] when absent or unreadable)."""
    try:
        with open(path, encoding="utf-8") as f:
            recs = json.load(f)
    except (OSError, ValueError):
        return []
    return [r for r in recs if isinstance(r, dict) and isinstance(r.get("ns"), (int, float))
            and r["ns"] > 0 and isinstance(r.get("backend"), str)] if isinstance(recs, list) else []


def regimes(recs):
    """{backend: (lo, hi)} of its probes (before and after its suites)."""
    out = {}
    for r in recs:
        lo, hi = out.get(r["backend"], (r["ns"], r["ns"]))
        out[r["backend"]] = (min(lo, r["ns"]), max(hi, r["ns"]))
    return out


def probe_lines(recs, fmt_ns, go=("go-p1", "go-pN"), limit=PLACEMENT_LIMIT):
    """Markdown for summary.md: one line saying the probes agreed, or a table
    of each backend's probes and a warning naming the goc backends whose
    probes were more than `limit` away from Go's (their ratios to Go compare
    two placements of the vCPUs). [] without probes."""
    reg = regimes(recs)

    def span(lo, hi):
        return fmt_ns(lo) if fmt_ns(lo) == fmt_ns(hi) else "%s to %s" % (fmt_ns(lo), fmt_ns(hi))
    if not reg:
        return []
    allv = [r["ns"] for r in recs]
    head = ("Cross-core round trip while each backend ran (%s of a thread backend's binary, probed "
            "before and after each backend's suites; harness/floors.py)" % PROBE_FLOOR)
    loaded = ""
    if max(allv) > TIME_SHARED_NS:
        loaded = (" Round trips over %s are not cache-line hand-offs: the probe's two threads took "
                  "turns on one CPU (other jobs held the other), so hand-off rows measured then "
                  "say more about the load than about the code." % fmt_ns(TIME_SHARED_NS))
    if max(allv) / min(allv) <= limit:
        return ["%s: %s to %s over the whole stage, one placement of the vCPUs throughout.%s" % (
            head, fmt_ns(min(allv)), fmt_ns(max(allv)), loaded)]
    out = ["%s:\n" % head, "| backend | before | after |", "|---|---:|---:|"]
    for b in reg:
        cells = {r["when"]: fmt_ns(r["ns"]) for r in recs if r["backend"] == b}
        out.append("| %s | %s | %s |" % (b, cells.get("before", "-"), cells.get("after", "-")))
    out.append("")
    if loaded:
        out.append(loaded.strip() + "\n")
    gov = [v for b in go if b in reg for v in reg[b]]
    for b, (lo, hi) in reg.items():
        if b in go:
            continue
        why = []
        if hi / lo > limit:
            why.append("the machine moved while it ran")
        if gov and (max(hi, max(gov)) / min(lo, min(gov)) > limit):
            why.append("Go ran at %s" % span(min(gov), max(gov)))
        if why:
            out.append("**Placement: %s's ratios to Go compare two machines** (%s ran at %s; %s): "
                       "hand-off rows move 2-8x with this round trip, on every backend and in Go." % (
                           b, b, span(lo, hi), "; ".join(why)))
    return out


def round_lines(data, order, recs, fmt_ratio, fmt_ns, go="go-pN", backends=("coro", "lockfree"),
                limit=PLACEMENT_LIMIT):
    """Markdown: each goc backend's median over Go's (`go`) round by round,
    from the bench stage's rounds (records carry goc_round; floors.json's
    probes carry round), each round's cross-core round trip beside it, and
    '*' where the two backends' probes of that round differ by more than
    `limit` (the machine moved between them: not a pair). data: summary.py's
    load_gbench (entries with "ns" and "rounds"). [] without rounds."""
    probe = {}
    for r in recs:
        if r.get("round"):
            probe.setdefault((r["backend"], r["round"]), []).append(r["ns"])
    rounds = sorted({k for cells in data.values() for c in cells.values() for k in c.get("rounds", []) if k})
    if len(rounds) < 2:
        return []

    def med_round(c, k):
        v = [x for x, rk in zip(c.get("ns", []), c.get("rounds", [])) if rk == k]
        return statistics.median(v) if v else None

    rows = []
    for key in order:
        cells = data.get(key, {})
        if go not in cells:
            continue
        for b in backends:
            if b not in cells:
                continue
            line = []
            for k in rounds:
                m, g = med_round(cells[b], k), med_round(cells[go], k)
                if not m or not g:
                    line.append("-")
                    continue
                pb, pg = probe.get((b, k)), probe.get((go, k))
                moved = bool(pb and pg and max(pb + pg) / min(pb + pg) > limit)
                line.append("%s%s" % (fmt_ratio(m / g), " *" if moved else ""))
            rows.append("| %s | %s | %s |" % (key[1], b, " | ".join(line)))
    if not rows:
        return []
    head = []
    for k in rounds:
        v = [x for (b, rk), xs in probe.items() if rk == k for x in xs]
        head.append("round %d (%s)" % (k, "%s-%s" % (fmt_ns(min(v)), fmt_ns(max(v))) if v else "no probe"))
    out = ["### Round by round: each backend over %s in the same round\n" % go,
           "The bench stage runs every backend and Go once per round; a ratio of medians taken in "
           "one round pairs numbers measured minutes apart at most, and the heading gives that "
           "round's cross-core round trip (the probes, min-max). `*`: this backend's probes and "
           "Go's differ by more than %.1fx in that round, so the machine moved between them and "
           "the ratio is not a pair.\n" % limit,
           "| benchmark | backend | %s |" % " | ".join(head),
           "|---|---|" + "---:|" * len(rounds)]
    return out + rows


USAGE = "usage: floors.py probe BINARY BACKEND before|after OUT.json [ROUND]"


def probe_main(argv):
    """floors.py probe BINARY BACKEND WHEN OUT.json [ROUND]: one probe (stage_bench.sh)."""
    if len(argv) not in (4, 5):
        print(USAGE, file=sys.stderr)
        return 2
    ns = probe(*argv)
    if ns is None:
        print("floors.py: probe with %s failed (no %s)" % (argv[0], PROBE_FLOOR), file=sys.stderr)
        return 1
    print("%s %s: %s %.0f ns" % (argv[1], argv[2], PROBE_FLOOR, ns))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "probe":
        sys.exit(probe_main(sys.argv[2:]))
    print(USAGE, file=sys.stderr)
    sys.exit(2)
