#!/usr/bin/python3
"""goc's performance regression gate (./run_all.sh gate; scripts/stage_gate.sh).

Two signals, both compared with a baseline folder (results/baseline/):

(a) Instruction counts. The deterministic single-task workloads of
    harness/gate_tests/icount.c (uncontended channel operations, failed
    try-operations, select with a ready case and with default, make/free,
    mutex/WaitGroup, spawn+join; coro with GOC_PROCS=1) run under
    `valgrind --tool=callgrind`; the program dumps one profile per workload,
    and the gate divides each dump's instruction total by its operation
    count. Each binary runs --runs times (default 3): most workloads give the
    same count every time; the few that are not exactly repeatable (select's
    random poll order, thread start-up) show their spread, which is added to
    the threshold (default 3%) as the noise allowance. Stable on a noisy
    shared machine, cheap enough for CI (seconds per backend).

(b) Wall-clock time of every benchmark in Google Benchmark JSON, compared
    per backend with Google Benchmark's compare.py (its Mann-Whitney U test;
    /usr/share/benchmark/compare.py, Debian's libbenchmark-tools; it never
    fails by itself: the gate reads its JSON dump). Reported always; a
    benchmark fails the gate only when its median is slower than the
    baseline's by more than --wall-threshold (default 25%) with p below
    --alpha (default 0.01), and a rerun of that benchmark (its own binary,
    from the JSON context's "executable", or --rerun-cmd) confirms both.

Exit status: 0 no regression; 1 regression (a table says what, by how much,
and which signal); 2 unusable input (missing, unreadable or mismatched
baseline or candidate, missing tools): a message, never a traceback (set
GOC_GATE_DEBUG=1 to see one for an internal error).

Commands:
  record-icount --out FILE [--runs R] BACKEND=BINARY ...
  check --baseline DIR [--icount FILE] [--wall DIR] [options]
  update-baseline --to DIR [--icount FILE] [--wall DIR]
Files: DIR/icount.json (schema goc-icount/1) and DIR/wall/*.json (Google
Benchmark JSON, one or more per backend, trimmed to what compare.py needs).
Standard library only; compare.py itself needs python3-scipy.
"""
import argparse
import datetime
import glob
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile

SCHEMA = "goc-icount/1"
COMPARE_PY = "/usr/share/benchmark/compare.py"
TIME_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


class GateInputError(Exception):
    """Unusable input: exit 2 with this message."""


def log(msg):
    print("gate: " + msg, file=sys.stderr, flush=True)


def load_json(path, what):
    if not os.path.exists(path):
        raise GateInputError("%s not found: %s" % (what, path))
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise GateInputError("%s is not readable JSON: %s (%s)" % (what, path, e))


# ------------------------------------------------------------------ icount --

