#!/usr/bin/python3
"""summary.md for one results folder (./run_all.sh report [RUN]).

usage: summary.py RUN_DIR [--out FILE] (default RUN_DIR/summary.md; "-" = stdout)

Reads only the files of the run folder (DESIGN.md section 5) and says which
ones are missing:
  env.json                 the machine, compilers, commit (harness/env_json.py)
  bench-<backend>.json     Google Benchmark JSON per backend and Go (go-p1,
                           go-pN); if absent, compare/*.json (stage compare)
  memory-<backend>.json    memory per parked task (harness/bench_memory.c)
  scaling-<label>.json     throughput against task count (bench_scaling.c)
  hyperfine-<pattern>.json pattern CLIs under hyperfine (stage patterns)
  http_fanout.json or wrk-http_fanout-<backend>-c<N>.txt   wrk load
Sections: benchmarks (each backend's median, min-max over the repetitions,
ratio to go-p1, go-pN and to the better of the two, which goc's goals count
against; the fastest backend of each benchmark marked), latency
percentiles, memory per task, scaling, hyperfine, wrk.

The loaders here are shared with plots/plot.py. Exit status 0 (also when
files are missing: the summary says so); 2 if RUN_DIR is not a folder.
Standard library only.
"""
import argparse
import glob
import json
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import stages as ST  # noqa: E402  (RUN/stages.json)
import floors as FL  # noqa: E402  (channel rows over the bare floors)

UNIT_NS = FL.UNIT_NS
GO = ("go-p1", "go-pN")
LAT_KEYS = ("p50_ns", "p99_ns", "p99.9_ns")
CPU_KEYS = ("cpu_ns", "sys_ns")  # process CPU time per op (gbench_shim.cc, reference/go)
BACKEND_ORDER = ("pthread", "lockfree", "coro", "coro-compact", "pthread-vtbl", "lockfree-vtbl",
                 "coro-vtbl", "go-p1", "go-pN")
NAME_NOISE = re.compile(r"/(real_time|process_time|manual_time|iterations:\d+|repeats:\d+|"
                        r"min_time:[0-9.e+-]+|threads:1)(?=/|$)")


def norm_name(name):
    return NAME_NOISE.sub("", name)


def backend_key(b):
    if b in BACKEND_ORDER:
        return (BACKEND_ORDER.index(b), b)
    m = re.match(r"coro-p(\d+)$", b)
    if m:
        return (2.5, "%06d" % int(m.group(1)))
    return (len(BACKEND_ORDER) - 2.5 if not b.startswith("go") else 99, b)


