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
