#!/usr/bin/python3
"""Writes the two small fixture run folders of the report tests:
fixtures/20260101T000000Z-vm (2 cores) and fixtures/20260101T000100Z-xeon
(16 cores): a few benchmarks per backend and Go (3 repetitions, one with
latency counters), memory, scaling, hyperfine, wrk, races.md, pitfalls.md,
stages.json with one failed stage. Not a benchmark run: made-up numbers in
the real file formats. Deterministic; rerun after a format change:
    /usr/bin/python3 harness/report_tests/make_fixtures.py
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
COMMIT = "1111111111111111111111111111111111111111"
GO_FACTOR = [1.0]  # Go's times relative to goc's on a machine (the ratios differ by machine)

MICRO = {  # name: {backend: ns}
    "ChanSync": {"pthread": 13800, "lockfree": 2830, "coro": 99.2, "go-p1": 239, "go-pN": 216},
    "ChanSyncLatency": {"pthread": 13800, "lockfree": 1620, "coro": 152, "go-p1": 338, "go-pN": 314},
    "SPSC/cap:16": {"pthread": 1280, "lockfree": 17.3, "coro": 22, "go-p1": 34.8, "go-pN": 36.4},
    "Select2Ready": {"pthread": 59.5, "lockfree": 26.1, "coro": 48.7, "go-p1": 51.3, "go-pN": 49.1},
}
PATTERNS = {"WorkerPool": {"pthread": 2600, "lockfree": 851, "coro": 51.9, "go-p1": 76.9, "go-pN": 101}}


def gbench(backend, suite, rows, scale, reps=3, procs=None):
    if backend.startswith("go"):
        scale *= GO_FACTOR[0]
    ctx = {"goc_backend": backend, "goc_suite": suite, "host_name": "fixture"}
    if procs:
        ctx["goc_procs"] = str(procs)
    out = []
    for fi, (name, per) in enumerate(rows.items()):
        if backend not in per:
            continue
        for r in range(reps):
            ns = per[backend] * scale * (1.0 + 0.03 * ((r * 7 + fi) % 3 - 1))
            rec = {"name": name, "run_name": name, "run_type": "iteration", "repetitions": reps,
                   "repetition_index": r, "family_index": fi, "per_family_instance_index": 0,
                   "iterations": 1000, "real_time": ns, "cpu_time": ns, "time_unit": "ns"}
            if name == "ChanSyncLatency":
                rec.update({"p50_ns": ns * 0.9, "p99_ns": ns * 3.1, "p99.9_ns": ns * 8.2})
            out.append(rec)
    return {"context": ctx, "benchmarks": out}


def scaling(backend, scale, ns_list, procs=None):
    ctx = {"goc_backend": backend}
    if procs:
        ctx["goc_procs"] = str(procs)
    base = {"pthread": 2e5, "lockfree": 1.2e6, "coro": 8e6, "go-p1": 6e6, "go-pN": 9e6}[backend]
    out = []
    for fi, fam in enumerate(("ScalingMPMC/producers", "ScalingWorkerPool/workers")):
        for i, n in enumerate(ns_list):
            ips = base * scale * (1 + 0.15 * i) * (1 + 0.1 * (procs or 1) - 0.1)
            out.append({"name": "%s:%d" % (fam, n), "run_name": "%s:%d" % (fam, n), "run_type": "iteration",
                        "family_index": fi, "per_family_instance_index": i, "repetition_index": 0,
                        "iterations": 100, "real_time": 1e9 / ips, "cpu_time": 1e9 / ips, "time_unit": "ns",
                        "items_per_second": ips})
    return {"context": ctx, "benchmarks": out}


def write(path, doc):
    with open(path, "w", encoding="utf-8") as f:
        if isinstance(doc, str):
            f.write(doc)
        else:
            json.dump(doc, f, indent=1)
            f.write("\n")


def make(name, host, cores, cpu, scale, go_factor=1.0):
    GO_FACTOR[0] = go_factor
    d = os.path.join(HERE, "fixtures", name)
    os.makedirs(d, exist_ok=True)
    write(os.path.join(d, "env.json"), {
        "date_utc": "2026-01-01T00:0%d:00+00:00" % (0 if host == "vm" else 1), "host": host, "cpu_model": cpu,
        "cores": cores, "kernel": "6.1.0-fixture", "os": "Debian GNU/Linux 12 (bookworm)",
        "governor": "performance", "compilers": {"gcc": "gcc (Debian 12.2.0-14) 12.2.0",
                                                  "go": "go version go1.19.8 linux/amd64"},
        "git_commit": COMMIT, "git_dirty": False, "bench_repetitions": "3"})
    for b in ("pthread", "lockfree", "coro", "go-p1", "go-pN"):
        write(os.path.join(d, "bench-%s.json" % b), gbench(b, "micro", MICRO, scale))
        write(os.path.join(d, "bench_patterns-%s.json" % b), gbench(b, "bench_patterns", PATTERNS, scale))
    for b, sizes in (("pthread", (1000, 10000)), ("coro", (1000, 100000)), ("go-p1", (1000, 100000))):
        write(os.path.join(d, "memory-%s.json" % b), {"context": {"goc_backend": b}, "memory": [
            {"tasks_requested": n, "tasks": n, "rss_per_task_bytes": {"pthread": 9000, "coro": 3700,
                                                                      "go-p1": 2700}[b] * (1 + 0.05 * k),
             "spawn_ns_per_task": 900 * (1 + k) if b != "pthread" else 30000,
             "wake_exit_ns_per_task": 400, "ok": True} for k, n in enumerate(sizes)]})
    ns_list = [1, 2, 4, 8]
    for b in ("pthread", "lockfree", "go-p1", "go-pN"):
        write(os.path.join(d, "scaling-%s.json" % b), scaling(b, 1 / scale, ns_list))
    for k in (1, 2):
        write(os.path.join(d, "scaling-coro-p%d.json" % k), scaling("coro", 1 / scale, ns_list, procs=k))
    write(os.path.join(d, "hyperfine-hello.json"), {"results": [
        {"command": b, "mean": m * scale, "stddev": m * scale * 0.05, "median": m * scale, "min": m * scale * 0.9,
         "max": m * scale * 1.2} for b, m in (("pthread", 0.012), ("coro", 0.004), ("go-p1", 0.006))]})
    write(os.path.join(d, "http_fanout.json"), [
        {"backend": b, "connections": c, "requests_per_sec": rps / scale, "p50_ms": 1.1 * scale,
         "p90_ms": 2.0 * scale, "p99_ms": 4.2 * scale, "socket_errors": "", "non_2xx": 0}
        for b, rps in (("pthread", 18200), ("coro", 91900), ("go-pN", 52700)) for c in (16, 64)])
    write(os.path.join(d, "races.md"), """## Race / no-race suite (TESTING.md (b))

