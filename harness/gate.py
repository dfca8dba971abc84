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

(b) Wall-clock time, side by side (check --base-build B --cand-build C;
    ./run_all.sh gate --against REF builds commit REF in build/gate-base-<sha>/
    beside the candidate). Like with like: both builds run on this machine
    now, in alternating rounds. Round k runs, per backend, the baseline's and
    the candidate's micro-<backend> back to back (baseline first in odd
    rounds, candidate first in even ones), each as a fresh process with
    --reps repetitions (default 20) of --min-time seconds (0.001) of every
    benchmark matching --filter; the round's sample of a row is the fastest
    repetition (other jobs on the machine only ever add time). Per row, the
    paired per-round ratios r_k = candidate_k / baseline_k cancel the load
    that both sides of a round share. Decision rule, per row (10 rounds):
      1. disturbed rounds: a round where either side's sample is more than
         DISTURBED = 1.5x off that side's median over the rounds (another
         job held the CPU for the whole process, or the row switched mode)
         is left out; judged per side, never on the ratio, so leaving it
         out favours neither verdict. More than a quarter disturbed, or
         too few rounds kept for the test to reach alpha (fewer than 7 at
         0.01): unstable;
      2. unstable, never a regression, when either side's remaining samples
         are bimodal (two clusters of >= 2 samples a factor BIMODAL_GAP =
         1.5 apart: lockfree MPMC/cap:1 spinning or parking) or the spread
         of the remaining ratios (interquartile range / median) exceeds the
         threshold; reported with its spread and how to make it stable
         (more rounds, --pin, a quieter machine, --filter);
      3. suspect when the median ratio exceeds 1 + threshold (default 25%)
         AND a one-sided exact Wilcoxon signed-rank test of
         log r_k - log(1 + threshold) gives p < alpha (0.01): the slowdown
         is larger than the threshold, not merely present. 8 rounds kept
         need 7 above the threshold, the one below with the smallest
         excess (p = 2/256); 10 kept tolerate a little more;
      4. REGRESSED when --rerun-rounds (10) more alternating rounds of the
         suspects alone meet rules 1-3 again; "ok (not confirmed)" when they
         do not. A batch of confirmation rounds that is itself unstable (a
         load spike) decides nothing: it is measured again, up to
         --confirm-tries (3) batches, then the row is unstable. Independent
         tests at 0.01: a false alarm per stable row below 3e-4 when
         nothing changed.
    --plant makes the candidate micro_planted-<backend>
    (gate_tests/plant_wrap.c), the gate's test of itself.

