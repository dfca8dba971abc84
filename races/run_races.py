#!/usr/bin/python3
"""Runs goc's race / no-race suite (TESTING.md (b)) and judges TSan's output.

Each program bin/<race|norace>_rNN_<what>-<backend> lists its subcases with
--list ("name mode chan") and runs one per process. A subcase passes iff
ThreadSanitizer printed a data race ("data race" / "race on") exactly when
the program's name starts with race_, and nothing else went wrong: any other
TSan report (lock-order-inversion, thread leak, bad unlock, ...), a TSan
CHECK failure, a crash, a failed check of the case itself (exit 1) or a
timeout fails it.

Required (what --check enforces):
  precise build: every subcase (modes N, P, X; X runs with GOC_TSAN_STRICT=1);
  natural build: every N subcase (P and X are logged as information:
                 TESTING.md's "detection rate" of the natural build); on coro
                 only the no-race N subcases (its fiber switches synchronize).
The busted backend is the negative control: it is required to FAIL every
no-race subcase that synchronizes through a channel (chan == 1), in both
builds; its other subcases are information. It runs with halt_on_error=1
and a 10 s timeout (its channel loses values, so a case may hang).

Usage:
  run_races.py --bin DIR --build natural|precise [--backend B ...] [--check]
               [-j N] [--json OUT] [--md OUT] [--quiet]
  run_races.py --set natural=DIR --set precise=DIR ...   (several builds)
Exit status: 0, or 1 with --check when a required outcome was not met.
Python 3 standard library only.
"""
import argparse
import concurrent.futures
import json
import os
import re
import subprocess
import sys
import time

TSAN_OPTIONS = ("exitcode=66 halt_on_error=0 atexit_sleep_ms=0 suppress_equal_stacks=0 "
                "second_deadlock_stack=1 history_size=4")
PROG_RE = re.compile(r"^((?:no)?race)_(r\d\d)\w*-([a-z0-9]+)$")
RACE_RE = re.compile(r"WARNING: ThreadSanitizer: (data race|race on)")
OTHER_RE = re.compile(r"WARNING: ThreadSanitizer: (?!data race|race on)(.*)")
CHECK_RE = re.compile(r"ThreadSanitizer: CHECK failed|FATAL: ThreadSanitizer|ThreadSanitizer:DEADLYSIGNAL")
SUMMARY_RE = re.compile(r"^SUMMARY: ThreadSanitizer: .*$", re.M)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def list_programs(bindir, backends):
    progs = []
    for f in sorted(os.listdir(bindir)):
        m = PROG_RE.match(f)
        if not m or not os.access(os.path.join(bindir, f), os.X_OK):
            continue
        if backends and m.group(3) not in backends:
            continue
        progs.append((f, m.group(1) == "race", m.group(2).upper(), m.group(3)))
    return progs


def list_cases(path):
    out = subprocess.run([path, "--list"], capture_output=True, text=True, timeout=60,
                         env=dict(os.environ, TSAN_OPTIONS=TSAN_OPTIONS))
    if out.returncode != 0:
        raise RuntimeError("%s --list failed: %s" % (path, out.stderr.strip()))
    cases = []
    for line in out.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3:
            cases.append((parts[0], parts[1], parts[2] == "1"))
    return cases