def read_json(path):
    """The parsed file, or None (unreadable files are reported as missing)."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------ loaders --

def load_env(run):
    env = read_json(os.path.join(run, "env.json"))
    return env if isinstance(env, dict) else {}


def footer(run, env=None):
    """One line naming the machine and the commit, for figures and tables."""
    env = load_env(run) if env is None else env
    cpu = env.get("cpu_model", "unknown CPU")
    cores = env.get("cores", "?")
    commit = str(env.get("git_commit", "unknown"))[:10]
    if env.get("git_dirty") is True:
        commit += "+dirty"
    comp = env.get("compilers", {}) if isinstance(env.get("compilers"), dict) else {}
    gcc = comp.get("gcc", "")
    m = re.search(r"(\d+\.\d+(\.\d+)?)\s*$", gcc)
    gcc = "gcc " + m.group(1) if m else ""
    gov = (comp.get("go", "") or "").replace("go version ", "").split(" ")[0]
    pinned = env.get("pinned_cpus")
    if isinstance(pinned, int) and pinned != cores:
        cores = "%s cores, pinned to %d" % (cores, pinned)
    else:
        cores = "%s cores" % cores
    parts = ["%s, %s" % (cpu, cores), env.get("kernel", ""), gcc, gov,
             "commit " + commit, os.path.basename(os.path.realpath(run))]
    return " | ".join(p for p in parts if p)


def gbench_label(doc, path):
    ctx = doc.get("context", {}) if isinstance(doc, dict) else {}
    b = ctx.get("goc_backend") or os.path.splitext(os.path.basename(path))[0]
    procs = str(ctx.get("goc_procs", "") or "")
    if b == "coro" and procs:
        b = "coro-p" + procs
    return b


def load_gbench(paths):
    """{(suite, name): {backend: {"ns": [...], "counters": {k: [...]},
    "items_per_second": [...], "error": msg}}}, ordered keys, ordered
    backends. suite is context.goc_suite ("micro", "bench_patterns"; "" if
    absent): the same name in two suites is two benchmarks."""
    data, order, backends = {}, [], []
    rank = {}  # name -> (file number, family_index, instance): registration order
    for fileno, p in enumerate(paths):
        doc = read_json(p)
        if not isinstance(doc, dict) or not isinstance(doc.get("benchmarks"), list):
            continue
        b = gbench_label(doc, p)
        suite = str((doc.get("context") or {}).get("goc_suite", "") or "")
        if b not in backends:
            backends.append(b)
        for r in doc["benchmarks"]:
            if not isinstance(r, dict) or r.get("run_type", "iteration") != "iteration":
                continue
            name = (suite, norm_name(r.get("run_name") or r.get("name", "?")))
            if name not in data:
                data[name] = {}
                order.append(name)
            if not b.startswith("go") and "family_index" in r:
                key = (fileno, r["family_index"], r.get("per_family_instance_index", 0))
                rank[name] = min(rank.get(name, key), key)
            ent = data[name].setdefault(b, {"ns": [], "counters": {}, "items_per_second": [], "rounds": []})
            if r.get("error_occurred"):
                ent["error"] = r.get("error_message", "error")
                continue
            if not isinstance(r.get("real_time"), (int, float)):
                continue
            ent["ns"].append(float(r["real_time"]) * UNIT_NS.get(r.get("time_unit", "ns"), 1.0))
            ent["rounds"].append(r.get("goc_round") if isinstance(r.get("goc_round"), int) else None)
            for k in LAT_KEYS + CPU_KEYS:
                if isinstance(r.get(k), (int, float)):
                    ent["counters"].setdefault(k, []).append(float(r[k]))
            if isinstance(r.get("items_per_second"), (int, float)):
                ent["items_per_second"].append(float(r["items_per_second"]))
    backends.sort(key=backend_key)
    # the C binaries' registration order (random interleaving shuffles the
    # records), then what only Go ran, in its order
    pos = {n: i for i, n in enumerate(order)}
    order.sort(key=lambda n: (0,) + rank[n] if n in rank else (1, pos[n], 0, 0))
    return data, order, backends


def bench_files(run):
    files = sorted(f for f in glob.glob(os.path.join(run, "bench[-_]*.json"))
                   if os.path.basename(f) != "bench.json")
    # C backends first, so that their registration order leads
    files.sort(key=lambda f: (os.path.basename(f).startswith(("bench-go", "bench_patterns-go")), f))
    if not files:
        files = sorted(glob.glob(os.path.join(run, "compare", "*.json")))
    return files


def stats(v):
    return (statistics.median(v), min(v), max(v)) if v else (None, None, None)


def bench_rows(data, order, backends):
    """Per benchmark: {backend: dict(median, min, max, n, ratio_go_p1,
    ratio_go_pN, ratio_best_go, error)} and the fastest backend."""
    out = []
    for name in order:
        per = data[name]
        med = {b: statistics.median(e["ns"]) for b, e in per.items() if e["ns"]}
        go = [med[g] for g in GO if g in med]
        best_go = min(go) if go else None
        cells = {}
        for b in backends:
            if b not in per:
                continue
            e = per[b]
            c = {"n": len(e["ns"])}
            if e.get("error"):
                c["error"] = e["error"]
            if e["ns"]:
                c["median"], c["min"], c["max"] = stats(e["ns"])
                for g in GO:
                    c["ratio_" + g] = c["median"] / med[g] if med.get(g) else None
                c["ratio_best_go"] = c["median"] / best_go if best_go else None
            cells[b] = c
        best = min(med, key=med.get) if med else None
        out.append((name, cells, best))
    return out


def load_memory(run):
    """[(backend, record)] from memory-*.json."""
    out = []
    for p in sorted(glob.glob(os.path.join(run, "memory-*.json"))):
        doc = read_json(p)
        if not isinstance(doc, dict) or not isinstance(doc.get("memory"), list):
            continue
        b = (doc.get("context") or {}).get("goc_backend") or os.path.basename(p)[7:-5]
        for r in doc["memory"]:
            if isinstance(r, dict):
                out.append((b, r))
    out.sort(key=lambda x: (backend_key(x[0]), x[1].get("tasks_requested", 0)))
    return out


def load_scaling(run):
    """{family: {label: [(n, median items/s, min, max)]}} from scaling-*.json,
    where family is "ScalingMPMC" etc. and n the producers/workers count."""
    data, _, _ = load_gbench(sorted(glob.glob(os.path.join(run, "scaling-*.json"))))
    out = {}
    for (_, name), per in data.items():
        m = re.match(r"^([^/]+)/[a-z_]+:(\d+)$", name)
        if not m:
            continue
        fam, n = m.group(1), int(m.group(2))
        for b, e in per.items():
            ips = e["items_per_second"] or [1e9 / x for x in e["ns"] if x > 0]
            if not ips:
                continue
            md, lo, hi = stats(ips)
            out.setdefault(fam, {}).setdefault(b, []).append((n, md, lo, hi))
    for fam in out:
        for b in out[fam]:
            out[fam][b].sort()
    return out


BARE_POOL = "ScalingBarePool"
POOL = "ScalingWorkerPool"


def bare_pool_curve(sc):
    """[(threads, median jobs/s)] of ScalingBarePool (bench_scaling.c: the
    pool's jobs on plain OS threads, the machine's ceiling): per thread
    count the median over the binaries that ran it (the same code in each
    thread backend's binary); [] when none did."""
    per = sc.get(BARE_POOL) or {}
    by = {}
    for pts in per.values():
        for n, md, *_ in pts:
            by.setdefault(n, []).append(md)
    return sorted((n, statistics.median(v)) for n, v in by.items())


def pool_ceiling_line(sc):
    """One sentence: each label's ScalingWorkerPool at its most workers over
    one bare thread's jobs/s, beside the best the bare threads reached (the
    hardware's ceiling for that ratio); None without both families."""
    bare = bare_pool_curve(sc)
    one = dict(bare).get(1)
    pool = sc.get(POOL) or {}
    if not one or not pool:
        return None
    best_n, best = max(bare, key=lambda x: x[1])
    parts = []
    for b in sorted(pool, key=backend_key):
        n, md = max(pool[b])[:2]
        parts.append("%s %s" % (b, fmt_ratio(md / one)))
    return ("Against the machine (%s: the same jobs on plain threads, no channels): one bare "
            "thread does %s; the bare threads' best is %s at %d workers, a ceiling of %s. "
            "%s at its most workers over one bare thread: %s." % (
                BARE_POOL, fmt_rate(one), fmt_rate(best), best_n, fmt_ratio(best / one),
                POOL, ", ".join(parts)))


def load_hyperfine(run):
    """{pattern: [(command name, mean s, stddev s, min s, max s, median s)]}"""
    out = {}
    for p in sorted(glob.glob(os.path.join(run, "hyperfine-*.json"))):
        doc = read_json(p)
        if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
            continue
        name = os.path.basename(p)[len("hyperfine-"):-len(".json")]
        rows = []
        for r in doc["results"]:
            if not isinstance(r, dict) or not isinstance(r.get("mean"), (int, float)):
                continue
            cmd = str(r.get("command", "?"))
            rows.append((cmd, r["mean"], r.get("stddev") or 0.0, r.get("min", r["mean"]),
                         r.get("max", r["mean"]), r.get("median", r["mean"])))
        if rows:
            out[name] = rows
    return out


_WRK_UNIT_MS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 6e4}