def elf_compiler(path):
    """The compiler named in the binary's .comment section ("GCC: (Debian
    12.2.0-14) 12.2.0", "clang version 14..."), or ""."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError:
        return ""
    m = re.search(rb"(GCC: \([^)]*\) [0-9][0-9.]*|clang version [0-9][0-9.]*)", data)
    return m.group(1).decode("ascii", "replace") if m else ""


def valgrind_version():
    try:
        return subprocess.run(["valgrind", "--version"], capture_output=True, text=True,
                              check=False).stdout.strip()
    except OSError:
        return ""


def run_callgrind(binary, env, tmpdir):
    """One callgrind run of an icount binary: {workload: (ops, Ir)}."""
    outbase = os.path.join(tmpdir, "cg.out")
    for f in glob.glob(outbase + "*"):
        os.unlink(f)
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=" + outbase, binary]
    full_env = dict(os.environ)
    full_env.update(env)
    p = subprocess.run(cmd, capture_output=True, text=True, env=full_env, check=False)
    if p.returncode != 0:
        tail = "\n".join(p.stderr.strip().splitlines()[-8:])
        raise GateInputError("%s failed under callgrind (exit %d):\n%s" % (binary, p.returncode, tail))
    ops, tol = {}, {}
    for ln in p.stdout.splitlines():
        parts = ln.split()
        if len(parts) == 4 and parts[1].isdigit() and parts[3].isdigit():
            ops[parts[0]] = int(parts[1])
            tol[parts[0]] = int(parts[3])
    counts = {}
    for f in sorted(glob.glob(outbase + ".*")):
        name, ir = None, None
        with open(f, encoding="utf-8", errors="replace") as fh:
            for ln in fh:
                if ln.startswith("desc: Trigger: Client Request: "):
                    name = ln[len("desc: Trigger: Client Request: "):].strip()
                elif ln.startswith("summary:"):
                    ir = int(ln.split()[1])
                    break
        if name and ir is not None:
            counts[name] = ir
    if not ops:
        raise GateInputError("%s printed no workload results" % binary)
    missing = sorted(set(ops) - set(counts))
    if missing:
        raise GateInputError("%s: no callgrind dump for %s (is it built with valgrind/callgrind.h?)"
                             % (binary, ", ".join(missing)))
    return {w: (ops[w], counts[w], tol[w]) for w in ops}


def cmd_record_icount(a):
    if shutil.which("valgrind") is None:
        raise GateInputError("valgrind is not installed (apt-get install valgrind)")
    doc = {"schema": SCHEMA, "meta": {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(), "valgrind": valgrind_version(), "runs": a.runs,
        "commit": a.commit or ""}, "backends": {}}
    with tempfile.TemporaryDirectory(prefix="goc-gate-") as tmp:
        for spec in a.binaries:
            if "=" not in spec:
                raise GateInputError("want BACKEND=BINARY, got %r" % spec)
            label, binary = spec.split("=", 1)
            if not os.access(binary, os.X_OK):
                raise GateInputError("%s: not an executable: %s" % (label, binary))
            env = {}
            if label.startswith("coro"):
                # deterministic: one worker (Go's GOMAXPROCS=1)
                env["GOC_PROCS"] = "1"
            runs = []
            for r in range(a.runs):
                log("callgrind %s (run %d/%d)" % (label, r + 1, a.runs))
                runs.append(run_callgrind(binary, env, tmp))
            wl = {}
            for w in runs[0]:
                ops = runs[0][w][0]
                irs = [run[w][1] for run in runs if w in run]
                wl[w] = {"ops": ops, "ir": irs, "ir_per_op": statistics.median(irs) / ops,
                         "tolerance_pct": runs[0][w][2]}
            doc["backends"][label] = {"binary": os.path.basename(binary), "env": env,
                                      "compiler": elf_compiler(binary), "workloads": wl}
    text = json.dumps(doc, indent=1, sort_keys=True) + "\n"
    if a.out == "-":
        sys.stdout.write(text)
    else:
        os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
        log("wrote %s" % a.out)
    return 0


def check_icount_doc(doc, what):
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("backends"), dict):
        raise GateInputError("%s is not a goc instruction-count file (schema %s)" % (what, SCHEMA))
    for b, rec in doc["backends"].items():
        wl = rec.get("workloads") if isinstance(rec, dict) else None
        if not isinstance(wl, dict) or not wl:
            raise GateInputError("%s: backend %s has no workloads" % (what, b))
        for w, v in wl.items():
            if not (isinstance(v, dict) and isinstance(v.get("ops"), int) and v["ops"] > 0
                    and isinstance(v.get("ir"), list) and v["ir"]
                    and all(isinstance(x, (int, float)) for x in v["ir"])):
                raise GateInputError("%s: %s/%s is malformed" % (what, b, w))


def spread(irs):
    m = statistics.median(irs)
    return (max(irs) - min(irs)) / m if m else 0.0


def compare_icount(base, cand, threshold):
    """Rows: dict(signal, backend, name, base, cand, unit, change, limit, p,
    verdict). Raises GateInputError on a mismatched baseline."""
    check_icount_doc(base, "baseline icount.json")
    check_icount_doc(cand, "candidate icount.json")
    rows, problems = [], []
    common = [b for b in base["backends"] if b in cand["backends"]]
    for b in base["backends"]:
        if b not in cand["backends"]:
            rows.append(dict(signal="icount", backend=b, name="*", verdict="skipped: not built here"))
    for b in cand["backends"]:
        if b not in base["backends"]:
            rows.append(dict(signal="icount", backend=b, name="*",
                             verdict="not gated: no baseline (refresh with --update-baseline)"))
    if not common:
        raise GateInputError("the baseline has backends %s, this build %s: nothing in common"
                             % (sorted(base["backends"]), sorted(cand["backends"])))
    for b in common:
        bb, cb = base["backends"][b], cand["backends"][b]
        if bb.get("compiler") and cb.get("compiler") and bb["compiler"] != cb["compiler"]:
            problems.append("%s: baseline built with %r, this build with %r: instruction counts "
                            "are not comparable" % (b, bb["compiler"], cb["compiler"]))
            continue
        for w, bv in bb["workloads"].items():
            cv = cb["workloads"].get(w)
            if cv is None:
                problems.append("%s: workload %s is in the baseline but not in this build" % (b, w))
                continue
            if cv["ops"] != bv["ops"]:
                problems.append("%s/%s: baseline ran %d operations, this build %d"
                                % (b, w, bv["ops"], cv["ops"]))
                continue
            bm = statistics.median(bv["ir"]) / bv["ops"]
            cm = statistics.median(cv["ir"]) / cv["ops"]
            change = cm / bm - 1.0 if bm else 0.0
            noise = spread(bv["ir"]) + spread(cv["ir"])
            # the workload's own floor (icount.c: spawn_join) if larger
            floor = max(threshold, bv.get("tolerance_pct", 0), cv.get("tolerance_pct", 0))
            limit = floor / 100.0 + noise
            verdict = "REGRESSED" if change > limit else ("faster" if change < -limit else "ok")
            rows.append(dict(signal="icount", backend=b, name=w, base=bm, cand=cm, unit="Ir/op",
                             change=change, limit=limit, p=None, verdict=verdict))
        for w in cb["workloads"]:
            if w not in bb["workloads"]:
                rows.append(dict(signal="icount", backend=b, name=w,
                                 verdict="not gated: new workload (refresh the baseline)"))
    if problems:
        raise GateInputError("the instruction-count baseline does not match this build:\n  "
                             + "\n  ".join(problems)
                             + "\nrefresh it with ./run_all.sh gate --update-baseline")
    return rows


# -------------------------------------------------------------- wall clock --

def load_gbench_dir(path, what):
    """{backend: {"context": ctx, "records": [iteration records]}} from every
    Google Benchmark JSON file in path (not recursive). go-* backends are
    skipped: the gate is about goc's code. A record of a suite other than
    micro (context.goc_suite) is renamed "<suite>:<name>", so that the same
    name in two suites stays two benchmarks; each record remembers its
    binary and original name ("_exe", "_orig", "_suite") for reruns."""
    if not os.path.isdir(path):
        raise GateInputError("%s not found: %s" % (what, path))
    out = {}
    for f in sorted(glob.glob(os.path.join(path, "*.json"))):
        try:
            with open(f, encoding="utf-8") as fh:
                doc = json.load(fh)
        except (OSError, ValueError) as e:
            raise GateInputError("%s: %s is not readable JSON (%s)" % (what, f, e))
        if not (isinstance(doc, dict) and isinstance(doc.get("benchmarks"), list)
                and isinstance(doc.get("context"), dict)):
            continue
        ctx = doc["context"]
        b = ctx.get("goc_backend")
        if not b or str(b).startswith("go"):
            continue
        ent = out.setdefault(b, {"context": ctx, "records": [], "files": []})
        ent["files"].append(f)
        suite = str(ctx.get("goc_suite", "") or "")
        for r in doc["benchmarks"]:
            if (isinstance(r, dict) and r.get("run_type", "iteration") == "iteration"
                    and not r.get("error_occurred") and isinstance(r.get("real_time"), (int, float))
                    and isinstance(r.get("name"), str)):
                r = dict(r, _exe=ctx.get("executable", ""), _orig=r["name"], _suite=suite)
                if suite and suite != "micro" and not r["name"].startswith(suite + ":"):
                    r["name"] = suite + ":" + r["name"]
                    r["run_name"] = suite + ":" + r.get("run_name", r["_orig"])
                ent["records"].append(r)
    return out


KEEP = ("name", "run_name", "run_type", "family_index", "per_family_instance_index",
        "repetitions", "repetition_index", "threads", "iterations", "real_time", "cpu_time",
        "time_unit")


def trimmed(ctx, records):
    # no "executable": a baseline is committed and must not carry this
    # machine's paths (reruns use the candidate's own, untrimmed context)
    keep_ctx = {k: ctx[k] for k in ("goc_backend", "host_name", "num_cpus", "mhz_per_cpu", "caches",
                                    "date", "library_build_type") if k in ctx}
    return {"context": keep_ctx, "benchmarks": [{k: r[k] for k in KEEP if k in r} for r in records]}


def medians(records):
    by = {}
    for r in records:
        by.setdefault(r["name"], []).append(r["real_time"] * TIME_NS.get(r.get("time_unit", "ns"), 1.0))
    return {n: statistics.median(v) for n, v in by.items()}, {n: len(v) for n, v in by.items()}


def machine_of(ctx):
    caches = tuple(sorted((c.get("type", ""), c.get("level", 0), c.get("size", 0))
                          for c in ctx.get("caches", []) if isinstance(c, dict)))
    return (ctx.get("num_cpus"), caches)


def run_compare_py(base_doc, cand_doc, tmp):
    """compare.py's diff report (list of dicts) for two gbench docs."""
    if not os.path.exists(COMPARE_PY):
        raise GateInputError("%s not found (apt-get install libbenchmark-tools python3-scipy)" % COMPARE_PY)
    bf, cf, df = (os.path.join(tmp, n) for n in ("base.json", "cand.json", "diff.json"))
    for path, doc in ((bf, base_doc), (cf, cand_doc)):
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f)
    p = subprocess.run(["/usr/bin/python3", COMPARE_PY, "--no-color", "-d", df, "benchmarks", bf, cf],
                       capture_output=True, text=True, check=False)
    if p.returncode != 0 or not os.path.exists(df):
        raise GateInputError("compare.py failed (exit %d): %s" % (p.returncode, p.stderr.strip()[-600:]))
    with open(df, encoding="utf-8") as f:
        return json.load(f)


