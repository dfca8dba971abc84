#!/usr/bin/python3
"""Merges Google Benchmark JSON files of one suite and backend, written by
the bench stage's rounds (scripts/stage_bench.sh), into one file.

usage: gbench_merge.py OUT IN1 [IN2 ...]

The bench stage runs every backend's binary (and Go's) in R rounds, the
backends alternating within each round, so that each backend's repetitions
span the whole stage: on a VM whose host moves the vCPUs within minutes
(harness/floors.py) a backend measured only in the stage's first minute and
one measured only in its last would compare two machines. OUT keeps the
first readable input's context (plus goc_rounds = how many inputs were
merged) and the iteration and error records of every input, in input
order, with each benchmark's repetitions renumbered 0..n-1 across the
rounds and `goc_round` = the input's number (1, 2, ...: summary.py pairs a
backend's round with Go's, floors.json says where the machine was then);
aggregate records are dropped (every reader recomputes them from
the iterations: bench_compare.py, summary.py, the gate). Inputs that are
missing or unreadable are skipped with a message. Exit status 0; 2 when no
input was readable (OUT is then not written).
"""
import json
import sys


def merge(docs):
    out = {"context": dict(docs[0]["context"], goc_rounds=len(docs)), "benchmarks": []}
    count = {}
    for k, d in enumerate(docs, 1):
        for r in d.get("benchmarks", []):
            if not isinstance(r, dict) or r.get("run_type", "iteration") != "iteration":
                continue
            r = dict(r, goc_round=k)
            name = r.get("run_name", r.get("name"))
            r["repetition_index"] = count.get(name, 0)
            count[name] = r["repetition_index"] + 1
            out["benchmarks"].append(r)
    for r in out["benchmarks"]:
        r["repetitions"] = count[r.get("run_name", r.get("name"))]
    return out


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().split("\n")[2], file=sys.stderr)
        return 2
    docs = []
    for path in argv[1:]:
        try:
            with open(path, encoding="utf-8") as f:
                d = json.load(f)
        except (OSError, ValueError) as e:
            print("gbench_merge.py: %s skipped (%s)" % (path, e), file=sys.stderr)
            continue
        if isinstance(d, dict) and isinstance(d.get("context"), dict) and isinstance(d.get("benchmarks"), list):
            docs.append(d)
        else:
            print("gbench_merge.py: %s skipped (not Google Benchmark JSON)" % path, file=sys.stderr)
    if not docs:
        print("gbench_merge.py: nothing to merge into %s" % argv[0], file=sys.stderr)
        return 2
    with open(argv[0], "w", encoding="utf-8") as f:
        json.dump(merge(docs), f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
