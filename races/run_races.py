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

Go ports (races/go/, programs race_go_<file>-<backend>): the expectation
comes from the test name (TestRace* must race, TestNoRace* must not); Race
tests are mode P (required in the precise build, counted in the natural
one), NoRace tests mode N (required in both). They run with
GOC_TSAN_STRICT=1 in the precise build: Go's detector also checks the
channel object itself (send reads it, close writes it).

--repeat N runs every case N times (one process each). A case is stable
iff all N outcomes agree; a required case whose outcome varies fails, and
every varying case is listed ("varies: ...").

Usage:
  run_races.py --bin DIR --build natural|precise [--backend B ...] [--check]
               [--suite rows|go|all] [--only PREFIX] [--repeat N]
               [-j N] [--json OUT] [--md OUT] [--quiet]
               [--go-verdicts FILE --parity-json OUT --parity-md OUT]
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
GO_PROG_RE = re.compile(r"^race_go_(\w+)-([a-z0-9]+)$")
RACE_RE = re.compile(r"WARNING: ThreadSanitizer: (data race|race on)")
OTHER_RE = re.compile(r"WARNING: ThreadSanitizer: (?!data race|race on)(.*)")
CHECK_RE = re.compile(r"ThreadSanitizer: CHECK failed|FATAL: ThreadSanitizer|ThreadSanitizer:DEADLYSIGNAL")
SUMMARY_RE = re.compile(r"^SUMMARY: ThreadSanitizer: .*$", re.M)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def list_programs(bindir, backends, suite="rows", only=None):
    """(program, expect_race, row, backend): expect_race None = per case
    from the name (Go ports, row "GO")."""
    progs = []
    for f in sorted(os.listdir(bindir)):
        if not os.access(os.path.join(bindir, f), os.X_OK) or (only and not f.startswith(only)):
            continue
        g = GO_PROG_RE.match(f)
        m = PROG_RE.match(f)
        if g and suite in ("go", "all"):
            if not backends or g.group(2) in backends:
                progs.append((f, None, "GO", g.group(2)))
        elif m and not g and suite in ("rows", "all"):
            if not backends or m.group(3) in backends:
                progs.append((f, m.group(1) == "race", m.group(2).upper(), m.group(3)))
    return progs


def case_id(prog, sub):
    """race_go_chan-coro + TestX -> race_go/chan/TestX; others prog/sub."""
    base = re.sub(r"-[a-z0-9]+$", "", prog)
    g = re.match(r"^race_go_(\w+)$", base)
    if g:
        return "race_go/%s/%s" % (g.group(1), sub)
    return "%s/%s" % (base, sub)


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


def is_required(expect_race, backend, build, mode, chan):
    if backend == "busted":
        # negative control: required to be caught on channel no-race cases
        return bool((not expect_race) and chan)
    if backend == "coro" and build == "natural" and expect_race:
        # TESTING.md (b): natural coro keeps only the no-race N rows (its
        # synchronizing fiber switches hide races between tasks on a worker)
        return False
    return build == "precise" or mode == "N"


def run_case(job, symbolize=True):
    path, prog, sub, expect_race, row, backend, build, mode, chan, timeout = job
    env = dict(os.environ, TSAN_OPTIONS=TSAN_OPTIONS + ("" if symbolize else " symbolize=0"))
    if backend == "busted":
        # negative control: the first report is the verdict; a broken channel
        # may also lose values and hang, so stop at the first report
        env["TSAN_OPTIONS"] = env["TSAN_OPTIONS"].replace("halt_on_error=0", "halt_on_error=1")
    env.pop("GOC_FUZZ", None)
    if mode == "X" or (row == "GO" and build == "precise"):
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
    required = is_required(expect_race, backend, build, mode, chan)
    # busted, the negative control, is required to be caught on channel
    # no-race cases
    verdict = (not ok) if (backend == "busted" and required) else ok
    return {
        "case": case_id(prog, sub),
        "row": row, "backend": backend, "build": build, "mode": mode,
        "chan": chan, "expected": "race" if expect_race else "no race",
        "observed": observed, "first_report_line": first, "required": bool(required),
        "pass": bool(verdict), "races_reported": races, "seconds": round(dt, 3),
    }


