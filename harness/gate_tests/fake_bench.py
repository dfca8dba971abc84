#!/usr/bin/python3 -S
"""A stand-in for micro-<backend> in the gate's own tests (test_gate.sh sbs):
takes Google Benchmark's flags, writes Google Benchmark JSON to
--benchmark_out, with times drawn from a model in <this file>.json:

  {"seed": S, "counter": FILE, "backend": B,
   "rows": {NAME: {"ns": T, "factor": F, "factor_calls": N, "bimodal": M,
                   "spread": W, "spread_calls": [LO, HI]}}}

Each call is one process: it counts itself in FILE (so that successive calls
draw different, but reproducible, numbers); a row takes T * F ns (F only in
the first N calls when factor_calls is given: a slowdown a rerun does not
see), times M in about half of the processes when bimodal is given (a
spinning-or-parking row), times a factor drawn in [1, W) per process when
spread is given (a row that other jobs disturb; only in calls LO..HI-1 when
spread_calls is given: a load spike), times a noise factor in [1, 1.06) per repetition.
"""
import json
import os
import random
import re
import sys

cfg = json.load(open(sys.argv[0] + ".json"))
args = dict(a[2:].split("=", 1) for a in sys.argv[1:] if a.startswith("--") and "=" in a)
n = 0
if os.path.exists(cfg["counter"]):
    with open(cfg["counter"]) as f:
        n = int(f.read() or 0)
with open(cfg["counter"], "w") as f:
    f.write(str(n + 1))
rnd = random.Random(cfg["seed"] * 100003 + n)
reps = int(args.get("benchmark_repetitions", "1"))
filt = re.compile(args.get("benchmark_filter", "."))
recs = []
for fam, (name, spec) in enumerate(sorted(cfg["rows"].items())):
    if not filt.search(name):
        continue
    t = spec["ns"]
    if spec.get("bimodal") and rnd.random() < 0.5:
        t *= spec["bimodal"]
    lo, hi = spec.get("spread_calls", (0, 1 << 30))
    if spec.get("spread") and lo <= n < hi:
        t *= rnd.uniform(1.0, spec["spread"])
    f = spec.get("factor", 1.0)
    if "factor_calls" in spec and n >= spec["factor_calls"]:
        f = 1.0
    for k in range(reps):
        v = t * f * rnd.uniform(1.0, 1.06)
        recs.append({"name": name, "run_name": name, "run_type": "iteration", "family_index": fam,
                     "per_family_instance_index": 0, "repetitions": reps, "repetition_index": k,
                     "threads": 1, "iterations": 1000, "real_time": v, "cpu_time": v,
                     "time_unit": "ns"})
doc = {"context": {"goc_backend": cfg["backend"], "host_name": "test", "num_cpus": 2, "caches": [],
                   "executable": sys.argv[0]}, "benchmarks": recs}
with open(args["benchmark_out"], "w") as f:
    json.dump(doc, f)