| backend | build | required passed | informational passed | verdict |
|---|---|---|---|---|
| busted | precise | 32/32 | 50/53 | caught (32/32 no-race channel cases fail) |
| coro | precise | 87/87 | 0/0 | ok |

| case | row | mode | expected | coro precise |
|---|---|---|---|---|
| race_r04_async_rev/barrier | R04 | N | race | pass |
| norace_r05_close_recv/sync_plain | R05 | N | no race | pass |
""")
    write(os.path.join(d, "pitfalls.md"), """## The pitfalls table, reproduced (TESTING.md (e))

| Problem | Buggy program | Detector | coro | Fix | Clean result |
|---|---|---|---|---|---|
| Goroutine leak | `worker_buggy` (pit_task_leak.c) | task registry leak check | release: fired (exit 3)<br>`goc: task leak: 1 task(s) still alive 1.0 s after the work ended`<br>`task 2 worker() spawned at races/pitfalls/pit_task_leak.c:55` | close(jobs) | clean: 6/6 fixed runs |
| Race condition | `counter_racy` (pit_data_race.c) | ThreadSanitizer | tsan: fired (exit 66)<br>`WARNING: ThreadSanitizer: data race`<br>`#0 inc_racy patterns/counter.c:46:13` | sync.Mutex | clean: 4/4 fixed runs |
""")
    os.makedirs(os.path.join(d, "logs"), exist_ok=True)
    write(os.path.join(d, "logs", "races.log"), "[goc   12s] races: running the suite\n"
          "race_r31_waitgroup/as_mutex coro precise: expected race, observed no race\n"
          "run_races.py: 1 required case(s) FAILED\n")
    write(os.path.join(d, "stages.json"), {"commit": COMMIT, "host": host, "plan": ["bench", "races", "plots", "report"],
                                          "plan_args": ["--quick"], "stages": {
        "bench": {"status": "ok", "rc": 0, "seconds": 120, "args": ["--quick"], "log": "logs/bench.log"},
        "races": {"status": "failed", "rc": 1, "seconds": 40, "args": ["--quick"], "log": "logs/races.log"}}})


if __name__ == "__main__":
    make("20260101T000000Z-vm", "vm", 2, "AMD EPYC", 1.0)
    make("20260101T000100Z-xeon", "xeon", 16, "Intel Xeon Gold 6338", 0.6, go_factor=0.8)
