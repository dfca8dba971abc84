"""Channel rows against the bare floors of the micro catalogue (issue 15).

Each pair is (channel benchmark, floor benchmark): the floor does the same
work with no channel semantics (harness/bare_ring.h), so the ratio of their
medians, measured in one run by one binary, is what the channel costs over
the hardware. Shared by summary.py and bench_compare.py.
"""

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
