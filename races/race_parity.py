#!/usr/bin/python3
"""Race parity with Go's own detector on Go's own tests (races/go/README.md).

Builds race-parity.json / race-parity.md from run_races.py's records of the
Go ports (row "GO") and go_verdicts.py's measured Go verdicts. Used by
run_races.py (--parity-json/--parity-md); python3 standard library only.

Verdict of a port on one backend and build: the outcome of its N runs
("race", "no race", or a failure such as "timeout") if all N agree,
otherwise "varies". It agrees with Go when it equals Go's verdict measured
here (or, when Go was not run, the verdict in the test's name).
Required (required_met):
  precise build: every port agrees with Go, stable, on every real backend;
  natural build: every NoRace port is clean and stable on every real backend
                 (a Race port that comes out clean there is "hidden by the
                 implementation's own synchronization": allowed, counted).
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = "goc-race-parity/1"
REAL = ("pthread", "lockfree", "coro")


def load_go_verdicts(path):
    if not path or not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def not_portable():
    """Rows of the table under '## Not portable' in races/go/README.md:
    | Test | file | reason |."""
    rows, on = [], False
    try:
        with open(os.path.join(HERE, "go", "README.md")) as f:
            for line in f:
                if line.startswith("## "):
                    on = line.strip().lower().startswith("## not portable")
                    continue
                m = re.match(r"^\|\s*`?(Test\w+)`?\s*\|\s*([\w.]+)\s*\|\s*(.+?)\s*\|\s*$", line)
                if on and m:
                    rows.append({"test": m.group(1), "file": m.group(2).replace("_test.go", ""),
                                 "reason": m.group(3)})
    except OSError:
        pass
    return rows


def verdict_of(rec):
    if rec is None:
        return None
    if not rec.get("stable", True):
        return "varies"
    return rec["observed"]


def build(results, go, runs):
    go_tests = (go or {}).get("tests", {})
    by_test = {}
    backends, builds = set(), set()
    for r in results:
        if r["backend"] not in REAL:
            continue
        _, fname, test = r["case"].split("/", 2)
        backends.add(r["backend"])
        builds.add(r["build"])
        t = by_test.setdefault(test, {"test": test, "file": fname, "expected": r["expected"], "results": {}})
        t["results"].setdefault(r["backend"], {})[r["build"]] = r
    tests, required_met = [], True
    def zero():
        return {b: {bd: {"ported": 0, "agree": 0, "stable": 0, "agree_stable": 0, "norace": 0,
                         "norace_clean": 0, "race": 0, "race_reported": 0,
                         "race_hidden": 0}
                    for bd in sorted(builds)} for b in sorted(backends)}
    # totals: Go's tests; extra_totals: the rows beyond Go's suite (extra.c)
    totals, extra_totals = zero(), zero()
    for name in sorted(by_test, key=lambda n: (by_test[n]["file"], n)):
        t = by_test[name]
        g = go_tests.get(name)
        go_v = g["verdict"] if g else None
        ref = go_v or t["expected"]
        origin = "extra" if t["file"] == "extra" else "go"
        row = {"test": name, "file": t["file"], "origin": origin, "expected": t["expected"], "go": go_v,
               "go_surprise": bool(go_v and go_v != t["expected"]), "results": {}}
        for b, per in sorted(t["results"].items()):
            for bd, rec in sorted(per.items()):
                v = verdict_of(rec)
                stable = rec.get("stable", True)
                agree = v == ref
                row["results"].setdefault(b, {})[bd] = {
                    "verdict": v, "stable": stable, "agree": agree, "runs": rec.get("runs", 1),
                    "outcomes": rec.get("outcomes", {rec["observed"]: 1}), "mode": rec.get("mode")}
                tot = (extra_totals if origin == "extra" else totals)[b][bd]
                tot["ported"] += 1
                tot["agree"] += agree
                tot["stable"] += stable
                tot["agree_stable"] += agree and stable
                if t["expected"] == "no race":
                    tot["norace"] += 1
                    tot["norace_clean"] += v == "no race"
                else:
                    tot["race"] += 1
                    tot["race_reported"] += v == "race"
                    tot["race_hidden"] += v == "no race"
                if bd == "precise" and not (agree and stable):
                    required_met = False
                if bd == "natural" and t["expected"] == "no race" and v != "no race":
                    required_met = False
        tests.append(row)
    return {
        "schema": SCHEMA,
        "runs_per_case": runs,
        "go_version": (go or {}).get("go_version"),
        "go_measured": go is not None,
        "backends": sorted(backends),
        "builds": sorted(builds),
        "tests": tests,
        "not_portable": not_portable(),
        "totals": totals,
        "extra_totals": extra_totals,
        "required_met": required_met and bool(tests),
    }


def totals_lines(par):
    ngo = sum(1 for t in par["tests"] if t["origin"] == "go")
    out = ["race parity (%d Go tests ported, %d not portable, %d rows beyond Go, %d run(s) each):" % (
        ngo, len(par["not_portable"]), len(par["tests"]) - ngo, par["runs_per_case"])]
    for label, tots in (("Go", par["totals"]), ("extra", par["extra_totals"])):
        for b, per in tots.items():
            for bd, t in per.items():
                out.append("  %-5s %-8s %-7s agree %d/%d, stable %d/%d, agree+stable %d/%d; NoRace clean "
                           "%d/%d; Race reported %d/%d (hidden %d)" % (
                               label, b, bd, t["agree"], t["ported"], t["stable"], t["ported"],
                               t["agree_stable"], t["ported"], t["norace_clean"], t["norace"],
                               t["race_reported"], t["race"], t["race_hidden"]))
    surprises = [t["test"] for t in par["tests"] if t["go_surprise"]]
    out.append("  Go's own verdict differs from the test name: %s" % (", ".join(surprises) or "none"))
    out.append("  required (precise: all agree and stable; natural: every NoRace clean): %s" % (
        "met" if par["required_met"] else "NOT MET"))
    return out


def markdown_totals(par):
    """The totals only: what summary.md shows (the table is race-parity.md)."""
    md = markdown(par)
    head = md.split("\n| file | test | Go |")[0]
    return head.rstrip() + "\n\nPer test: race-parity.md (and race-parity.json).\n"


def markdown(par):
    keys = [(b, bd) for b in par["backends"] for bd in par["builds"]]
    L = ["## Race parity with Go's detector (Go 1.19 runtime/race/testdata)", "",
         "Each port runs %d time(s) per backend and build; a verdict is stable when all runs agree. "
         "Go's verdict is measured here (`go test -race -run '^Name$'`, %s)." % (
             par["runs_per_case"], par["go_version"] or "not measured: the name's verdict is used"),
         "Required: precise build 100%% agreement with Go and stable on every backend; natural build "
         "every NoRace test clean (a race hidden by the implementation's own synchronization is allowed "
         "and counted). Required: **%s**." % ("met" if par["required_met"] else "NOT MET"), "",
         "| backend | build | ported | agree with Go | stable | agree and stable | NoRace clean | "
         "Race reported | Race hidden |", "|---|---|---|---|---|---|---|---|---|"]
    for b, bd in keys:
        t = par["totals"][b][bd]
        L.append("| %s | %s | %d | %d | %d | %d | %d/%d | %d/%d | %d |" % (
            b, bd, t["ported"], t["agree"], t["stable"], t["agree_stable"], t["norace_clean"], t["norace"],
            t["race_reported"], t["race"], t["race_hidden"]))
    L += ["", "Rows beyond Go's suite (races/go/extra.c: the article's counter, WaitGroup misuse, "
          "Once, Cond), verdict from the name:", "",
          "| backend | build | rows | as named | stable | NoRace clean | Race reported |",
          "|---|---|---|---|---|---|---|"]
    for b, bd in keys:
        t = par["extra_totals"][b][bd]
        L.append("| %s | %s | %d | %d | %d | %d/%d | %d/%d |" % (
            b, bd, t["ported"], t["agree"], t["stable"], t["norace_clean"], t["norace"], t["race_reported"],
            t["race"]))
    surprises = [t for t in par["tests"] if t["go_surprise"]]
    L += ["", "Tests where Go's own verdict differs from the name: %s." % (
        ", ".join("`%s` (Go: %s)" % (t["test"], t["go"]) for t in surprises) or "none"), ""]
    L += ["| file | test | Go | " + " | ".join("%s %s" % k for k in keys) + " |",
          "|---|---|---|" + "---|" * len(keys)]
    for t in par["tests"]:
        cells = []
        for b, bd in keys:
            x = t["results"].get(b, {}).get(bd)
            if not x:
                cells.append("–")
                continue
            mark = x["verdict"]
            if not x["stable"]:
                mark = "**varies** " + ", ".join("%s %d" % kv for kv in sorted(x["outcomes"].items()))
            elif not x["agree"]:
                mark = "**%s**" % mark if bd == "precise" or t["expected"] == "no race" else "(%s)" % mark
            cells.append(mark)
        gocol = t["go"] or ("beyond Go: %s" if t["origin"] == "extra" else "(%s)") % t["expected"]
        L.append("| %s | %s | %s | %s |" % (t["file"], t["test"], gocol,
                                             " | ".join(cells)))
    if par["not_portable"]:
        L += ["", "Not portable (races/go/README.md):", "", "| test | file | reason |", "|---|---|---|"]
        L += ["| %s | %s | %s |" % (n["test"], n["file"], n["reason"]) for n in par["not_portable"]]
    return "\n".join(L) + "\n"


if __name__ == "__main__":
    import sys
    if len(sys.argv) == 3 and sys.argv[1] == "--totals-md":
        with open(sys.argv[2]) as f:
            sys.stdout.write(markdown_totals(json.load(f)))
        sys.exit(0)
    print("usage: race_parity.py --totals-md race-parity.json  (run_races.py builds the files)",
          file=sys.stderr)
    sys.exit(2)