def _wrk_ms(v):
    m = re.match(r"([0-9.]+)(us|ms|s|m)$", v)
    return float(m.group(1)) * _WRK_UNIT_MS[m.group(2)] if m else None


def load_wrk(run):
    """[dict(backend, connections, requests_per_sec, p50_ms, p90_ms, p99_ms,
    errors)] from http_fanout.json, else from the raw wrk-*.txt files."""
    doc = read_json(os.path.join(run, "http_fanout.json"))
    recs = []
    if isinstance(doc, list):
        for r in doc:
            if isinstance(r, dict) and "backend" in r and "connections" in r:
                recs.append(r)
    if not recs:
        for p in sorted(glob.glob(os.path.join(run, "wrk-*-c*.txt"))):
            m = re.match(r"wrk-(?:http_fanout-)?(.+)-c(\d+)\.txt$", os.path.basename(p))
            if not m:
                continue
            try:
                text = open(p, encoding="utf-8", errors="replace").read()
            except OSError:
                continue
            r = {"backend": m.group(1), "connections": int(m.group(2))}
            q = re.search(r"Requests/sec:\s+([0-9.]+)", text)
            r["requests_per_sec"] = float(q.group(1)) if q else None
            for pc in ("50", "75", "90", "99"):
                q = re.search(r"^\s+%s%%\s+(\S+)" % pc, text, re.M)
                r["p%s_ms" % pc] = _wrk_ms(q.group(1)) if q else None
            q = re.search(r"Socket errors: (.*)", text)
            r["socket_errors"] = q.group(1).strip() if q else ""
            q = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
            r["non_2xx"] = int(q.group(1)) if q else 0
            recs.append(r)
    recs.sort(key=lambda r: (backend_key(r["backend"]), r["connections"]))
    return recs