def pvalues(diff):
    out = {}
    for d in diff:
        u = d.get("utest") or {}
        if d.get("run_type") == "iteration" and u.get("time_pvalue") is not None:
            out[d["name"]] = u["time_pvalue"]
    return out


def rerun(backend, names, records, a, tmp):
    """Reruns the benchmarks `names` of one backend (their own binaries, from
    the candidate records, or --rerun-cmd); returns the new records, or None
    (with a reason logged) when no rerun is possible."""
    origin = {}
    for r in records:
        origin.setdefault(r["name"], (r.get("_exe", ""), r.get("_suite", ""), r.get("_orig", r["name"])))
    groups = {}
    for n in names:
        exe, suite, orig = origin.get(n, ("", "", n))
        groups.setdefault((exe, suite), []).append(orig)
    if a.rerun_cmd:  # one call for everything (tests and custom setups)
        groups = {("", ""): [origin.get(n, ("", "", n))[2] for n in names]}
    outdir = tempfile.mkdtemp(prefix="rerun-", dir=tmp)
    for k, ((exe, suite), origs) in enumerate(sorted(groups.items())):
        filt = "^(" + "|".join(re.escape(re.sub(r"/real_time$", "", n)) for n in origs) + ")(/real_time)?$"
        env = dict(os.environ, GOC_GATE_RERUN_BACKEND=backend, GOC_GATE_RERUN_FILTER=filt,
                   GOC_GATE_RERUN_OUT=outdir, GOC_GATE_RERUN_REPS=str(a.rerun_reps))
        if a.rerun_cmd:
            cmd = ["/bin/sh", "-c", a.rerun_cmd]
        else:
            if not exe or not os.access(exe, os.X_OK):
                log("%s: cannot rerun (binary %r not here); regressions stay unconfirmed" % (backend, exe))
                return None
            cmd = [exe, "--benchmark_filter=" + filt, "--benchmark_repetitions=%d" % a.rerun_reps,
                   "--benchmark_min_time=%g" % a.rerun_min_time,
                   "--benchmark_enable_random_interleaving=true",
                   "--benchmark_out=" + os.path.join(outdir, "rerun-%d.json" % k),
                   "--benchmark_out_format=json"]
            if suite:
                cmd.append("--benchmark_context=goc_suite=" + suite)
        log("%s: rerunning %d benchmark(s) to confirm: %s" % (backend, len(origs), filt))
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if p.returncode != 0:
            log("%s: rerun failed (exit %d): %s" % (backend, p.returncode, p.stderr.strip()[-400:]))
            return None
    got = load_gbench_dir(outdir, "rerun output")
    if backend not in got:
        log("%s: the rerun wrote no results for this backend" % backend)
        return None
    return got[backend]["records"]