def run_case(job):
    path, prog, sub, expect_race, row, backend, build, mode, chan, timeout = job
    env = dict(os.environ, TSAN_OPTIONS=TSAN_OPTIONS)
    if backend == "busted":
        # negative control: the first report is the verdict; a broken channel
        # may also lose values and hang, so stop at the first report
        env["TSAN_OPTIONS"] = TSAN_OPTIONS.replace("halt_on_error=0", "halt_on_error=1")
    env.pop("GOC_FUZZ", None)
    if mode == "X":
        env["GOC_TSAN_STRICT"] = "1"
    if row == "R34":
        env["GOC_PROCS"] = "1"
    t0 = time.monotonic()
    try:
        p = subprocess.run([path, sub], capture_output=True, text=True, timeout=timeout, env=env,
                           errors="replace")
        text, rc = p.stdout + p.stderr, p.returncode
    except subprocess.TimeoutExpired as e:
        text = ((e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")) + \
               ((e.stderr or b"").decode(errors="replace") if isinstance(e.stderr, bytes) else (e.stderr or ""))
        rc = None
    dt = time.monotonic() - t0
    races = len(RACE_RE.findall(text))
    others = OTHER_RE.findall(text)
    tsan_check = CHECK_RE.search(text)
    if rc is None:
        observed = "timeout"
    elif tsan_check:
        observed = "tsan CHECK/fatal"
    elif rc < 0:
        observed = "crash (signal %d)" % -rc
    elif others:
        observed = "other report: " + others[0].strip()
    elif rc == 1 or "race-suite: " in text and rc not in (0, 66):
        observed = "case failed (exit %d)" % rc
    elif rc not in (0, 66):
        observed = "exit %d" % rc
    elif races:
        observed = "race"
    else:
        observed = "no race"
    if rc == 66 and not races and not others and observed == "race":
        observed = "exit 66 without report"
    m = SUMMARY_RE.search(text)
    first = m.group(0) if m else ""
    first = re.sub(r"\s*\(BuildId: [0-9a-f]+\)", "", first.replace(ROOT + "/", ""))
    if not first:
        for line in text.splitlines():
            if "ThreadSanitizer" in line or "race-suite: check" in line or "returned" in line:
                first = line.strip()
                break
    ok = observed == ("race" if expect_race else "no race")
    if backend == "busted":
        # negative control: required to be caught on channel no-race cases
        required = (not expect_race) and chan
        verdict = (not ok) if required else ok
    else:
        required = build == "precise" or mode == "N"
        if backend == "coro" and build == "natural" and expect_race:
            # TESTING.md (b): natural coro keeps only the no-race N rows (its
            # synchronizing fiber switches hide races between tasks on a worker)
            required = False
        verdict = ok
    return {
        "case": "%s/%s" % (re.sub(r"-[a-z0-9]+$", "", prog), sub),
        "row": row, "backend": backend, "build": build, "mode": mode,
        "chan": chan, "expected": "race" if expect_race else "no race",
        "observed": observed, "first_report_line": first, "required": bool(required),
        "pass": bool(verdict), "races_reported": races, "seconds": round(dt, 3),
    }


def markdown(results, wall):
    keys = sorted({(r["backend"], r["build"]) for r in results})
    lines = ["## Race / no-race suite (TESTING.md (b))", "",
             "A case passes when TSan reports a data race exactly for `race_*` cases and nothing "
             "else goes wrong. Required: every case in the precise build, every N case in the "
             "natural build; busted (negative control) must FAIL every no-race channel case.", "",
             "| backend | build | required passed | informational passed | verdict |",
             "|---|---|---|---|---|"]
    for b, bd in keys:
        rs = [r for r in results if r["backend"] == b and r["build"] == bd]
        req = [r for r in rs if r["required"]]
        inf = [r for r in rs if not r["required"]]
        verdict = "ok" if all(r["pass"] for r in req) else "FAILED"
        if b == "busted":
            verdict = ("caught (%d/%d no-race channel cases fail)" % (sum(r["pass"] for r in req), len(req))
                       if all(r["pass"] for r in req) else "NOT caught")
        lines.append("| %s | %s | %d/%d | %d/%d | %s |" % (
            b, bd, sum(r["pass"] for r in req), len(req), sum(r["pass"] for r in inf), len(inf), verdict))
    lines += ["", "Wall time: %.1f s." % wall, "",
              "| case | row | mode | expected | " + " | ".join("%s %s" % k for k in keys) + " |",
              "|---|---|---|---|" + "---|" * len(keys)]
    by_case = {}
    for r in results:
        by_case.setdefault((r["row"], r["case"]), {})[(r["backend"], r["build"])] = r
    for (row, case), d in sorted(by_case.items()):
        any_r = next(iter(d.values()))
        cells = []
        for k in keys:
            r = d.get(k)
            if not r:
                cells.append("–")
                continue
            mark = "pass" if r["pass"] else "**FAIL**"
            if r["backend"] == "busted" and r["required"]:
                mark = "caught" if r["pass"] else "**NOT CAUGHT**"
            if not r["required"]:
                mark = "(%s)" % ("pass" if r["pass"] else "fail")
            if r["observed"] not in ("race", "no race"):
                mark += ": " + r["observed"]
            elif not r["pass"] or not r["required"]:
                mark += ": " + r["observed"]
            cells.append(mark)
        lines.append("| %s | %s | %s | %s | %s |" % (case, row, any_r["mode"], any_r["expected"], " | ".join(cells)))
    lines += ["", "R30 (cond/notify) is not applicable: goc exports no condition variable. "
              "R34 is built for the coro backend only."]
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", help="directory with the case programs")
    ap.add_argument("--build", choices=["natural", "precise"])
    ap.add_argument("--set", action="append", default=[], metavar="BUILD=DIR")
    ap.add_argument("--backend", action="append", default=[])
    ap.add_argument("--check", action="store_true")
    ap.add_argument("-j", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--json")
    ap.add_argument("--md")
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    sets = []
    if a.bin:
        if not a.build:
            ap.error("--bin needs --build")
        sets.append((a.build, a.bin))
    for s in a.set:
        b, _, d = s.partition("=")
        if b not in ("natural", "precise") or not d:
            ap.error("--set BUILD=DIR with BUILD natural or precise")
        sets.append((b, d))
    if not sets:
        ap.error("nothing to run: give --bin/--build or --set")
    backends = set()
    for b in a.backend:
        backends.update(x for x in b.split(",") if x)

    jobs = []
    for build, d in sets:
        if not os.path.isdir(d):
            print("run_races: no directory %s" % d, file=sys.stderr)
            return 2
        for prog, expect_race, row, backend in list_programs(d, backends):
            path = os.path.join(d, prog)
            for sub, mode, chan in list_cases(path):
                timeout = min(a.timeout, 10.0) if backend == "busted" else a.timeout
                jobs.append((path, prog, sub, expect_race, row, backend, build, mode, chan, timeout))
    if not jobs:
        print("run_races: no case programs found", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.j)) as ex:
        for r in ex.map(run_case, jobs):
            results.append(r)
            if not a.quiet or (r["required"] and not r["pass"]):
                tag = "PASS" if r["pass"] else "FAIL"
                req = "req " if r["required"] else "info"
                print("%s %s %-8s %-7s %-55s %s expected %-7s observed %s%s" % (
                    tag, req, r["backend"], r["build"], r["case"], r["mode"], r["expected"], r["observed"],
                    ("  | " + r["first_report_line"]) if r["first_report_line"] and not r["pass"] else ""),
                    flush=True)
    wall = time.monotonic() - t0
    # summary
    failed_required = [r for r in results if r["required"] and not r["pass"]]
    keys = sorted({(r["backend"], r["build"]) for r in results})
    for b, bd in keys:
        rs = [r for r in results if r["backend"] == b and r["build"] == bd]
        req = [r for r in rs if r["required"]]
        inf = [r for r in rs if not r["required"]]
        print("summary %-8s %-7s required %d/%d pass, informational %d/%d pass%s" % (
            b, bd, sum(r["pass"] for r in req), len(req), sum(r["pass"] for r in inf), len(inf),
            " (negative control: required = caught)" if b == "busted" else ""))
    print("run_races: %d cases in %.1f s, %d required outcome(s) not met" % (len(results), wall, len(failed_required)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"tsan_options": TSAN_OPTIONS, "wall_seconds": round(wall, 1), "results": results}, f, indent=1)
    if a.md:
        with open(a.md, "w") as f:
            f.write(markdown(results, wall))
    return 1 if (a.check and failed_required) else 0


if __name__ == "__main__":
    sys.exit(main())