# --------------------------------------------------------------- formatting --

def fmt_ns(ns):
    if ns is None:
        return "-"
    for unit, s in (("s", 1e9), ("ms", 1e6), ("µs", 1e3)):
        if ns >= s:
            v = ns / s
            return ("%.3g %s" % (v, unit)) if v < 100 else ("%.0f %s" % (v, unit))
    return ("%.3g ns" % ns) if ns < 100 else ("%.0f ns" % ns)


def fmt_ratio(r):
    return "-" if r is None else "%.2f×" % r


def fmt_bytes(b):
    if b is None:
        return "-"
    for unit, s in (("MiB", 1 << 20), ("KiB", 1 << 10)):
        if abs(b) >= s:
            return "%.1f %s" % (b / s, unit)
    return "%.0f B" % b


def fmt_rate(v):
    if v is None:
        return "-"
    for unit, s in (("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if v >= s:
            return "%.3g%s/s" % (v / s, unit)
    return "%.3g/s" % v


def md_table(header, rows, align=None):
    align = align or ["---"] * len(header)
    out = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


# ------------------------------------------------------------------ summary --

def failed_stages(run):
    """[(stage, record, excerpt lines)] of RUN/stages.json's stages that did
    not end ok; the stage now running (GOC_STAGE_NAME, the report itself) is
    not counted."""
    me = os.environ.get("GOC_STAGE_NAME", "")
    return [(s, rec, ST.excerpt(run, s)) for s, rec in ST.failed(run)
            if not (s == me and rec.get("status") == "running")]


def failed_stages_md(run):
    bad = failed_stages(run)
    if not bad:
        return []
    out = ["## Failed stages\n",
           "%d stage(s) did not end ok; what the others measured is below. Each stage's "
           "whole output is in `logs/<stage>.log`; `./run_all.sh --resume --run RUN` reruns "
           "these stages only.\n" % len(bad)]
    for s, rec, lines in bad:
        out.append("- **%s**: %s (exit status %s, %ss), [%s](%s)\n" % (
            s, "interrupted" if rec.get("status") == "running" else "FAILED", rec.get("rc", "?"),
            rec.get("seconds", "?"), rec.get("log", ""), rec.get("log", "")))
        out.append("```\n%s\n```\n" % "\n".join(l.replace("`", "'") for l in lines))
    return out


def summarize(run):
    env = load_env(run)
    out, missing = [], []
    out.append("# goc results: %s\n" % os.path.basename(os.path.realpath(run)))
    if env:
        comp = env.get("compilers", {}) if isinstance(env.get("compilers"), dict) else {}
        out.append("Machine: %s, %s cores, %s, %s; governor %s." % (
            env.get("cpu_model", "?"), env.get("cores", "?"), env.get("kernel", "?"),
            env.get("os", "?"), env.get("governor", "?")))
        if env.get("source"):
            out.append("Source: %s." % env["source"])
        out.append("Compilers: %s. Commit %s%s. Run at %s.\n" % (
            "; ".join("%s" % v for v in comp.values()) or "?", str(env.get("git_commit", "?"))[:12],
            " (uncommitted changes)" if env.get("git_dirty") is True else "", env.get("date_utc", "?")))
    else:
        missing.append("env.json (machine and commit unknown)")
    out += failed_stages_md(run)

    # benchmarks
    files = bench_files(run)
    data, order, backends = load_gbench(files)
    out.append("## Benchmarks (ns per operation, wall clock)\n")
    if not order:
        missing.append("bench-<backend>.json (./run_all.sh bench)")
        out.append("_No benchmark results in this run._\n")
    else:
        rows = bench_rows(data, order, backends)
        gos = [g for g in GO if g in backends]
        out.append("Median over the repetitions; **bold** = fastest of the row (Go included). "
                   "Ratios are median / Go's median (below 1 = faster than Go); `best Go` is the "
                   "faster of go-p1 and go-pN, the one goc's goals count against. Files: %s.\n"
                   % ", ".join(os.path.relpath(f, run) for f in files))
        suites = []
        for (suite, _), _, _ in rows:
            if suite not in suites:
                suites.append(suite)
        for suite in suites:
            srows = [r for r in rows if r[0][0] == suite]
            sb = [b for b in backends if any(b in cells for _, cells, _ in srows)]
            if len(suites) > 1 or suite:
                out.append("### Suite %s\n" % (suite or "(unnamed)"))
            goc = [b for b in sb if b not in GO]
            hdr = ["benchmark"] + sb + (["vs best Go: " + ", ".join(goc)] if goc else [])
            table = []
            for (_, name), cells, best in srows:
                line = [name]
                for b in sb:
                    c = cells.get(b)
                    if c is None:
                        line.append("-")
                    elif c.get("error") and c.get("median") is None:
                        line.append("ERROR")
                    else:
                        v = fmt_ns(c.get("median"))
                        line.append("**%s**" % v if b == best else v)
                rat = [fmt_ratio(cells[b].get("ratio_best_go")) if b in cells else "-" for b in goc]
                if goc:
                    line.append(" / ".join(rat) if gos else "no Go run")
                table.append(line)
            out.append(md_table(hdr, table, ["---"] + ["---:"] * len(sb) + ["---"] * bool(goc)))
            out.append("")
        # issue 15: channel rows against the bare floors (harness/floors.py)
        med, cpum = {}, {}
        for (suite, name), cells in data.items():
            for b, c in cells.items():
                if c.get("ns"):
                    med[(suite, name, b)] = statistics.median(c["ns"])
                    cn = c.get("counters", {}).get("cpu_ns")
                    if cn:
                        cpum[(suite, name, b)] = statistics.median(cn)
        for line in FL.floor_lines(med, cpum, fmt_ratio):
            out.append(line + "\n")
        for line in FL.placement_lines(med, fmt_ns, fmt_ratio):
            out.append(line + "\n")
        probes = FL.load_probes_file(os.path.join(run, FL.PROBE_FILE))
        probe = FL.probe_lines(probes, fmt_ns)
        if probe:
            out.append("\n".join(probe) + "\n")
        rnd = FL.round_lines(data, [k for k, _, _ in rows], probes, fmt_ratio, fmt_ns)
        if rnd:
            out.append("\n".join(rnd) + "\n")
        out.append("### Per backend: median, spread, ratios\n")
        det = []
        for (suite, name), cells, best in rows:
            label = name if len(suites) == 1 else "%s (%s)" % (name, suite or "-")
            for b in backends:
                c = cells.get(b)
                if c is None:
                    continue
                if c.get("median") is None:
                    det.append([label, b, "ERROR: %s" % c.get("error", "?"), "", "", "", "", "", ""])
                    continue
                det.append([label, ("**%s** (best)" % b) if b == best else b, fmt_ns(c["median"]),
                            "%s – %s" % (fmt_ns(c["min"]), fmt_ns(c["max"])), c["n"],
                            fmt_ratio(c.get("ratio_go-p1")), fmt_ratio(c.get("ratio_go-pN")),
                            fmt_ratio(c.get("ratio_best_go")),
                            ("ERROR in some repetitions: " + c["error"]) if c.get("error") else ""])
        out.append(md_table(["benchmark", "backend", "median", "min – max", "n", "/ go-p1", "/ go-pN",
                             "/ best Go", "note"], det,
                            ["---", "---", "---:", "---:", "---:", "---:", "---:", "---:", "---"]))
        errs = [(n[1], b, c["error"]) for n, cells, _ in rows for b, c in cells.items() if c.get("error")]
        if errs:
            out.append("\n**%d benchmark run(s) reported a failed self-check:** %s\n" % (
                len(errs), "; ".join("%s on %s: %s" % e for e in errs[:10])))
        if not gos:
            missing.append("Go results (bench-go-p1.json, bench-go-pN.json): no ratios to Go")

        # latency
        lat = []
        for name in order:
            for b in backends:
                e = data[name].get(b)
                if e and all(k in e["counters"] for k in LAT_KEYS):
                    lat.append([name[1], b] + [fmt_ns(statistics.median(e["counters"][k])) for k in LAT_KEYS])
        out.append("\n## Latency percentiles (per operation)\n")
        if lat:
            out.append("Medians over the repetitions of each percentile, from the log-bucketed "
                       "histogram recorded in the benchmark body (relative error below 3%).\n")
            out.append(md_table(["benchmark", "backend", "p50", "p99", "p99.9"], lat,
                                ["---", "---", "---:", "---:", "---:"]))
        else:
            out.append("_No benchmark with p50/p99/p99.9 counters._")
            missing.append("latency counters (p50_ns/p99_ns/p99.9_ns)")

        # CPU time per operation (cpu_ns / sys_ns counters: getrusage over
        # the process during the timed region; the C shim and Go report them)
        cpu = []
        for name in order:
            for b in backends:
                e = data[name].get(b)
                if not e or not e["ns"] or "cpu_ns" not in e["counters"]:
                    continue
                wall = statistics.median(e["ns"])
                c = statistics.median(e["counters"]["cpu_ns"])
                sy = e["counters"].get("sys_ns")
                cpu.append([name[1], b, fmt_ns(wall), fmt_ns(c), fmt_ns(statistics.median(sy)) if sy else "-",
                            "%.2f" % (c / wall) if wall > 0 else "-"])
        out.append("\n## CPU time per operation\n")
        if cpu:
            out.append("Process CPU time (every thread, user + system; getrusage) over the timed region, "
                       "per operation, medians over the repetitions. `cpu / wall` is the number of cores "
                       "kept busy: spinning shows here, not in the wall time.\n")
            out.append(md_table(["benchmark", "backend", "wall", "cpu", "of it system", "cpu / wall"], cpu,
                                ["---", "---", "---:", "---:", "---:", "---:"]))
        else:
            out.append("_No benchmark with cpu_ns counters._")

    # memory
    mem = load_memory(run)
    out.append("\n## Memory per parked task and spawn time\n")
    if mem:
        out.append("N tasks each blocked receiving on one channel; RSS delta / N from "
                   "/proc/self/statm (user memory only: an OS thread's kernel stack is not in RSS). "
                   "`spawn` is the spawner's loop of N spawns; `all started` runs until every task "
                   "has run its first instruction (the fair total where a backend defers work to "
                   "the first run: coro touches a task's stack only then).\n")
        rows = []
        for b, r in mem:
            if r.get("skipped"):
                rows.append([b, r.get("tasks_requested"), "skipped: " + r["skipped"], "", "", "", ""])
                continue
            rows.append([b, r.get("tasks", r.get("tasks_requested")), fmt_bytes(r.get("rss_per_task_bytes")),
                         fmt_ns(r.get("spawn_ns_per_task")), fmt_ns(r.get("start_ns_per_task")),
                         fmt_ns(r.get("wake_exit_ns_per_task")),
                         "ok" if r.get("ok") else "FAILED: %s" % r.get("error", "?")])
        out.append(md_table(["backend", "tasks", "RSS / task", "spawn / task", "all started / task",
                             "close+exit / task", "check"],
                            rows, ["---", "---:", "---:", "---:", "---:", "---:", "---"]))
    else:
        out.append("_Not measured in this run._")
        missing.append("memory-<backend>.json (./run_all.sh memory)")

    # scaling
    sc = load_scaling(run)
    out.append("\n## Scaling (throughput, items/s, median)\n")
    if sc:
        for fam, per in sorted(sc.items(), key=lambda kv: (kv[0] == BARE_POOL, kv[0])):
            ns = sorted({n for pts in per.values() for n, *_ in pts})
            rows = []
            for b in sorted(per, key=backend_key):
                d = {n: md for n, md, *_ in per[b]}
                rows.append([b] + [fmt_rate(d.get(n)) for n in ns])
            unit = ("workers, each a plain thread" if fam == BARE_POOL else
                    "workers" if "Pool" in fam else "producers")
            out.append("**%s** (columns: %s)\n" % (fam, unit))
            out.append(md_table(["backend"] + [str(n) for n in ns], rows, ["---"] + ["---:"] * len(ns)))
            out.append("")
        line = pool_ceiling_line(sc)
        if line:
            out.append(line + "\n")
    else:
        out.append("_Not measured in this run._")
        missing.append("scaling-*.json (./run_all.sh scaling)")

    # hyperfine
    hf = load_hyperfine(run)
    out.append("\n## Pattern CLIs under hyperfine (mean ± stddev per run)\n")
    if hf:
        cmds = []
        for rows in hf.values():
            for c, *_ in rows:
                if c not in cmds:
                    cmds.append(c)
        cmds.sort(key=backend_key)
        table = []
        for name, rows in sorted(hf.items()):
            d = {c: (m, s) for c, m, s, *_ in rows}
            best = min(d, key=lambda c: d[c][0])
            gos = [d[g][0] for g in GO if g in d]
            line = [name]
            for c in cmds:
                if c not in d:
                    line.append("-")
                    continue
                txt = "%s ± %s" % (fmt_ns(d[c][0] * 1e9), fmt_ns(d[c][1] * 1e9))
                if gos and c not in GO:
                    txt += " (%s)" % fmt_ratio(d[c][0] / min(gos))
                line.append("**%s**" % txt if c == best else txt)
            table.append(line)
        out.append("In parentheses: ratio to the better Go. **bold** = fastest.\n")
        out.append(md_table(["pattern"] + cmds, table, ["---"] + ["---:"] * len(cmds)))
    else:
        out.append("_Not measured in this run._")
        missing.append("hyperfine-<pattern>.json (./run_all.sh patterns)")

    # wrk
    wrk = load_wrk(run)
    out.append("\n## http_fanout under wrk\n")
    if wrk:
        f = lambda v: "-" if v is None else ("%.0f" % v if v >= 100 else "%.2f" % v)
        rows = [[r["backend"], r["connections"], f(r.get("requests_per_sec")), f(r.get("p50_ms")),
                 f(r.get("p99_ms")), (r.get("socket_errors") or "") +
                 (" non-2xx %d" % r["non_2xx"] if r.get("non_2xx") else "") or "none"] for r in wrk]
        out.append(md_table(["backend", "connections", "requests/s", "p50 ms", "p99 ms", "errors"], rows,
                            ["---", "---:", "---:", "---:", "---:", "---"]))
    else:
        out.append("_Not measured in this run._")
        missing.append("http_fanout.json / wrk-http_fanout-*.txt (./run_all.sh patterns)")

    for extra, what in (("races.json", "race suite"), ("pitfalls.md", "pitfalls table")):
        if os.path.exists(os.path.join(run, extra)):
            out.append("\n%s: see [%s](%s)." % (what.capitalize(), extra, extra))
        else:
            missing.append("%s (%s)" % (extra, what))
    bad = [os.path.relpath(f, run) for f in sorted(glob.glob(os.path.join(run, "*.json"))
                                                 + glob.glob(os.path.join(run, "compare", "*.json")))
           if read_json(f) is None]
    missing += ["%s is unreadable (not JSON; a stage died while writing it?)" % f for f in bad]
    out.append("\n## Missing from this run\n")
    out.append("\n".join("- " + m for m in missing) if missing else "Nothing: every stage left its files.")
    out.append("\n---\n%s\n" % footer(run, env))
    return "\n".join(out) + "\n", missing


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run", help="results folder (e.g. results/latest)")
    ap.add_argument("--out", help="output file (default RUN/summary.md; - for stdout)")
    ap.add_argument("--keep-published", action="store_true",
                    help="leave an existing summary.md alone when RUN holds no raw results and no "
                         "stages.json (a folder that kept only its tables, e.g. results/published/*)")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.run):
        print("summary.py: %s is not a results folder" % a.run, file=sys.stderr)
        return 2
    dest = a.out or os.path.join(a.run, "summary.md")
    raw = [p for p in glob.glob(os.path.join(a.run, "*.json")) + glob.glob(os.path.join(a.run, "compare", "*.json"))
           + glob.glob(os.path.join(a.run, "wrk-*.txt"))
           if os.path.basename(p) not in ("env.json", "stages.json")]
    if (a.keep_published and not raw and os.path.exists(dest)
            and not os.path.exists(os.path.join(a.run, "stages.json"))):
        print("summary.py: %s holds no raw results; its summary.md is kept" % a.run, file=sys.stderr)
        return 0
    text, missing = summarize(a.run)
    if dest == "-":
        sys.stdout.write(text)
    else:
        with open(dest, "w", encoding="utf-8") as f:
            f.write(text)
        print("summary.py: wrote %s%s" % (dest, " (missing: %d kinds of file)" % len(missing)
                                          if missing else ""), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
