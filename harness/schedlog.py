#!/usr/bin/python3
"""schedlog.py: what coro's workers did, from a GOC_SCHEDLOG=FILE event log.

    GOC_SCHEDLOG=/tmp/pool.log GOC_PROCS=2 build/release/harness/scaling-coro \\
        --benchmark_filter=WorkerPool/workers:16
    harness/schedlog.py /tmp/pool.log --span pool_feeder

The log (backends/coro/schedlog.c) holds, per worker, every task switch, the
thieves' watches, refusals and steals, the idle spinner's start, idle parks
and wake-ups, each with a time in ns and the CPU the worker's thread was on.
This prints, for a window of it:

  per worker   time in tasks, between tasks (scheduling, spinning, watching
               a victim, stealing) and parked; switches, steals, refusals;
               the CPUs it ran on (share of its time);
  CPU sharing  time two unparked workers were last seen on the same CPU
               (the OS ran both threads on one CPU: one waits for the other);
  gaps         the time between a task's switch-out and the next switch-in
               on that worker, by length, with what ended them;
  tasks        per function: tasks, runs, mean run, runs on a worker other
               than the one before (migrations);
  longest gaps the N longest, with the worker's own events inside and how
               many switches the other workers made meanwhile.

LOG may be gzipped (name ending .gz, as the device kit brings it back).
Window: the whole log, or --span NAME (from the first switch-in to the last
switch-out of the last task named NAME: a benchmark's measured run, after
gbench's warm-up runs), or --window A:B (ms from the log's first event).
A CPU is seen only at an event: a thread moved between two events counts on
the old CPU until its next one. Exit status 2 on a missing or malformed log.
"""
import argparse
import bisect
import collections
import gzip
import re
import sys

EVENTS = {"in", "out", "steal", "steal_rn", "refuse", "watch", "spin", "park", "unpark", "spread",
          "wake", "global", "name"}
REFUSE = {1: "talk", 2: "drain", 3: "lone", 4: "empty"}
BUCKETS = [(1e3, "<1us"), (5e3, "1-5us"), (20e3, "5-20us"), (100e3, "20-100us"),
           (1e6, "0.1-1ms"), (float("inf"), ">1ms")]


class LogError(Exception):
    pass


def parse(lines):
    """(events, names, header): events are (ns, worker, cpu, ev, who, arg)
    sorted by time; names maps a task id to its function."""
    events, names, header = [], {}, None
    for no, line in enumerate(lines, 1):
        line = line.rstrip("\n")
        if not line:
            continue
        if line.startswith("#"):
            if header is None and line.startswith("# goc schedlog"):
                header = line[2:]
            continue
        f = line.split()
        try:
            if len(f) >= 7 and f[3] == "name":
                names[int(f[4])] = f[6]
                continue
            if len(f) != 6 or f[3] not in EVENTS:
                raise ValueError
            events.append((int(f[0]), int(f[1]), int(f[2]), f[3], int(f[4]), int(f[5])))
        except ValueError:
            raise LogError(f"line {no}: not a schedlog event: {line[:80]!r}")
    if header is None:
        raise LogError("no '# goc schedlog' header: not a GOC_SCHEDLOG file")
    events.sort(key=lambda e: (e[0], e[1]))
    return events, names, header


def span_of(events, names, name):
    ids = [i for i, n in names.items() if n == name]
    if not ids:
        raise LogError(f"--span {name}: no task of that name in the log "
                       f"(names: {', '.join(sorted(set(names.values()))) or 'none'})")
    tid = max(ids)
    ts = [e[0] for e in events if e[3] in ("in", "out") and e[4] == tid]
    if not ts:
        raise LogError(f"--span {name}: task {tid} never ran")
    return min(ts), max(ts)


def fmt_pct(x, tot):
    return f"{100.0 * x / tot:5.1f}%" if tot > 0 else "    -"