(c) Wall-clock time against a stored baseline (check --baseline DIR --wall
    RUN; ./run_all.sh gate --baseline DIR), for machines that cannot build
    two trees: every benchmark in Google Benchmark JSON, compared per
    backend with Google Benchmark's compare.py (its Mann-Whitney U test;
    /usr/share/benchmark/compare.py, Debian's libbenchmark-tools; the gate
    reads its JSON dump). A row is unstable (never a regression) when either
    side's samples are bimodal or spread (IQR / median) beyond the
    threshold; otherwise it fails only when its median is slower than the
    baseline's by more than --wall-threshold (default 25%) with p below
    --alpha (default 0.01), and a rerun of that benchmark (its own binary,
    from the JSON context's "executable", or --rerun-cmd) confirms both.
    Numbers stored at another time on another machine do not compare: the
    gate exits 2 and names what differs (CPU model, cores, kernel, OS,
    compiler, Go, Google Benchmark, from DIR/env.json and --env; else host,
    CPUs and caches from the JSON context), unless --any-machine. Nor do
    numbers of one machine whose cores the host placed differently: the bare
    floors of the thread backends (BarePingPong, BareRing/cap:1024; floors.py:
    the same code in each binary, none of goc's) more than 1.5x apart between
    baseline and candidate also exit 2, naming both (the 2-vCPU VM: 439 ns one
    hour, 52 ns the next, every hand-off row moving with it); and a rerun
    that finds them moved (probed again beside it) confirms nothing: its
    suspects are unstable.

Exit status: 0 no regression; 1 regression (a table says what, by how much,
and which signal); 2 unusable input (missing, unreadable or mismatched
baseline or candidate, missing tools): a message, never a traceback (set
GOC_GATE_DEBUG=1 to see one for an internal error).

Commands:
  record-icount --out FILE [--runs R] BACKEND=BINARY ...
  check [--baseline DIR] [--icount FILE] [--wall DIR] [--env FILE]
        [--base-build B --cand-build C [side-by-side options]] [options]
  update-baseline --to DIR [--icount FILE] [--wall DIR] [--env FILE]
Files: DIR/icount.json (schema goc-icount/1), DIR/wall/*.json (Google
Benchmark JSON, one or more per backend, trimmed to what compare.py needs)
and DIR/env.json (harness/env_json.py: the recording machine).
Standard library only; compare.py itself needs python3-scipy.
"""
import argparse
import datetime
import glob
import json
import math
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import floors as FL  # noqa: E402  (harness/floors.py: the floor pairs, THREAD_FLOOR_BACKENDS)

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


def samples_of(records):
    by = {}
    for r in records:
        by.setdefault(r["name"], []).append(r["real_time"] * TIME_NS.get(r.get("time_unit", "ns"), 1.0))
    return by


def medians(records):
    by = {}
    for r in records:
        by.setdefault(r["name"], []).append(r["real_time"] * TIME_NS.get(r.get("time_unit", "ns"), 1.0))
    return {n: statistics.median(v) for n, v in by.items()}, {n: len(v) for n, v in by.items()}


def machine_of(ctx):
    caches = tuple(sorted((c.get("type", ""), c.get("level", 0), c.get("size", 0))
                          for c in ctx.get("caches", []) if isinstance(c, dict)))
    return (ctx.get("num_cpus"), caches)


def load_env(path):
    """env.json (harness/env_json.py) as a dict, or None when absent or unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
        return doc if isinstance(doc, dict) else None
    except (OSError, ValueError, TypeError):
        return None


def fmt_caches(ctx):
    out = []
    for c in ctx.get("caches", []):
        if isinstance(c, dict):
            kb = c.get("size", 0) // 1024
            out.append("L%s%s %s" % (c.get("level", "?"), {"Data": "d", "Instruction": "i"}.get(c.get("type"), ""),
                                     "%d MiB" % (kb // 1024) if kb >= 1024 else "%d KiB" % kb))
    return " ".join(out) or "unknown"


ENV_FIELDS = (("CPU", lambda e: e.get("cpu_model")), ("cores", lambda e: e.get("cores")),
              ("kernel", lambda e: e.get("kernel")), ("OS", lambda e: e.get("os")),
              ("C compiler", lambda e: (e.get("compilers") or {}).get("gcc")
               if not (e.get("cmake_cache") or {}).get("CMAKE_C_COMPILER")
               else "%s (%s)" % (e["cmake_cache"]["CMAKE_C_COMPILER"], (e.get("compilers") or {}).get("gcc"))),
              ("Go", lambda e: (e.get("compilers") or {}).get("go")),
              ("Google Benchmark", lambda e: e.get("google_benchmark")),
              ("SMT", lambda e: e.get("smt_active")), ("governor", lambda e: e.get("governor")))


def machine_diff(bctx, cctx, benv, cenv):
    """What differs between the machine (and toolchain) that recorded a
    stored baseline and this one: ["CPU: A (baseline) vs B (here)", ...];
    [] when they match. From both env.json when there, else from what Google
    Benchmark's context holds (host, CPUs, MHz, caches)."""
    diff = []

    def add(what, x, y):
        if x not in (None, "", "unknown") and y not in (None, "", "unknown") and x != y:
            diff.append("%s: %s (baseline) vs %s (here)" % (what, x, y))

    if benv and cenv:
        for what, get in ENV_FIELDS:
            try:
                add(what, get(benv), get(cenv))
            except (AttributeError, TypeError, KeyError):
                pass
    add("CPUs", bctx.get("num_cpus"), cctx.get("num_cpus"))
    # caches Google Benchmark could not read (some VMs) are unknown, not different
    if machine_of(bctx)[1] and machine_of(cctx)[1] and machine_of(bctx)[1] != machine_of(cctx)[1]:
        diff.append("caches: %s (baseline) vs %s (here)" % (fmt_caches(bctx), fmt_caches(cctx)))
    if diff and bctx.get("host_name") != cctx.get("host_name"):
        diff.insert(0, "host: %s (baseline) vs %s (here)" % (bctx.get("host_name"), cctx.get("host_name")))
    if diff and not (benv and cenv):
        diff.append("(no env.json on %s: CPU model, kernel and compilers not compared)"
                    % ("either side" if not benv and not cenv else "the baseline side" if not benv
                       else "the candidate side"))
    return diff


# The bare floors (harness/floors.py): the same code in every thread
# backend's binary, independent of goc's code, so a floor that moved between
# the baseline and the candidate says the machine changed, not the code. On
# the 2-vCPU VM the host places the two vCPUs on one core's SMT siblings or on
# two cores of different caches from one hour to the next: BarePingPong 54 ns
# in one run, 462 ns in another, with every hand-off row 2-8x slower in the
# second (every backend, Go too), though CPU model, kernel and compilers are
# the same.
FLOOR_NAMES = {floor for _, floor, _, _ in FL.FLOORS}


def floor_medians(runs):
    """{floor: (median ns, backend)} over the thread backends' micro records
    of one side ({backend: {"records": [...]}}); the fastest backend's median
    when several ran it (other jobs only ever add time)."""
    out = {}
    for b, ent in runs.items():
        if b not in FL.THREAD_FLOOR_BACKENDS:
            continue
        med, _ = medians([r for r in ent["records"] if r.get("_suite", "") in ("", "micro")])
        for name, v in med.items():
            base = re.sub(r"/real_time$", "", name)
            if base in FLOOR_NAMES and v > 0 and (base not in out or v < out[base][0]):
                out[base] = (v, b)
    return out


def floor_diff(bfl, cfl, limit=None):
    """["BarePingPong: 462 ns (baseline, pthread) vs 53.6 ns (here, lockfree): 8.6x", ...]
    for every floor both sides have whose medians are more than `limit`
    (floors.py's PLACEMENT_LIMIT) apart; [] when they agree or one side lacks them."""
    limit = limit or FL.PLACEMENT_LIMIT
    out = []
    for name in sorted(set(bfl) & set(cfl)):
        (bv, bb), (cv, cb) = bfl[name], cfl[name]
        r = max(bv, cv) / min(bv, cv)
        if r > limit:
            out.append("%s: %.3g ns (baseline, %s) vs %.3g ns (here, %s): %.1fx apart" % (name, bv, bb, cv, cb, r))
    return out


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


def rerun(backend, names, records, a, tmp, why="to confirm"):
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
        log("%s: rerunning %d benchmark(s) %s: %s" % (backend, len(origs), why, filt))
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
        if p.returncode != 0:
            log("%s: rerun failed (exit %d): %s" % (backend, p.returncode, p.stderr.strip()[-400:]))
            return None
    got = load_gbench_dir(outdir, "rerun output")
    if backend not in got:
        log("%s: the rerun wrote no results for this backend" % backend)
        return None
    return got[backend]["records"]


def probe_floors(cand, a, tmp):
    """The floors measured now, by the first thread backend of the candidate
    whose records name a binary (or through --rerun-cmd, with
    GOC_GATE_RERUN_BACKEND set to that backend); {} when none can run."""
    for b in FL.THREAD_FLOOR_BACKENDS:
        if b not in cand:
            continue
        names = []
        for r in cand[b]["records"]:
            if re.sub(r"/real_time$", "", r["name"]) in FLOOR_NAMES and r["name"] not in names:
                names.append(r["name"])
        if not names:
            continue
        recs = rerun(b, names, cand[b]["records"], a, tmp, why="(the floors: has the machine moved?)")
        if recs:
            return floor_medians({b: {"records": recs}})
    return {}


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
    benv = load_env(os.path.join(os.path.dirname(os.path.abspath(base_dir)), "env.json"))
    cenv = load_env(a.env) if getattr(a, "env", None) else None
    for b in common:
        diff = machine_diff(base[b]["context"], cand[b]["context"], benv, cenv)
        if diff and not a.any_machine:
            raise GateInputError(
                "%s: the wall-clock baseline was recorded on another machine than the candidate: %s; "
                "wall-clock times do not compare across machines: compare side by side "
                "(./run_all.sh gate --against REF), use --icount-only, refresh the baseline here, "
                "or pass --any-machine" % (b, "; ".join(diff)))
    bfl, cfl = floor_medians(base), floor_medians(cand)
    moved = floor_diff(bfl, cfl)
    if moved and not a.any_machine:
        raise GateInputError(
            "the machine's cross-core cost changed since the wall-clock baseline was recorded (%s; "
            "the bare floors run the same code, not goc's, in each thread backend's binary: the host "
            "placed the vCPUs differently). Hand-off rows of every backend move with it, so these "
            "wall-clock times do not compare: compare side by side (./run_all.sh gate --against REF), "
            "use --icount-only, record the baseline again, or pass --any-machine" % "; ".join(moved))
    with tempfile.TemporaryDirectory(prefix="goc-gate-") as tmp:
        for b in common:
            bdoc = trimmed(base[b]["context"], base[b]["records"])
            cdoc = trimmed(cand[b]["context"], cand[b]["records"])
            pv = pvalues(run_compare_py(bdoc, cdoc, tmp))
            bmed, bn = medians(base[b]["records"])
            cmed, cn = medians(cand[b]["records"])
            bsamp, csamp = samples_of(base[b]["records"]), samples_of(cand[b]["records"])
            suspects, brow = [], {}
            for name in bmed:
                if name not in cmed:
                    rows.append(dict(signal="wall", backend=b, name=name,
                                     verdict="skipped: not in the candidate"))
                    continue
                change = cmed[name] / bmed[name] - 1.0 if bmed[name] else 0.0
                p = pv.get(name)
                why = instability((("baseline", bsamp[name]), ("candidate", csamp[name])),
                                  a.wall_threshold / 100.0)
                slow = change > a.wall_threshold / 100.0 and p is not None and p < a.alpha and not why
                verdict = "suspect" if slow else ("unstable" if why else "ok" if p is not None
                                                  else "ok (no U test: %d/%d reps)" % (bn[name], cn[name]))
                row = dict(signal="wall", backend=b, name=name, base=bmed[name], cand=cmed[name],
                           unit="ns", change=change, limit=a.wall_threshold / 100.0, p=p, verdict=verdict)
                if why:
                    row["note"] = why
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
            # the rerun runs minutes later: the floors again, beside it, so that a
            # machine that moved meanwhile cannot confirm a slowdown (nor the gate
            # blame the code for it)
            moved = [] if a.any_machine else floor_diff(bfl, probe_floors(cand, a, tmp))
            if moved:
                for n in suspects:
                    brow[n]["verdict"] = "unstable"
                    brow[n]["note"] = ("the machine's cross-core cost changed before the rerun (%s): "
                                       "not confirmed" % "; ".join(moved))
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
                why = instability((("rerun", samples_of(recs).get(n, [])),), a.wall_threshold / 100.0)
                if why:
                    row["verdict"] = "unstable"
                    row["note"] = "rerun %+.1f%%, %s" % (100 * rchange, why)
                elif rchange > a.wall_threshold / 100.0 and rp is not None and rp < a.alpha:
                    row["verdict"] = "REGRESSED"
                    row["note"] = "confirmed by rerun: %+.1f%%, p=%.3g" % (100 * rchange, rp)
                else:
                    row["verdict"] = "ok (rerun: %+.1f%%, not confirmed)" % (100 * rchange)
    return rows



# ------------------------------------------------------- stability, tests --

BIMODAL_GAP = 1.5  # two clusters at least this factor apart: bimodal


def quartiles(xs):
    """(q1, median, q3) of xs, linear interpolation (statistics' 'inclusive')."""
    if len(xs) < 2:
        return xs[0], xs[0], xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[0], q[1], q[2]


def rel_spread(xs):
    """Interquartile range over the median: the spread that one disturbed
    sample (a round hit by another job) does not move much."""
    q1, m, q3 = quartiles(sorted(xs))
    return (q3 - q1) / m if m else 0.0


def bimodal(xs):
    """(low cluster, high cluster) when the sorted samples split into two
    groups of at least 2 samples each, BIMODAL_GAP apart or more (lockfree
    MPMC/cap:1 spinning at ~300 ns or parking at ~2 us); else None. One lone
    far sample is an outlier, not a mode: the spread rule sees it."""
    s = sorted(xs)
    best, at = 1.0, None
    for i in range(1, len(s) - 2):  # clusters s[:i+1] and s[i+1:], each >= 2
        if s[i] > 0 and s[i + 1] / s[i] > best:
            best, at = s[i + 1] / s[i], i
    if at is None or best < BIMODAL_GAP:
        return None
    return s[:at + 1], s[at + 1:]


def instability(sides, limit, spread=True):
    """A reason why a row's samples cannot support a verdict at `limit`
    (relative threshold), or None. sides: [(label, samples)]; spread=False
    checks bimodality only."""
    why = []
    for label, xs in sides:
        if len(xs) < 3:
            continue
        bm = bimodal(xs)
        if bm:
            why.append("%s bimodal (%s..%s | %s..%s)" % (label, fmt_val(bm[0][0], "ns"), fmt_val(bm[0][-1], "ns"),
                                                         fmt_val(bm[1][0], "ns"), fmt_val(bm[1][-1], "ns")))
            continue
        sp = rel_spread(xs)
        if spread and sp > limit:
            why.append("%s spread %.0f%% > %.0f%%" % (label, 100 * sp, 100 * limit))
    return "; ".join(why) or None


def wilcoxon_greater(d):
    """One-sided exact Wilcoxon signed-rank test: p-value of H0 "d is
    symmetric about 0" against "d tends to be > 0". Zeros are dropped; ties
    in |d| (floating-point times: not seen in practice) are ranked in order.
    The exact null distribution: counts of rank subsets by sum (n <= 60)."""
    d = [x for x in d if x != 0]
    n = len(d)
    if n == 0:
        return 1.0
    order = sorted(range(n), key=lambda i: abs(d[i]))
    w = sum(k + 1 for k, i in enumerate(order) if d[i] > 0)
    top = n * (n + 1) // 2
    counts = [1] + [0] * top
    for r in range(1, n + 1):
        for s in range(top, r - 1, -1):
            counts[s] += counts[s - r]
    return sum(counts[w:]) / float(2 ** n)


# A round's sample this factor off its side's median: disturbed. Measured
# (false_alarm_count.sh, 2 cores at load 12-33): 1.5 catches the plant more
# often than 1 + threshold (1.25), which left out so many rounds under load
# spikes that rows went unstable before they could become suspects.
DISTURBED = 1.5


def paired_verdict(base, cand, limit, alpha):
    """The side-by-side decision for one row (the module docstring has the
    rule). base, cand: {round: ns}. Returns a row fragment: base/cand
    medians, change (median of the paired ratios - 1), p, n (rounds used),
    verdict in ok / faster / suspect / unstable, note."""
    rounds = sorted(set(base) & set(cand))
    b = [base[r] for r in rounds]
    c = [cand[r] for r in rounds]
    out = dict(base=statistics.median(b) if b else None, cand=statistics.median(c) if c else None,
               n=len(rounds), limit=limit, p=None)
    if not rounds:
        out.update(change=None, verdict="skipped: not measured in both builds")
        return out
    if len(rounds) < 3 or not all(x > 0 for x in b + c):
        out.update(change=None, verdict="ok (too few rounds to test: %d)" % len(rounds))
        return out
    ratios = [y / x for x, y in zip(b, c)]
    out["change"] = statistics.median(ratios) - 1.0
    # disturbed rounds: either side far off its own median (another job held
    # the CPU for that whole process, or the row switched mode). Judged on
    # each side alone, never on the ratio, so dropping them favours neither
    # outcome.
    mb, mc = statistics.median(b), statistics.median(c)
    dist = DISTURBED
    bad = [i for i in range(len(rounds))
           if not (mb / dist <= b[i] <= mb * dist and mc / dist <= c[i] <= mc * dist)]
    bm = instability((("baseline", b), ("candidate", c)), limit, spread=False)
    if len(bad) * 4 > len(rounds):
        out.update(verdict="unstable", note="; ".join(
            x for x in ("%d of %d rounds disturbed (a sample off its side's median by more than %gx)"
                        % (len(bad), len(rounds), dist), bm) if x))
        return out
    keep = [i for i in range(len(rounds)) if i not in bad]
    ratios = [ratios[i] for i in keep]
    med = statistics.median(ratios)
    out.update(change=med - 1.0, n=len(keep), ratio_spread=rel_spread(ratios))
    why = instability((("baseline", [b[i] for i in keep]), ("candidate", [c[i] for i in keep])), limit,
                      spread=False)
    if out["ratio_spread"] > limit:
        why = (why + "; " if why else "") + "spread of the paired ratios %.0f%% > %.0f%%" % (
            100 * out["ratio_spread"], 100 * limit)
    if not why and 0.5 ** len(keep) >= alpha:
        # even every kept round above the threshold could not reach alpha
        why = "%d disturbed round(s) left out, %d too few to reach p < %g" % (len(bad), len(keep), alpha)
    if why:
        out.update(verdict="unstable", note=why)
        return out
    dropped = "%d disturbed round(s) left out" % len(bad) if bad else ""
    thr = math.log1p(limit)
    p_slow = wilcoxon_greater([math.log(r) - thr for r in ratios])
    p_fast = wilcoxon_greater([-math.log(r) - thr for r in ratios])
    if med > 1.0 + limit and p_slow < alpha:
        out.update(p=p_slow, verdict="suspect")
    elif med < 1.0 / (1.0 + limit) and p_fast < alpha:
        out.update(p=p_fast, verdict="faster")
    else:
        out.update(p=p_slow, verdict="ok")
    if dropped:
        out["note"] = dropped
    return out


# ------------------------------------------------------------ side by side --

def sbs_binaries(build, suite, backend, plant):
    if plant and suite == "micro":
        return os.path.join(build, "harness", "gate_tests", "micro_planted-" + backend)
    return os.path.join(build, "harness", "%s-%s" % (suite, backend))


def sbs_run_one(exe, suite, filt, min_time, out, pin, reps):
    """One run of one binary: {name: fastest of its reps repetitions, ns}."""
    cmd = ([] if not pin else ["taskset", "-c", pin]) + [
        exe, "--benchmark_filter=" + filt, "--benchmark_repetitions=%d" % reps,
        "--benchmark_enable_random_interleaving=true",
        "--benchmark_min_time=%g" % min_time, "--benchmark_context=goc_suite=" + suite,
        "--benchmark_out=" + out, "--benchmark_out_format=json"]
    p = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if p.returncode != 0:
        raise GateInputError("%s failed (exit %d): %s" % (exe, p.returncode, (p.stderr or p.stdout).strip()[-400:]))
    try:
        with open(out, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return []
    best = {}
    for r in doc.get("benchmarks", []):
        if (isinstance(r, dict) and r.get("run_type", "iteration") == "iteration"
                and not r.get("error_occurred") and isinstance(r.get("real_time"), (int, float))):
            name = r.get("run_name") or r.get("name")
            if suite != "micro":
                name = suite + ":" + name
            ns = r["real_time"] * TIME_NS.get(r.get("time_unit", "ns"), 1.0)
            best[name] = min(ns, best.get(name, ns))
    return best


def sbs_measure(a, plan, rounds, filters, outdir, tag):
    """Alternating rounds. plan: [(backend, suite, base_exe, cand_exe)];
    filters: {(backend, suite): regex}. Round k runs, for each entry, the
    baseline and the candidate binary back to back (baseline first in odd
    rounds, candidate first in even ones), one repetition each. Returns
    {(backend, name): {"base": {round: ns}, "cand": {round: ns}}}."""
    data = {}
    os.makedirs(outdir, exist_ok=True)
    for k in range(1, rounds + 1):
        log("%s: round %d/%d" % (tag, k, rounds))
        for b, suite, bexe, cexe in plan:
            filt = filters.get((b, suite))
            if filt is None:
                continue
            sides = [("base", bexe), ("cand", cexe)]
            if k % 2 == 0:
                sides.reverse()
            for side, exe in sides:
                out = os.path.join(outdir, "%s-r%d-%s-%s-%s.json" % (tag, k, side, suite, b))
                for name, ns in sbs_run_one(exe, suite, filt, a.min_time, out, a.pin, a.reps).items():
                    data.setdefault((b, name), {"base": {}, "cand": {}})[side][k] = ns
    return data


def name_filter(names):
    return "^(" + "|".join(re.escape(re.sub(r"/real_time$", "", n.split(":", 1)[1] if ":" in n else n))
                           for n in names) + ")(/real_time)?$"


def compare_side_by_side(a):
    """The like-with-like wall-clock signal: baseline and candidate builds
    measured in alternating rounds on this machine now (see the module
    docstring for the decision rule)."""
    backends = [b for b in re.split(r"[ ,]+", a.backends or "") if b]
    suites = [s for s in re.split(r"[ ,]+", a.suites) if s]
    if not backends:
        found = set()
        for f in glob.glob(os.path.join(a.cand_build, "harness", "micro-*")):
            b = f.rsplit("micro-", 1)[1]
            if re.fullmatch(r"[a-z]+", b) and b != "busted":
                found.add(b)
        backends = [b for b in ("pthread", "lockfree", "coro") if b in found] + sorted(found - {"pthread", "lockfree", "coro"})
    plan, rows = [], []
    for b in backends:
        for suite in suites:
            bexe = sbs_binaries(a.base_build, suite, b, False)
            cexe = sbs_binaries(a.cand_build, suite, b, a.plant)
            missing = [x for x in (bexe, cexe) if not os.access(x, os.X_OK)]
            if missing:
                if suite == "micro":
                    raise GateInputError("%s: not built: %s" % (b, ", ".join(missing)))
                rows.append(dict(signal="wall", backend=b, name=suite + ":*",
                                 verdict="skipped: not built (%s)" % ", ".join(missing)))
                continue
            plan.append((b, suite, bexe, cexe))
    if not plan:
        raise GateInputError("nothing to measure side by side (backends %s)" % backends)
    limit = a.wall_threshold / 100.0
    if not a.out:  # the rounds' JSON are kept only with --out
        with tempfile.TemporaryDirectory(prefix="goc-gate-") as tmp:
            return side_by_side_rows(a, plan, rows, limit, os.path.join(tmp, "rounds"))
    return side_by_side_rows(a, plan, rows, limit, os.path.join(a.out, "rounds"))


def side_by_side_rows(a, plan, rows, limit, rdir):
    data = sbs_measure(a, plan, a.rounds, {(b, s): a.filter for b, s, _, _ in plan}, rdir, "gate")
    if not data:
        raise GateInputError("the filter %r matched no benchmark" % a.filter)
    found = {}
    for (b, name), v in sorted(data.items()):
        row = dict(signal="wall", backend=b, name=name, unit="ns")
        row.update(paired_verdict(v["base"], v["cand"], limit, a.alpha))
        rows.append(row)
        found[(b, name)] = row
    suspects = [k for k, r in found.items() if r["verdict"] == "suspect"]
    if suspects and a.no_rerun:
        for k in suspects:
            found[k]["verdict"] = "suspect (not confirmed: --no-rerun)"
    elif suspects:
        # A batch of confirmation rounds that comes out unstable (a load
        # spike) says nothing either way: measure that row again, up to
        # --confirm-tries batches. The first batch that is not unstable
        # decides; "ok" is final as much as "suspect".
        pending = list(suspects)
        for attempt in range(1, a.confirm_tries + 1):
            flt = {}
            for b, name in pending:
                suite = name.split(":", 1)[0] if ":" in name else "micro"
                flt.setdefault((b, suite), []).append(name)
            flt = {k: name_filter(v) for k, v in flt.items()}
            log("confirming %d suspect row(s) with %d more rounds (batch %d of at most %d): %s"
                % (len(pending), a.rerun_rounds, attempt, a.confirm_tries,
                   ", ".join("%s %s" % k for k in pending)))
            again = sbs_measure(a, plan, a.rerun_rounds, flt, rdir, "confirm%d" % attempt)
            still = []
            for k in pending:
                row = found[k]
                v = again.get(k)
                if not v:
                    row["verdict"] = "suspect (rerun did not run it)"
                    continue
                rv = paired_verdict(v["base"], v["cand"], limit, a.alpha)
                row["rerun_change"], row["rerun_p"] = rv.get("change"), rv.get("p")
                if rv["verdict"] == "suspect":
                    row["verdict"] = "REGRESSED"
                    row["note"] = "confirmed by %d more rounds: %+.1f%%, p=%.3g" % (
                        a.rerun_rounds, 100 * rv["change"], rv["p"])
                elif rv["verdict"] == "unstable":
                    row["verdict"] = "unstable"
                    row["note"] = "in %d batch(es) of confirmation rounds; the last: %s" % (
                        attempt, rv.get("note", ""))
                    still.append(k)
                else:
                    row["verdict"] = "ok (not confirmed: %s)" % (
                        "%+.1f%% in %d more rounds" % (100 * rv["change"], a.rerun_rounds)
                        if rv.get("change") is not None
                        else rv["verdict"])
            pending = still
            if not pending:
                break
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


UNSTABLE_HINT = ("an unstable row is measured, not gated. To make it stable: more rounds "
                 "(--rounds 20) and repetitions (--reps 40), cores of its own (--pin 0,1, or a "
                 "quieter machine: no other jobs), or leave it out (--filter)")


def cmd_check(a):
    rows, unusable = [], []
    need_baseline = bool(a.icount or a.wall)
    if need_baseline and not a.baseline:
        raise GateInputError("--icount and --wall compare with a stored baseline: give --baseline DIR")
    if need_baseline and not os.path.isdir(a.baseline):
        raise GateInputError("baseline folder not found: %s (record one with ./run_all.sh gate "
                             "--update-baseline)" % a.baseline)
    if bool(a.base_build) != bool(a.cand_build):
        raise GateInputError("side by side needs both --base-build and --cand-build")
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
    if a.base_build:
        signals += 1
        try:
            rows += compare_side_by_side(a)
        except GateInputError as e:
            unusable.append("wall clock (side by side): %s" % e)
    if not signals:
        raise GateInputError("nothing to check: give --icount FILE, --wall DIR and/or "
                             "--base-build DIR --cand-build DIR")
    title = ""
    if a.base_build:
        title = ("wall clock side by side: %s (baseline) against %s (candidate), %d alternating rounds, "
                 "filter %r, min time %gs, threshold %g%%, alpha %g\n\n"
                 % (a.base_label or a.base_build, a.cand_label or a.cand_build, a.rounds, a.filter,
                    a.min_time, a.wall_threshold, a.alpha))
    print(title + table(rows))
    regressed = [r for r in rows if r.get("verdict") == "REGRESSED"]
    unstable = [r for r in rows if r.get("verdict", "").startswith("unstable")]
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "gate.json"), "w", encoding="utf-8") as f:
            json.dump({"rows": rows, "unusable": unusable, "regressed": len(regressed),
                       "unstable": len(unstable)}, f, indent=1)
        with open(os.path.join(a.out, "gate.md"), "w", encoding="utf-8") as f:
            f.write("# goc gate\n\n" + title + table(rows) + "\n")
            if unstable:
                f.write("\n%d unstable row(s): %s.\n" % (len(unstable), UNSTABLE_HINT))
    print()
    for u in unusable:
        print("gate: UNUSABLE INPUT: " + u)
    if unstable:
        print("gate: %d UNSTABLE row(s), not gated (%s):" % (len(unstable), UNSTABLE_HINT))
        print(table(unstable))
    if regressed:
        print("gate: %d REGRESSION(S):" % len(regressed))
        print(table(regressed))
        return 1
    if unusable:
        return 2
    n = sum(1 for r in rows if r.get("change") is not None)
    faster = sum(1 for r in rows if r.get("verdict") == "faster" and r.get("signal") == "icount")
    print("gate: no regression (%d comparisons%s)" % (n, ", %d unstable" % len(unstable) if unstable else ""))
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
    if a.env:
        env = load_env(a.env)
        if env is None:
            raise GateInputError("%s is not a readable env.json" % a.env)
        env = {k: v for k, v in env.items() if k not in ("load_avg",)}
        with open(os.path.join(a.to, "env.json"), "w", encoding="utf-8") as f:
            json.dump(env, f, indent=1, sort_keys=True)
            f.write("\n")
        log("wrote %s" % os.path.join(a.to, "env.json"))
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
    c.add_argument("--baseline", help="stored baseline folder (icount.json, wall/, env.json)")
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
    c.add_argument("--env", help="the candidate's env.json (harness/env_json.py): names what differs "
                   "from a stored baseline's DIR/env.json")
    g = c.add_argument_group("wall clock side by side (like with like)")
    g.add_argument("--base-build", help="baseline build folder (its harness/micro-<backend>, ...)")
    g.add_argument("--cand-build", help="candidate build folder")
    g.add_argument("--base-label", help="what the baseline is (a commit), for the report")
    g.add_argument("--cand-label", help="what the candidate is, for the report")
    g.add_argument("--backends", help="comma separated (default: every micro-<backend> built)")
    g.add_argument("--suites", default="micro", help="comma separated suites (micro,bench_patterns)")
    g.add_argument("--filter", default=".", help="Google Benchmark filter for every suite")
    g.add_argument("--rounds", type=int, default=10, help="alternating rounds (10: p < 0.01 stays "
                   "reachable with 2 disturbed rounds left out)")
    g.add_argument("--rerun-rounds", type=int, default=10, help="confirmation rounds for suspects")
    g.add_argument("--confirm-tries", type=int, default=3, help="batches of confirmation rounds "
                   "while they come out unstable")
    g.add_argument("--min-time", type=float, default=0.001, help="seconds per benchmark and repetition")
    g.add_argument("--reps", type=int, default=20, help="repetitions per binary and round; the round's "
                   "sample is the fastest (other jobs only ever add time)")
    g.add_argument("--pin", help="run every benchmark under taskset -c PIN")
    g.add_argument("--plant", action="store_true", help="candidate = micro_planted-<backend> "
                   "(harness/gate_tests/plant_wrap.c): the gate's test of itself")
    c.add_argument("--out", help="also write gate.json and gate.md here")
    u = sub.add_parser("update-baseline", help="store a new baseline")
    u.add_argument("--to", required=True)
    u.add_argument("--icount")
    u.add_argument("--wall")
    u.add_argument("--env", help="env.json of the recording machine (stored as DIR/env.json)")
    a = ap.parse_args(argv)
    if getattr(a, "rounds", 3) < 3 or getattr(a, "rerun_rounds", 3) < 3:
        ap.error("--rounds and --rerun-rounds must be >= 3")
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