def run_repeated(job_n):
    """Runs one case n times; the record of the first run that failed (or
    the first), with runs, outcomes (observed -> count), stable, and pass
    only if every run passed."""
    job, n, symbolize = job_n
    # only the first run symbolizes its reports (symbolizing costs ~1.5 s a
    # report on a loaded 2-core machine; the verdict does not need it)
    recs = [run_case(job, symbolize=(symbolize and i == 0)) for i in range(n)]
    if not symbolize and not all(r["pass"] for r in recs):
        # the report line of a failure, symbolized; the verdict is unchanged
        again = run_case(job, symbolize=True)
        for r in recs:
            if not r["pass"]:
                r["first_report_line"] = again["first_report_line"] + " (from a symbolized rerun)"
                break
    outcomes = {}
    for r in recs:
        outcomes[r["observed"]] = outcomes.get(r["observed"], 0) + 1
    failed = [r for r in recs if not r["pass"]]
    rec = dict(failed[0] if failed else recs[0])
    rec["runs"] = n
    rec["outcomes"] = outcomes
    rec["stable"] = len(outcomes) == 1
    rec["pass"] = not failed
    rec["passed_runs"] = n - len(failed)
    rec["seconds"] = round(sum(r["seconds"] for r in recs), 3)
    return rec


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
    ap.add_argument("--suite", choices=["rows", "go", "all"], default="rows",
                    help="rows: R01-R34; go: the Go ports; all: both")
    ap.add_argument("--only", help="programs whose name starts with this")
    ap.add_argument("--repeat", type=int, default=1, help="runs per case (stable iff all agree)")
    ap.add_argument("--no-symbolize", action="store_true",
                    help="no symbolized reports (faster; a failed case is rerun once, symbolized, "
                         "for its report line only: the verdict stays the first run's)")
    ap.add_argument("--required-only", action="store_true",
                    help="skip the cases whose outcome is only informational (CI)")
    ap.add_argument("--go-verdicts", help="go_verdicts.py's JSON (Go's own verdict per test)")
    ap.add_argument("--parity-json")
    ap.add_argument("--parity-md")
    a = ap.parse_args()
    if a.only and a.only.startswith("race_go_") and a.suite == "rows":
        a.suite = "go"
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
        for prog, expect_race, row, backend in list_programs(d, backends, a.suite, a.only):
            path = os.path.join(d, prog)
            for sub, mode, chan in list_cases(path):
                timeout = min(a.timeout, 10.0) if backend == "busted" else a.timeout
                exp = expect_race if expect_race is not None else sub.startswith("TestRace")
                if a.required_only and not is_required(exp, backend, build, mode, chan):
                    continue
                jobs.append(((path, prog, sub, exp, row, backend, build, mode, chan, timeout),
                             max(1, a.repeat), not a.no_symbolize))
    if not jobs:
        print("run_races: no case programs found", file=sys.stderr)
        return 2
    t0 = time.monotonic()
    results = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.j)) as ex:
        for r in ex.map(run_repeated, jobs):
            results.append(r)
            if not a.quiet or (r["required"] and not r["pass"]) or not r["stable"]:
                tag = "PASS" if r["pass"] else "FAIL"
                req = "req " if r["required"] else "info"
                var = ""
                if not r["stable"]:
                    var = "  varies: " + ", ".join("%s %d/%d" % (k, v, r["runs"])
                                                   for k, v in sorted(r["outcomes"].items()))
                print("%s %s %-8s %-7s %-55s %s expected %-7s observed %s%s%s" % (
                    tag, req, r["backend"], r["build"], r["case"], r["mode"], r["expected"], r["observed"],
                    ("  | " + r["first_report_line"]) if r["first_report_line"] and not r["pass"] else "",
                    var), flush=True)
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
    varying = [r for r in results if not r["stable"]]
    print("run_races: %d cases x %d run(s) in %.1f s, %d required outcome(s) not met, %d case(s) varied%s" % (
        len(results), max(1, a.repeat), wall, len(failed_required), len(varying),
        "".join("\n  varies: %s %s %s: %s" % (r["backend"], r["build"], r["case"], r["outcomes"])
                for r in varying)))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"tsan_options": TSAN_OPTIONS, "wall_seconds": round(wall, 1), "repeat": max(1, a.repeat),
                       "results": results}, f, indent=1)
    if a.parity_json or a.parity_md:
        import race_parity  # races/race_parity.py
        go = race_parity.load_go_verdicts(a.go_verdicts)
        par = race_parity.build([r for r in results if r["row"] == "GO"], go, max(1, a.repeat))
        if a.parity_json:
            with open(a.parity_json, "w") as f:
                json.dump(par, f, indent=1)
        if a.parity_md:
            with open(a.parity_md, "w") as f:
                f.write(race_parity.markdown(par))
        for line in race_parity.totals_lines(par):
            print(line)
        if a.check and not par["required_met"]:
            print("run_races: race parity: required agreement not met", file=sys.stderr)
            return 1
    if a.md:
        with open(a.md, "w") as f:
            f.write(markdown(results, wall))
    return 1 if (a.check and failed_required) else 0


if __name__ == "__main__":
    sys.exit(main())
