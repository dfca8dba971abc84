#!/usr/bin/python3
"""Turns the device kit's results (scripts/kit_run.sh: kit-results/) into
ordinary run folders (./run_all.sh kit import; scripts/stage_kit.sh).

usage: kit_import.py KIT_RESULTS_DIR RESULTS_ROOT [--host NAME]

One folder per P, RESULTS_ROOT/<UTC>-<host>-p<P>/, laid out as the bench
stage lays out a run: bench-<backend>.json and bench_patterns-<backend>.json
(the C binaries' Google Benchmark JSON as written: coro at GOC_PROCS=P, the
thread backends pinned to P cores), bench[_patterns]-go-pN.json (Go at
GOMAXPROCS=P, converted by reference/go/gbench_json.py) and -go-p1.json (Go
at GOMAXPROCS=1, from the P=1 run, in every folder), env.json (from
env.txt: CPU, cores, kernel, the kit's commit, and `pinned_cpus` = P),
floors.json (the cross-core probes around that P). The scaling results go
into the largest P's folder as the scaling stage names them, and so do the
coro scheduler counts (schedstats-p<P>.txt), the pool's scheduler event
log (schedlog-pool16-p<P>.log.gz, summarised by schedlog.py as
schedlog-pool16-p<P>.txt) and an A/B of coro variant
builds (ab-p<P>.txt, tabulated as ab.md by kit_ab.py). Prints the
folders made, one per line. Exit status 0; 1 when a conversion failed (the
folders keep what converted); 2 when the input is not kit results.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import floors as FL  # noqa: E402  (the probe's median)

GBENCH_JSON = os.path.join(HERE, "..", "reference", "go", "gbench_json.py")
SUITES = (("micro", "bench"), ("bench_patterns", "bench_patterns"))


def read_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            k, sep, v = line.partition(":")
            if sep and k.strip() and k.strip() not in env:
                env[k.strip()] = v.strip()
    return env


def go_convert(txt, out, backend, procs, suite):
    """gbench_json.py over one Go text file; True when it wrote `out`."""
    if not os.path.exists(txt) or os.path.getsize(txt) == 0:
        return False
    args = [sys.executable, GBENCH_JSON, "--backend", backend, "--procs", str(procs),
            "--context", "gomaxprocs=%d" % procs, "-o", out, txt]
    if suite:
        args[-3:-3] = ["--context", "goc_suite=%s" % suite]
    p = subprocess.run(args, capture_output=True, text=True, check=False)
    if p.returncode not in (0, 1) or not os.path.exists(out):
        print("kit_import.py: %s: %s" % (txt, p.stderr.strip()[-300:]), file=sys.stderr)
        return False
    return True


def probe_ns(path):
    try:
        with open(path, encoding="utf-8") as f:
            return FL.gbench_median_ns(json.load(f))
    except (OSError, ValueError):
        return None


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("kit")
    ap.add_argument("root")
    ap.add_argument("--host")
    a = ap.parse_args(argv)
    envp = os.path.join(a.kit, "env.txt")
    if not os.path.exists(envp):
        print("kit_import.py: %s has no env.txt: not the kit's results" % a.kit, file=sys.stderr)
        return 2
    env = read_env(envp)
    ps = sorted(int(m.group(1)) for d in os.listdir(a.kit) for m in [re.fullmatch(r"p(\d+)", d)] if m
                and os.path.isdir(os.path.join(a.kit, d)))
    if not ps:
        print("kit_import.py: no p<P> folder in %s: the run did not get to any P" % a.kit, file=sys.stderr)
        return 2
    host = re.sub(r"[^A-Za-z0-9_.-]", "-", a.host or env.get("host", "device") or "device")
    stamp = re.sub(r"[-:]", "", env.get("date", "")) or "00000000T000000Z"
    ncpu = int(env.get("nproc", "0") or 0) or max(ps)
    rc = 0
    made = []
    for p in ps:
        src = os.path.join(a.kit, "p%d" % p)
        run = os.path.join(a.root, "%s-%s-p%d" % (stamp, host, p))
        os.makedirs(run, exist_ok=True)
        for f in sorted(os.listdir(src)):
            if f.endswith(".json") or f.endswith(".log"):
                shutil.copy(os.path.join(src, f), run)
        for suite, prefix in SUITES:
            if p > 1 and not go_convert(os.path.join(src, "%s-go.txt" % suite),
                                        os.path.join(run, "%s-go-pN.json" % prefix), "go-pN", p, suite):
                if os.path.exists(os.path.join(src, "%s-go.txt" % suite)):
                    rc = 1
            p1 = os.path.join(a.kit, "p1", "%s-go.txt" % suite)
            if os.path.exists(p1) and not go_convert(p1, os.path.join(run, "%s-go-p1.json" % prefix),
                                                     "go-p1", 1, suite):
                rc = 1
        probes = []
        for when in ("before", "after"):
            ns = probe_ns(os.path.join(a.kit, "probe-p%d-%s.json" % (p, when)))
            if ns:
                probes.append({"backend": "P=%d" % p, "when": when, "ns": ns, "t": 0})
        if probes:
            with open(os.path.join(run, "floors.json"), "w", encoding="utf-8") as f:
                json.dump(probes, f, indent=1)
        doc = {"cpu_model": env.get("cpu", "unknown"), "cores": ncpu, "kernel": env.get("kernel", "unknown"),
               "os": "unknown (device kit)", "host": host, "date_utc": env.get("date", "unknown"),
               "git_commit": env.get("commit", "unknown"),
               "compilers": {k: env[k2] for k, k2 in (("gcc", "cc"), ("go", "go")) if env.get(k2)},
               "pinned_cpus": p, "goc_procs": p, "gomaxprocs": p,
               "source": "device kit (scripts/kit_run.sh): thread backends pinned to cores 0..%d, coro "
                         "GOC_PROCS=%d, Go GOMAXPROCS=%d (go-pN) and 1 (go-p1)" % (p - 1, p, p)}
        with open(os.path.join(run, "env.json"), "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=1)
        made.append(run)
    sc = os.path.join(a.kit, "scaling")
    if os.path.isdir(sc):
        run = made[-1]  # the largest P
        for f in sorted(os.listdir(sc)):
            if f.endswith(".json") or f.endswith(".log"):
                shutil.copy(os.path.join(sc, f), run)
        for k in sorted({int(m.group(1)) for f in os.listdir(sc) for m in [re.fullmatch(r"scaling-go-p(\d+)\.txt", f)] if m}):
            label = "go-p1" if k == 1 else "go-pN"
            if not go_convert(os.path.join(sc, "scaling-go-p%d.txt" % k), os.path.join(run, "scaling-%s.json" % label),
                              label, k, None):
                rc = 1
    ab = os.path.join(a.kit, "ab")
    if os.path.isdir(ab):  # an A/B of coro variant builds: copied, and tabulated as ab.md
        files = sorted(os.path.join(ab, f) for f in os.listdir(ab) if re.fullmatch(r"p\d+\.txt", f))
        for f in files:
            shutil.copy(f, os.path.join(made[-1], "ab-" + os.path.basename(f)))
        if files:
            r = subprocess.run([sys.executable, os.path.join(HERE, "kit_ab.py")] + files,
                               capture_output=True, text=True)
            if r.returncode == 0:
                with open(os.path.join(made[-1], "ab.md"), "w", encoding="utf-8") as f:
                    f.write(r.stdout)
            else:
                print("kit_import.py: %s" % r.stderr.strip(), file=sys.stderr)
                rc = 1
    ss = os.path.join(a.kit, "schedstats")
    if os.path.isdir(ss):  # coro's GOC_SCHEDSTATS counts: beside the largest P's results
        for f in sorted(os.listdir(ss)):
            if re.fullmatch(r"p\d+\.txt", f):
                shutil.copy(os.path.join(ss, f), os.path.join(made[-1], "schedstats-" + f))
    sl = os.path.join(a.kit, "schedlog")
    if os.path.isdir(sl):  # coro's GOC_SCHEDLOG of the pool: summarised beside the largest P
        for f in sorted(os.listdir(sl)):
            mm = re.fullmatch(r"(pool16-p\d+)\.log(\.gz)?", f)
            if not mm:
                continue
            src = os.path.join(sl, f)
            shutil.copy(src, os.path.join(made[-1], "schedlog-" + f))
            r = subprocess.run([sys.executable, os.path.join(HERE, "schedlog.py"), src,
                                "--span", "pool_feeder", "--gaps", "12"],
                               capture_output=True, text=True)
            if r.returncode == 0:
                with open(os.path.join(made[-1], "schedlog-%s.txt" % mm.group(1)), "w",
                          encoding="utf-8") as fo:
                    fo.write(r.stdout)
            else:
                print("kit_import.py: schedlog %s: %s" % (f, r.stderr.strip()), file=sys.stderr)
                rc = 1
    for m in made:
        print(os.path.abspath(m))
    return rc


if __name__ == "__main__":
    sys.exit(main())