def compare_wall(base_dir, cand_dir, a):
    base = load_gbench_dir(base_dir, "wall-clock baseline")
    cand = load_gbench_dir(cand_dir, "wall-clock candidate")
    if not base:
        raise GateInputError("no Google Benchmark JSON in the wall-clock baseline %s" % base_dir)
    if not cand:
        raise GateInputError("no Google Benchmark JSON in the candidate %s" % cand_dir)
    rows = []
    common = [b for b in base if b in cand]
    for b in base:
        if b not in cand:
            rows.append(dict(signal="wall", backend=b, name="*", verdict="skipped: no candidate results"))
    if not common:
        raise GateInputError("wall-clock baseline backends %s, candidate %s: nothing in common"
                             % (sorted(base), sorted(cand)))
    for b in common:
        if machine_of(base[b]["context"]) != machine_of(cand[b]["context"]) and not a.any_machine:
            raise GateInputError(
                "%s: the wall-clock baseline was recorded on another machine (%s, %s CPUs) than the "
                "candidate (%s, %s CPUs); wall-clock times do not compare across machines: use "
                "--icount-only, refresh the baseline here, or pass --any-machine"
                % (b, base[b]["context"].get("host_name"), base[b]["context"].get("num_cpus"),
                   cand[b]["context"].get("host_name"), cand[b]["context"].get("num_cpus")))
    with tempfile.TemporaryDirectory(prefix="goc-gate-") as tmp:
        for b in common:
            bdoc = trimmed(base[b]["context"], base[b]["records"])
            cdoc = trimmed(cand[b]["context"], cand[b]["records"])
            pv = pvalues(run_compare_py(bdoc, cdoc, tmp))
            bmed, bn = medians(base[b]["records"])
            cmed, cn = medians(cand[b]["records"])
            suspects, brow = [], {}
            for name in bmed:
                if name not in cmed:
                    rows.append(dict(signal="wall", backend=b, name=name,
                                     verdict="skipped: not in the candidate"))
                    continue
                change = cmed[name] / bmed[name] - 1.0 if bmed[name] else 0.0
                p = pv.get(name)
                slow = change > a.wall_threshold / 100.0 and p is not None and p < a.alpha
                verdict = "suspect" if slow else ("ok" if p is not None else "ok (no U test: %d/%d reps)"
                                                   % (bn[name], cn[name]))
                row = dict(signal="wall", backend=b, name=name, base=bmed[name], cand=cmed[name],
                           unit="ns", change=change, limit=a.wall_threshold / 100.0, p=p, verdict=verdict)
                rows.append(row)
                brow[name] = row
                if slow:
                    suspects.append(name)
            for name in cmed:
                if name not in bmed:
                    rows.append(dict(signal="wall", backend=b, name=name, verdict="not gated: new benchmark"))
            if not suspects:
                continue
            if a.no_rerun:
                for n in suspects:
                    brow[n]["verdict"] = "suspect (not confirmed: --no-rerun)"
                continue
            recs = rerun(b, suspects, cand[b]["records"], a, tmp)
            if recs is None:
                for n in suspects:
                    brow[n]["verdict"] = "suspect (not confirmed: no rerun)"
                continue
            rdoc = trimmed(cand[b]["context"], recs)
            rpv = pvalues(run_compare_py(bdoc, rdoc, tmp))
            rmed, _ = medians(recs)
            for n in suspects:
                row = brow[n]
                if n not in rmed:
                    row["verdict"] = "suspect (rerun did not run it)"
                    continue
                rchange = rmed[n] / bmed[n] - 1.0
                rp = rpv.get(n)
                row["rerun_change"], row["rerun_p"] = rchange, rp
                if rchange > a.wall_threshold / 100.0 and rp is not None and rp < a.alpha:
                    row["verdict"] = "REGRESSED"
                    row["note"] = "confirmed by rerun: %+.1f%%, p=%.3g" % (100 * rchange, rp)
                else:
                    row["verdict"] = "ok (rerun: %+.1f%%, not confirmed)" % (100 * rchange)
    return rows


