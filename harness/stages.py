#!/usr/bin/python3
"""Stage bookkeeping of a run folder (RUN/stages.json), for run_all.sh.

usage:
  stages.py current ROOT COMMIT HOST     print the newest run folder under ROOT
                                         made on HOST at COMMIT (exit 1: none)
  stages.py plan RUN COMMIT HOST STAGE... [-- ARGS...]
                                         record the stages the whole job will run
                                         (and its options, for --resume)
  stages.py record RUN NAME STATUS RC SECONDS COMMIT HOST [-- ARGS...]
                                         one stage's outcome (status: running,
                                         ok, failed, skipped)
  stages.py resume RUN                   the stages to run again, one per line,
                                         "name args..." shell-quoted: every
                                         stage that failed, was still running
                                         (interrupted) or was planned and never
                                         ran, in plan order
  stages.py failed RUN                   the failed stages with the first lines
                                         of each failure (for the final summary)

stages.json: {"commit", "host", "plan": [stage...], "stages": {name: {"status",
"rc", "seconds", "args", "started_utc", "finished_utc", "log"}}}; the log of a
stage is RUN/logs/<name>.log (everything it printed). A run folder is named
<UTC stamp>-<host> (results/README.md); the commit of a folder without
stages.json is env.json's git_commit.
"""
import datetime
import json
import os
import re
import shlex
import sys

RUN_NAME = re.compile(r"^\d{8}T\d{6}Z-(.+)$")
# Lines of a stage log that say what went wrong; the excerpt takes these first.
FAIL_LINE = re.compile(r"FAIL|[Ee]rror|ERROR|fatal|panic|expected|forced failure|not found|"
                       r"missing|[Aa]borted|Traceback|rc=[1-9]|No such file")
EXCERPT_LINES = 8
DONE = ("ok", "skipped")  # what --resume does not run again


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def load(run):
    try:
        with open(os.path.join(run, "stages.json"), encoding="utf-8") as f:
            doc = json.load(f)
        if isinstance(doc, dict):
            doc.setdefault("stages", {})
            doc.setdefault("plan", [])
            return doc
    except (OSError, ValueError):
        pass
    return {"stages": {}, "plan": []}


def save(run, doc):
    tmp = os.path.join(run, "stages.json.tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(run, "stages.json"))


def run_commit(run):
    doc = load(run)
    if doc.get("commit"):
        return doc["commit"]
    try:
        with open(os.path.join(run, "env.json"), encoding="utf-8") as f:
            return json.load(f).get("git_commit")
    except (OSError, ValueError, AttributeError):
        return None


def current(root, commit, host):
    """The newest run folder of this commit and host, or None."""
    try:
        names = sorted(os.listdir(root), reverse=True)
    except OSError:
        return None
    for n in names:
        m = RUN_NAME.match(n)
        p = os.path.join(root, n)
        if not m or m.group(1) != host or os.path.islink(p) or not os.path.isdir(p):
            continue
        if run_commit(p) == commit:
            return p
    return None


def excerpt(run, name, n=EXCERPT_LINES):
    """The first lines of a stage's failure: the log lines that say FAIL,
    error, expected ... (the first n of them), else the log's last n lines."""
    try:
        with open(os.path.join(run, "logs", name + ".log"), encoding="utf-8", errors="replace") as f:
            lines = [l.rstrip("\n") for l in f]
    except OSError:
        return ["(no log: %s)" % os.path.join("logs", name + ".log")]
    lines = [l for l in lines if l.strip()]
    bad = [l for l in lines if FAIL_LINE.search(l)]
    return (bad or lines)[:n] if bad else lines[-n:]


def failed(run):
    """[(name, record)] of the stages whose last outcome is not ok, in plan order."""
    doc = load(run)
    order = list(doc["plan"]) + [s for s in doc["stages"] if s not in doc["plan"]]
    return [(s, doc["stages"][s]) for s in order
            if s in doc["stages"] and doc["stages"][s].get("status") not in DONE]


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd, a = argv[1], argv[2:]
    if cmd == "current" and len(a) == 3:
        p = current(*a)
        if p:
            print(p)
            return 0
        return 1
    if cmd == "plan" and len(a) >= 3:
        run, commit, host, rest = a[0], a[1], a[2], a[3:]
        stages, args = (rest[:rest.index("--")], rest[rest.index("--") + 1:]) if "--" in rest else (rest, [])
        doc = load(run)
        doc.update(commit=commit, host=host, plan=stages, plan_args=args)
        save(run, doc)
        return 0
    if cmd == "record" and len(a) >= 7:
        run, name, status, rc, secs, commit, host = a[:7]
        args = a[8:] if len(a) > 7 and a[7] == "--" else a[7:]
        doc = load(run)
        doc.setdefault("commit", commit)
        doc.setdefault("host", host)
        rec = doc["stages"].get(name, {})
        if status == "running":
            rec = {"started_utc": now()}
        else:
            rec["finished_utc"] = now()
        rec.update(status=status, rc=int(rc), seconds=int(secs), args=args,
                   log=os.path.join("logs", name + ".log"))
        doc["stages"][name] = rec
        save(run, doc)
        return 0
    if cmd == "resume" and len(a) == 1:
        doc = load(a[0])
        order = list(doc["plan"]) + [s for s in doc["stages"] if s not in doc["plan"]]
        for s in order:
            rec = doc["stages"].get(s)
            if rec is None or rec.get("status") not in DONE:
                args = rec.get("args", []) if rec else doc.get("plan_args", [])
                print(" ".join(shlex.quote(x) for x in [s] + list(args)))
        return 0
    if cmd == "failed" and len(a) == 1:
        for s, rec in failed(a[0]):
            print("%s: %s (rc=%s), log %s" % (s, rec.get("status"), rec.get("rc"), rec.get("log")))
            for l in excerpt(a[0], s):
                print("    | " + l)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