def analyse(events, names, t0, t1, ngaps=8, out=sys.stdout):
    tot = t1 - t0
    if tot <= 0:
        raise LogError("empty window")
    workers = sorted({e[1] for e in events})
    by_w = collections.defaultdict(list)
    for e in events:  # one pass; each worker's list stays in time order
        by_w[e[1]].append(e)
    ins = sorted(e[0] for e in events if e[3] == "in")  # switch-in times, for "others"
    ins_of = {w: sorted(e[0] for e in by_w[w] if e[3] == "in") for w in workers}
    # state of each worker at t0: from its events before the window
    W = {}
    cpu_share = collections.defaultdict(collections.Counter)
    active_iv = collections.defaultdict(list)  # cpu -> [(start, end, worker)]
    gaps = []  # (length, worker, start, end)
    task_stats = collections.defaultdict(lambda: [set(), 0, 0, 0])  # name: ids, runs, ns, migr
    last_w = {}

    def close(st, w, state, cpu, a, b):
        """Counts [a, b) of worker w in `state` on `cpu` (None: not seen yet)."""
        if b <= a:
            return
        st[state] += b - a
        if cpu is not None:
            cpu_share[w][cpu] += b - a
            if state != "parked":
                active_iv[cpu].append((a, b, w))

    for w in workers:
        evs = by_w[w]
        st = {"task": 0, "between": 0, "parked": 0, "watch": 0, "switches": 0, "direct": 0,
              "steals": 0, "stolen": 0, "steal_rn": 0, "wakes": 0, "global": 0,
              "refuse": collections.Counter()}
        state, cur, cpu, since = "between", None, None, t0
        watch_at = None
        for ns, _, c, ev, who, arg in evs:
            if ns < t0:
                if ev == "in":
                    state, cur = "task", who
                elif ev == "out":
                    state, cur = "between", None
                elif ev == "park":
                    state = "parked"
                elif ev == "unpark":
                    state = "between"
                cpu = c
                continue
            if ns > t1:
                break
            close(st, w, state, cpu, since, ns)
            if watch_at is not None and ev in ("refuse", "steal", "watch", "in", "spin", "park"):
                st["watch"] += ns - watch_at
                watch_at = None
            since, cpu = ns, c
            if ev == "in":
                if state == "between" and cur is None and "gap_from" in st:
                    g0 = st.pop("gap_from")
                    gaps.append((ns - g0, w, g0, ns))
                state, cur = "task", who
                st["switches"] += 1
                if arg & 1:
                    st["direct"] += 1
                name = "root" if arg & 128 else names.get(who, "?")
                ts_ = task_stats[name]
                ts_[0].add(who)
                ts_[1] += 1
                st["run_from"] = (ns, name)
            elif ev == "out":
                if "run_from" in st:
                    r0, name = st.pop("run_from")
                    task_stats[name][2] += ns - r0
                state, cur = "between", None
                st["gap_from"] = ns
            elif ev == "park":
                state = "parked"
            elif ev == "unpark":
                state = "between"
            elif ev == "watch":
                watch_at = ns
            elif ev == "steal":
                st["steals"] += 1
                st["stolen"] += arg
            elif ev == "steal_rn":
                st["steal_rn"] += 1
            elif ev == "refuse":
                st["refuse"][REFUSE.get(arg, str(arg))] += 1
            elif ev == "wake":
                st["wakes"] += 1
            elif ev == "global":
                st["global"] += arg
        close(st, w, state, cpu, since, t1)
        if "run_from" in st:  # a run still going at t1 counts up to t1
            r0, name = st.pop("run_from")
            task_stats[name][2] += t1 - r0
        W[w] = st
    # migrations, in time order over all workers: a run on another worker
    # than the task's previous run (its earlier runs before t0 count as
    # "previous" too)
    for ns, w, _, ev, who, arg in events:
        if ns > t1:
            break
        if ev != "in":
            continue
        if ns >= t0 and who in last_w and last_w[who] != w:
            task_stats["root" if arg & 128 else names.get(who, "?")][3] += 1
        last_w[who] = w

    p = lambda *a: print(*a, file=out)
    p(f"window {tot / 1e6:.3f} ms, {len(workers)} workers, "
      f"{sum(1 for e in events if t0 <= e[0] <= t1)} events")
    p("")
    p(f"{'worker':<7}{'in tasks':>9}{'between':>9}{'(watch)':>9}{'parked':>9}{'switches':>9}"
      f"{'direct':>8}{'steals':>7}{'stolen':>7}{'rn':>4}{'global':>7}{'wakes':>6}  refusals / CPUs")
    for w in workers:
        st = W[w]
        ref = " ".join(f"{k} {v}" for k, v in sorted(st["refuse"].items())) or "-"
        cs = cpu_share[w]
        ctot = sum(cs.values())
        cpus = " ".join(f"c{c} {100.0 * v / ctot:.0f}%" for c, v in cs.most_common(3)) if ctot else "-"
        p(f"w{w:<6}{fmt_pct(st['task'], tot):>9}{fmt_pct(st['between'], tot):>9}"
          f"{fmt_pct(st['watch'], tot):>9}{fmt_pct(st['parked'], tot):>9}{st['switches']:>9}"
          f"{st['direct']:>8}{st['steals']:>7}{st['stolen']:>7}{st['steal_rn']:>4}{st['global']:>7}"
          f"{st['wakes']:>6}  {ref} / {cpus}")

    # CPU sharing: per CPU, time covered by >= 2 unparked workers' intervals
    shared = collections.Counter()
    for c, ivs in active_iv.items():
        pts = []
        for a, b, w in ivs:
            pts.append((a, 1))
            pts.append((b, -1))
        pts.sort()
        n, last = 0, None
        for x, d in pts:
            if n >= 2 and last is not None:
                shared[c] += x - last
            n += d
            last = x
    p("")
    if shared:
        p("CPU sharing: " + ", ".join(f"c{c} {v / 1e3:.0f} us ({fmt_pct(v, tot).strip()})"
                                      for c, v in sorted(shared.items()) if v > 0)
          + "  (two unparked workers last seen on one CPU)")
    else:
        p("CPU sharing: none seen")

    p("")
    p("gaps between tasks (switch-out to the next switch-in on a worker):")
    hist = collections.OrderedDict((lab, [0, 0]) for _, lab in BUCKETS)
    for g, w, a, b in gaps:
        for lim, lab in BUCKETS:
            if g < lim:
                hist[lab][0] += 1
                hist[lab][1] += g
                break
    p("  " + "  ".join(f"{lab}: {n} ({fmt_pct(s, tot * len(workers)).strip()})"
                        for lab, (n, s) in hist.items()) + "  (% of all workers' time)")

    p("")
    p(f"{'task function':<22}{'tasks':>7}{'runs':>9}{'mean run':>11}{'migrated':>10}")
    for name, (ids, runs, ns, mig) in sorted(task_stats.items(), key=lambda kv: -kv[1][2]):
        mean = ns / runs / 1e3 if runs else 0
        p(f"{name[:21]:<22}{len(ids):>7}{runs:>9}{mean:>9.2f}us{fmt_pct(mig, runs):>10}")

    if ngaps > 0 and gaps:
        p("")
        p(f"longest gaps (worker: start ms, length us; its events inside; others' switches):")
        for g, w, a, b in sorted(gaps, reverse=True)[:ngaps]:
            ew = by_w[w]
            lo = bisect.bisect_right(ew, (a, w, 1 << 62))
            hi = bisect.bisect_left(ew, (b, w, -1))
            inside = ew[lo:hi]
            evs = collections.Counter(e[3] if e[3] != "refuse" else "refuse-" +
                                      REFUSE.get(e[5], str(e[5])) for e in inside)
            cpus = sorted({e[2] for e in ew[max(lo - 1, 0):hi + 1]})
            others = ((bisect.bisect_left(ins, b) - bisect.bisect_right(ins, a)) -
                      (bisect.bisect_left(ins_of[w], b) - bisect.bisect_right(ins_of[w], a)))
            p(f"  w{w}: {(a - t0) / 1e6:.3f} ms, {g / 1e3:.1f} us; "
              + (" ".join(f"{k} {v}" for k, v in sorted(evs.items())) or "no events")
              + f"; cpu {','.join(map(str, cpus))}; others switched {others}x")
    return W, shared, hist, task_stats


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("log")
    ap.add_argument("--span", metavar="NAME", help="window: the last task named NAME's life")
    ap.add_argument("--window", metavar="A:B", help="window in ms from the first event")
    ap.add_argument("--gaps", type=int, default=8, help="longest gaps to list (default 8)")
    a = ap.parse_args(argv)
    try:
        opener = gzip.open if a.log.endswith(".gz") else open  # the device kit's is gzipped
        try:
            with opener(a.log, "rt") as f:
                events, names, header = parse(f)
        except (OSError, EOFError, UnicodeDecodeError) as e:  # missing, a bad gzip, not text
            raise LogError(f"{a.log}: {getattr(e, 'strerror', None) or e}")
        if not events:
            raise LogError(f"{a.log}: no events")
        print(header)
        m = re.search(r"dropped (\d+)", header)
        if m and int(m.group(1)):
            print(f"note: {m.group(1)} events were dropped (a worker's ring wrapped): its time "
                  "before its first kept event is unknown; choose a later --window")
        first = events[0][0]
        t0, t1 = first, events[-1][0]
        if a.span and a.window:
            raise LogError("--span and --window: one or the other")
        if a.span:
            t0, t1 = span_of(events, names, a.span)
        elif a.window:
            try:
                x, y = (float(v) for v in a.window.split(":"))
            except ValueError:
                raise LogError(f"--window {a.window}: want A:B in ms")
            if not 0 <= x < y:
                raise LogError(f"--window {a.window}: want 0 <= A < B")
            t0, t1 = first + int(x * 1e6), first + int(y * 1e6)
        analyse(events, names, t0, t1, a.gaps)
    except LogError as e:
        print(f"schedlog: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