# ------------------------------------------------------------------ output --

def fmt_val(v, unit):
    if v is None:
        return "-"
    if unit == "ns":
        for u, s in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
            if v >= s:
                return "%.3g %s" % (v / s, u)
        return "%.3g ns" % v
    return "%.1f %s" % (v, unit)


def table(rows, only_notable=False):
    hdr = ("signal", "backend", "benchmark", "baseline", "candidate", "change", "limit", "p", "verdict",
           "note")
    lines = []
    for r in rows:
        if only_notable and not (r.get("verdict", "").startswith(("REGRESSED", "suspect"))):
            continue
        lines.append((r["signal"], r["backend"], r["name"],
                      fmt_val(r.get("base"), r.get("unit")), fmt_val(r.get("cand"), r.get("unit")),
                      "-" if r.get("change") is None else "%+.1f%%" % (100 * r["change"]),
                      "-" if r.get("limit") is None else "%.1f%%" % (100 * r["limit"]),
                      "-" if r.get("p") is None else "%.3g" % r["p"],
                      r.get("verdict", ""), r.get("note", "")))
    if not lines:
        return ""
    if not any(ln[-1] for ln in lines):  # no notes: drop the column
        hdr, lines = hdr[:-1], [ln[:-1] for ln in lines]
    w = [max(len(hdr[i]), *(len(ln[i]) for ln in lines)) for i in range(len(hdr))]
    out = ["| " + " | ".join(h.ljust(w[i]) for i, h in enumerate(hdr)) + " |",
           "|" + "|".join("-" * (x + 2) for x in w) + "|"]
    for ln in lines:
        out.append("| " + " | ".join(c.ljust(w[i]) for i, c in enumerate(ln)) + " |")
    return "\n".join(out)


