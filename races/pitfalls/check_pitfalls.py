#!/usr/bin/python3
"""Reproduces the article's pitfalls table (TESTING.md (e)) and checks it.

For every pitfall a buggy program (positive control: the detector must fire)
and its fixed versions (negative controls: the detector must stay silent and
the program must succeed) are run as child processes, per backend, in the
preset whose detector applies:

  problem      programs (bin/pit_<problem>-<backend> <mode>)   preset(s)
  task_leak    worker_buggy | worker_close, worker_ctx          all
               bwp_buggy    | bwp_fixed  (BenchmarkWorkerPool)
  data_race    counter_racy | counter_mutex, counter_chanlock   tsan, tsan-precise (TSan report;
                                                                 coro natural: information)
               counter_racy, contention_racy | *_mutex          release (lost updates,
                                                                 information only)
  deadlock     cross_buggy  | cross_fixed                       all
               wgdone_buggy | wgdone_fixed
  lock_order   inversion_buggy | ordered_fixed                  tsan
  mem_leak     chan_ctx_buggy | chan_ctx_fixed                  asan (LeakSanitizer)
               owning_buggy   | owning_fixed

Usage:
  check_pitfalls.py --bin DIR --preset P --backend B [--problem X] [--check]
  check_pitfalls.py --set release=DIR --set tsan=DIR --set asan=DIR
                    [--backend B ...] --json OUT --md OUT [--check]
Exit status 0, or 1 with --check when a control did not behave.
Python 3 standard library only.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

TSAN_OPTIONS = ("exitcode=66 halt_on_error=0 atexit_sleep_ms=0 second_deadlock_stack=1 "
                "detect_deadlocks=1 history_size=4")
ASAN_OPTIONS = "detect_leaks=1:abort_on_error=0:allocator_may_return_null=1"
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

LEAK_KEYS = [r"goc: task leak: .*", r"goc: \d+ tasks leaked by .*", r"task \d+ (?!main\(\)).*\(\) spawned at .*",
             r"blocked in .* on 0x[0-9a-f]+ at .*", r"pitfall: BenchmarkWorkerPool.*"]
DEADLOCK_KEYS = [r"fatal error: all tasks are asleep - deadlock!", r"goc: deadlock watchdog: .*",
                 r"task \d+ (?!main\(\)).*\(\) spawned at .*", r"blocked in .* on 0x[0-9a-f]+ at .*"]
TSAN_RACE_KEYS = [r"WARNING: ThreadSanitizer: data race.*", r"#0 inc_racy .*", r"Previous (write|read) of size .*",
                  r"Thread T\d+ .* created by .*", r"#\d+ pat_counter .*", r"SUMMARY: ThreadSanitizer: .*"]
LOCK_KEYS = [r"WARNING: ThreadSanitizer: lock-order-inversion.*", r"Cycle in lock order graph: .*",
             r"Mutex M\d+ acquired here while holding mutex M\d+ in .*", r"#\d+ locker .*",
             r"SUMMARY: ThreadSanitizer: lock-order-inversion.*"]
LSAN_KEYS = [r"ERROR: LeakSanitizer: detected memory leaks", r"(Direct|Indirect) leak of \d+ byte.*",
             r"#\d+ .*goc_chan_make .*", r"#\d+ .*goc_ctx_with_cancel .*", r"#\d+ .*owning_once .*",
             r"SUMMARY: AddressSanitizer: .*"]

# One row of the table per entry. fired(rc, text) says whether the detector
# fired; clean(rc, text) whether a fixed run is clean.
def _tsan_report(t):
    return "WARNING: ThreadSanitizer" in t


PITFALLS = [
    dict(id="task_leak_worker", program="task_leak", problem="Goroutine leak",
         buggy="worker_buggy", fixed=["worker_close", "worker_ctx"], presets=["release", "tsan", "asan"],
         what="a worker ranges over a jobs channel nobody closes",
         detector="task registry leak check (goleak's VerifyNone): live tasks vs. 1 after 1 s grace, "
                  "goc_tasks_report() with spawn and wait sites",
         fix="close(jobs) / select on ctx.Done() and cancel",
         fired=lambda rc, t: rc == 3 and "goc: task leak:" in t and "blocked in chan recv" in t,
         keys=LEAK_KEYS),
    dict(id="task_leak_bwp", program="task_leak", problem="Goroutine leak",
         buggy="bwp_buggy", fixed=["bwp_fixed"], presets=["release", "tsan", "asan"],
         what="the article's BenchmarkWorkerPool as written (3 iterations x 3 workers, jobs never closed)",
         detector="task registry (goc_tasks_live growth + goc_tasks_report while blocked)",
         fix="close(jobs) after sending, then wait for the workers",
         fired=lambda rc, t: rc == 3 and "tasks leaked by 3 iterations" in t and "bwp_worker() spawned at" in t,
         keys=LEAK_KEYS),
    dict(id="data_race_counter", program="data_race", problem="Race condition",
         buggy="counter_racy", fixed=["counter_mutex", "counter_chanlock"], presets=["tsan", "tsan-precise"],
         # coro's natural build synchronizes at every fiber switch (TESTING.md (b)): information there
         informational_on={"coro": ["tsan"]},
         what="the article's counter: 1000 tasks do counter++ on a plain int",
         detector="ThreadSanitizer: data race with both tasks' stacks and spawn sites (natural build; "
                  "tsan-precise too, where coro's fiber switches cannot hide it)",
         fix="sync.Mutex around counter++ / the value kept in a cap-1 channel",
         fired=lambda rc, t: rc == 66 and "WARNING: ThreadSanitizer: data race" in t and "inc_racy" in t,
         keys=TSAN_RACE_KEYS),
    dict(id="data_race_lost_updates", program="data_race", problem="Race condition",
         buggy="lost_updates", fixed=["contention_mutex", "counter_mutex"], presets=["release"],
         what="the article's counter (4 x 5 runs) and 4 tasks x 100000 counter++ (5 runs) on a plain int",
         detector="lost updates counted (release build, no sanitizer; information: depends on the schedule)",
         fix="sync.Mutex",
         env={"PIT_RUNS": "5"}, informational=True,
         fired=lambda rc, t: rc == 0 and re.search(r"lost updates: [1-9]\d* of", t) is not None,
         keys=[r"pitfall: lost updates: .*"]),
    dict(id="deadlock_cross", program="deadlock", problem="Deadlock",
         buggy="cross_buggy", fixed=["cross_fixed"], presets=["release", "tsan", "asan"],
         what="two tasks each wait to receive from the other's unbuffered channel first",
         detector="coro: runtime detector 'all tasks are asleep'; thread backends: watchdog "
                  "(every task blocked with no deadline on the same operations at two timed "
                  "looks 1 s apart, then the registry)",
         fix="a consistent order: one side sends first",
         fired=lambda rc, t: (rc == 2 and "all tasks are asleep - deadlock" in t) or
                             (rc == 3 and "goc: deadlock watchdog" in t and "(every task is blocked forever)" in t),
         keys=DEADLOCK_KEYS),
    dict(id="deadlock_wgdone", program="deadlock", problem="Deadlock",
         buggy="wgdone_buggy", fixed=["wgdone_fixed"], presets=["release", "tsan", "asan"],
         what="a worker forgets wg.Done(); main's wg.Wait() never returns",
         detector="coro: 'all tasks are asleep'; thread backends: watchdog + registry",
         fix="Done on every path (Go: defer wg.Done())",
         fired=lambda rc, t: (rc == 2 and "all tasks are asleep - deadlock" in t) or
                             (rc == 3 and "goc: deadlock watchdog" in t and "nothing left to call Done" in t),
         keys=DEADLOCK_KEYS),
    dict(id="lock_order", program="lock_order", problem="Deadlock",
         buggy="inversion_buggy", fixed=["ordered_fixed"], presets=["tsan"],
         what="task 1 locks A then B, later task 2 locks B then A (run sequentially: no hang)",
         detector="ThreadSanitizer deadlock detector: lock-order-inversion (goc_mutex announced "
                  "with __tsan_mutex_*)",
         fix="one global lock order (A before B everywhere)",
         fired=lambda rc, t: rc == 66 and "lock-order-inversion" in t,
         keys=LOCK_KEYS),
    dict(id="mem_leak_chan_ctx", program="mem_leak", problem="Memory leak",
         buggy="chan_ctx_buggy", fixed=["chan_ctx_fixed"], presets=["asan"],
         what="a channel and a context made and never freed (the context never canceled)",
         detector="LeakSanitizer (asan preset)",
         fix="goc_chan_free; goc_ctx_cancel + goc_ctx_free",
         fired=lambda rc, t: rc != 0 and "LeakSanitizer: detected memory leaks" in t and
                             "goc_chan_make" in t and "goc_ctx_with_cancel" in t,
         keys=LSAN_KEYS),
    dict(id="mem_leak_owning", program="mem_leak", problem="Memory leak",
         buggy="owning_buggy", fixed=["owning_fixed"], presets=["asan"],
         what="a channel of malloc'd messages freed with 2 still buffered",
         detector="LeakSanitizer (asan preset)",
         fix="goc_chan_set_dtor(ch, free_msg) before sharing",
         fired=lambda rc, t: rc != 0 and "LeakSanitizer: detected memory leaks" in t and "owning" in t,
         keys=LSAN_KEYS),
]


def clean_text(t):
    return t.replace(ROOT + "/", "")


def run(path, mode, preset, extra_env, timeout=120):
    env = dict(os.environ)
    env["TSAN_OPTIONS"] = TSAN_OPTIONS
    env["ASAN_OPTIONS"] = ASAN_OPTIONS
    env.pop("GOC_DEADLOCK", None)
    env.update(extra_env or {})
    t0 = time.monotonic()
    try:
        p = subprocess.run([path, mode], capture_output=True, text=True, timeout=timeout, env=env,
                           errors="replace")
        rc, text = p.returncode, p.stdout + p.stderr
    except subprocess.TimeoutExpired as e:
        out = e.stdout or ""
        err = e.stderr or ""
        if isinstance(out, bytes):
            out = out.decode(errors="replace")
        if isinstance(err, bytes):
            err = err.decode(errors="replace")
        rc, text = None, out + err + "\n[timeout after %ds]" % timeout
    return rc, clean_text(text), time.monotonic() - t0


def key_lines(text, keys, limit=6):
    out = []
    for k in keys:
        for line in text.splitlines():
            s = line.strip()
            if re.search(k, s) and s not in out:
                s = re.sub(r"\(\S+\+0x[0-9a-f]+\)", "", s)
                s = re.sub(r"\s*\(BuildId: [0-9a-f]+\)", "", s)
                s = re.sub(r"^==\d+==", "", s)
                s = re.sub(r"(#\d+) 0x[0-9a-f]+ in ", r"\1 ", s)
                s = re.sub(r" \(pid=\d+\)", "", s)
                out.append(s.strip())
                break
        if len(out) >= limit:
            break
    return out


def check_one(spec, bindir, preset, backend):
    path = os.path.join(bindir, "pit_%s-%s" % (spec["program"], backend))
    info = spec.get("informational", False) or preset in spec.get("informational_on", {}).get(backend, [])
    rec = dict(id=spec["id"], problem=spec["problem"], preset=preset, backend=backend,
               buggy=spec["buggy"], fixed=spec["fixed"], informational=info)
    if not os.access(path, os.X_OK):
        rec.update(status="missing", ok=False, note="no program %s" % os.path.basename(path))
        return rec
    rc, text, dt = run(path, spec["buggy"], preset, spec.get("env"))
    fired = bool(spec["fired"](rc, text))
    rec.update(buggy_exit=rc, fired=fired, key_lines=key_lines(text, spec["keys"]), buggy_seconds=round(dt, 2))
    if not fired:
        rec["buggy_tail"] = text.splitlines()[-15:]
    fixed = []
    for m in spec["fixed"]:
        frc, ftext, fdt = run(path, m, preset, spec.get("env"))
        silent = not _tsan_report(ftext) and "LeakSanitizer" not in ftext and "goc: task leak:" not in ftext and \
            "deadlock watchdog" not in ftext and "all tasks are asleep" not in ftext
        ok = frc == 0 and silent
        entry = dict(mode=m, exit=frc, clean=ok, seconds=round(fdt, 2),
                     lines=[l for l in ftext.splitlines() if l.startswith("pitfall:")][-2:])
        if not ok:
            entry["tail"] = ftext.splitlines()[-15:]
        fixed.append(entry)
    rec["fixed_runs"] = fixed
    all_clean = all(f["clean"] for f in fixed)
    rec["ok"] = all_clean and (fired or rec["informational"])
    return rec


def render_md(recs, backends):
    lines = ["## The pitfalls table, reproduced (TESTING.md (e))", "",
             "Each row: a buggy program (the detector must fire) and its fix (the detector must stay "
             "silent and the result be exact), run per backend as child processes. "
             "`./run_all.sh pitfalls`; program sources in races/pitfalls/.", "",
             "| Problem | Buggy program | Detector | " + " | ".join(backends) + " | Fix | Clean result |",
             "|---|---|---|" + "---|" * len(backends) + "---|---|"]
    for spec in PITFALLS:
        rs = [r for r in recs if r["id"] == spec["id"]]
        if not rs:
            continue
        presets = sorted({r["preset"] for r in rs})
        cells = []
        for b in backends:
            br = {r["preset"]: r for r in rs if r["backend"] == b}
            if not br:
                cells.append("–")
                continue
            marks = []
            for pr in spec["presets"]:
                r = br.get(pr)
                if not r:
                    continue
                if r.get("status") == "missing":
                    marks.append("%s: not built" % pr)
                elif r["fired"]:
                    marks.append("%s: fired (exit %s)" % (pr, r["buggy_exit"]))
                else:
                    marks.append("%s: %s (exit %s)" % (pr, "not fired (information)" if r["informational"]
                                                       else "**NOT FIRED**", r["buggy_exit"]))
            shown = next((br[pr] for pr in spec["presets"] if pr in br and br[pr].get("key_lines")), None)
            kl = ["`%s`" % k.replace("|", "\\|")[:150] for k in (shown["key_lines"][:5] if shown else [])]
            cells.append("<br>".join(["; ".join(marks)] + kl))
        clean = []
        for r in rs:
            if r.get("status") == "missing":
                continue
            bad = [f["mode"] for f in r["fixed_runs"] if not f["clean"]]
            if bad:
                clean.append("**%s/%s: %s not clean**" % (r["backend"], r["preset"], ",".join(bad)))
        ok_runs = sum(len(r.get("fixed_runs", [])) for r in rs) - sum(
            1 for r in rs for f in r.get("fixed_runs", []) if not f["clean"])
        clean_txt = ("; ".join(clean) if clean else "clean: %d/%d fixed runs (%s), exit 0, no report" % (
            ok_runs, ok_runs, ", ".join(spec["fixed"])))
        lines.append("| %s | `%s` (%s) — %s | %s | %s | %s | %s |" % (
            spec["problem"], spec["buggy"], "pit_%s.c" % spec["program"], spec["what"], spec["detector"],
            " | ".join(cells), spec["fix"], clean_txt))
    lines += ["", "Presets: release = gcc -O2; tsan = clang 14 ThreadSanitizer (natural build); "
              "tsan-precise = the same with backend internals hidden (GOC_TSAN_PRECISE); "
              "asan = clang 14 ASan + LSan. Exit statuses: 3 goc detector (leak check / watchdog), "
              "2 coro's runtime deadlock detector (goc_main returned -EDEADLK), 66 TSan report, "
              "1 LeakSanitizer (ASan's exit code). Lost updates depend on the schedule (coro runs "
              "each task to completion unless it blocks), so that row is information only."]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin")
    ap.add_argument("--preset", choices=["release", "tsan", "tsan-precise", "asan"])
    ap.add_argument("--set", action="append", default=[], metavar="PRESET=DIR")
    ap.add_argument("--backend", action="append", default=[])
    ap.add_argument("--problem", help="program name (task_leak, data_race, ...) or row id")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--md")
    a = ap.parse_args()
    sets = []
    if a.bin:
        if not a.preset:
            ap.error("--bin needs --preset")
        sets.append((a.preset, a.bin))
    for s in a.set:
        p, _, d = s.partition("=")
        sets.append((p, d))
    if not sets:
        ap.error("give --bin/--preset or --set")
    backends = []
    for b in a.backend:
        backends += [x for x in b.split(",") if x]
    recs = []
    for preset, d in sets:
        bks = backends or sorted({re.sub(r"^pit_\w+?-", "", f) for f in os.listdir(d) if f.startswith("pit_")})
        for spec in PITFALLS:
            if preset not in spec["presets"]:
                continue
            if a.problem and a.problem not in (spec["program"], spec["id"]):
                continue
            for b in bks:
                r = check_one(spec, d, preset, b)
                recs.append(r)
                fixed_txt = ", ".join("%s %s" % (f["mode"], "clean" if f["clean"] else "NOT CLEAN (exit %s)" % f["exit"])
                                      for f in r.get("fixed_runs", []))
                print("%s %-22s %-8s %-7s buggy %s: %s (exit %s); fixed: %s" % (
                    "ok  " if r["ok"] else "FAIL", r["id"], b, preset, r["buggy"],
                    "fired" if r.get("fired") else "not fired", r.get("buggy_exit"), fixed_txt), flush=True)
                for k in r.get("key_lines", [])[:3]:
                    print("      | " + k)
                if not r["ok"]:
                    for l in r.get("buggy_tail", []) + [l for f in r.get("fixed_runs", []) for l in f.get("tail", [])]:
                        print("      > " + l)
    if not recs:
        print("check_pitfalls: nothing applies to this preset/problem", file=sys.stderr)
        return 2
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"results": recs}, f, indent=1)
    if a.md:
        order = [b for b in ("pthread", "lockfree", "coro") if any(r["backend"] == b for r in recs)]
        order += sorted({r["backend"] for r in recs} - set(order))
        with open(a.md, "w") as f:
            f.write(render_md(recs, order))
    bad = [r for r in recs if not r["ok"]]
    print("check_pitfalls: %d checks, %d failed" % (len(recs), len(bad)))
    return 1 if (a.check and bad) else 0


if __name__ == "__main__":
    sys.exit(main())