def cmd_check(a):
    rows, unusable = [], []
    if not os.path.isdir(a.baseline):
        raise GateInputError("baseline folder not found: %s (record one with ./run_all.sh gate "
                             "--update-baseline)" % a.baseline)
    signals = 0
    if a.icount:
        signals += 1
        bpath = os.path.join(a.baseline, "icount.json")
        try:
            rows += compare_icount(load_json(bpath, "baseline instruction counts"),
                                   load_json(a.icount, "candidate instruction counts"), a.threshold)
        except GateInputError as e:
            unusable.append("instruction counts: %s" % e)
    if a.wall:
        signals += 1
        try:
            rows += compare_wall(os.path.join(a.baseline, "wall"), a.wall, a)
        except GateInputError as e:
            unusable.append("wall clock: %s" % e)
    if not signals:
        raise GateInputError("nothing to check: give --icount FILE and/or --wall DIR")
    print(table(rows))
    regressed = [r for r in rows if r.get("verdict") == "REGRESSED"]
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "gate.json"), "w", encoding="utf-8") as f:
            json.dump({"rows": rows, "unusable": unusable, "regressed": len(regressed)}, f, indent=1)
        with open(os.path.join(a.out, "gate.md"), "w", encoding="utf-8") as f:
            f.write("# goc gate\n\n" + table(rows) + "\n")
    print()
    for u in unusable:
        print("gate: UNUSABLE INPUT: " + u)
    if regressed:
        print("gate: %d REGRESSION(S):" % len(regressed))
        print(table(regressed))
        return 1
    if unusable:
        return 2
    n = sum(1 for r in rows if r.get("change") is not None)
    faster = sum(1 for r in rows if r.get("verdict") == "faster")
    print("gate: no regression (%d comparisons)" % n)
    if faster:
        print("gate: %d instruction count(s) dropped beyond the limit: if intended, refresh the "
              "baseline (./run_all.sh gate --update-baseline) so that it keeps guarding them" % faster)
    return 0


def cmd_update_baseline(a):
    if not a.icount and not a.wall:
        raise GateInputError("nothing to store: give --icount FILE and/or --wall DIR")
    os.makedirs(a.to, exist_ok=True)
    if a.icount:
        doc = load_json(a.icount, "instruction counts")
        check_icount_doc(doc, a.icount)
        with open(os.path.join(a.to, "icount.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1, sort_keys=True)
            f.write("\n")
        log("wrote %s" % os.path.join(a.to, "icount.json"))
    if a.wall:
        got = load_gbench_dir(a.wall, "wall-clock results")
        if not got:
            raise GateInputError("no goc Google Benchmark JSON in %s" % a.wall)
        wdir = os.path.join(a.to, "wall")
        if os.path.isdir(wdir):
            shutil.rmtree(wdir)
        os.makedirs(wdir)
        for b, ent in sorted(got.items()):
            path = os.path.join(wdir, "%s.json" % b)
            with open(path, "w", encoding="utf-8") as f:
                json.dump(trimmed(ent["context"], ent["records"]), f, separators=(",", ":"))
                f.write("\n")
            log("wrote %s (%d records)" % (path, len(ent["records"])))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("record-icount", help="run icount binaries under callgrind")
    r.add_argument("--out", required=True)
    r.add_argument("--runs", type=int, default=3)
    r.add_argument("--commit", default="")
    r.add_argument("binaries", nargs="+", metavar="BACKEND=BINARY")
    c = sub.add_parser("check", help="compare with a baseline folder")
    c.add_argument("--baseline", required=True)
    c.add_argument("--icount", help="candidate icount.json (from record-icount)")
    c.add_argument("--wall", help="candidate folder of Google Benchmark JSON")
    c.add_argument("--threshold", type=float, default=3.0, help="instruction-count threshold, %%")
    c.add_argument("--wall-threshold", type=float, default=25.0, help="wall-clock threshold, %%")
    c.add_argument("--alpha", type=float, default=0.01, help="U-test significance level")
    c.add_argument("--no-rerun", action="store_true", help="never rerun (wall regressions stay unconfirmed)")
    c.add_argument("--rerun-cmd", help="shell command that reruns GOC_GATE_RERUN_FILTER of "
                   "GOC_GATE_RERUN_BACKEND into GOC_GATE_RERUN_OUT (default: the JSON's executable)")
    c.add_argument("--rerun-reps", type=int, default=12)
    c.add_argument("--rerun-min-time", type=float, default=0.05)
    c.add_argument("--any-machine", action="store_true", help="compare wall clock across machines")
    c.add_argument("--out", help="also write gate.json and gate.md here")
    u = sub.add_parser("update-baseline", help="store a new baseline")
    u.add_argument("--to", required=True)
    u.add_argument("--icount")
    u.add_argument("--wall")
    a = ap.parse_args(argv)
    if getattr(a, "runs", 1) < 1:
        ap.error("--runs must be >= 1")
    try:
        return {"record-icount": cmd_record_icount, "check": cmd_check,
                "update-baseline": cmd_update_baseline}[a.cmd](a)
    except GateInputError as e:
        print("gate: UNUSABLE INPUT: %s" % e, file=sys.stderr)
        return 2
    except Exception as e:  # an internal error must still not look like a pass
        if os.environ.get("GOC_GATE_DEBUG"):
            raise
        print("gate: internal error: %s: %s (GOC_GATE_DEBUG=1 shows the traceback)"
              % (type(e).__name__, e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
