#!/usr/bin/python3
"""Tests of the benchmark scripts (CTest: harness_scripts; stdlib only).

reference/go/gbench_json.py: Go text and test2json input, the GOMAXPROCS
suffix, sub-benchmark names, extra metrics, failures, empty input.
harness/bench_compare.py: medians, min-max, ratios to go-p1/go-pN/best Go,
suites kept apart, errors reported (exit 1), the vtbl dispatch table, the
channel rows over the bare floors (harness/floors.py).
harness/stability.py: per-row max/min and verdict flips over fresh runs.
harness/schedlog.py: time in tasks / between / watching / parked, gaps,
migrations and CPU sharing from a small hand-made GOC_SCHEDLOG file; the
--span window; malformed input (exit 2).
scripts/pool_placement.sh: rounds grouped by the probed round trip, a round
whose probes disagree left out, bad arguments (exit 2), over fake binaries.
"""
import gzip
import json
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
CONVERTER = os.path.join(HERE, "..", "reference", "go", "gbench_json.py")
COMPARE = os.path.join(HERE, "bench_compare.py")
STABILITY = os.path.join(HERE, "stability.py")
SCHEDLOG = os.path.join(HERE, "schedlog.py")
POOL_PLACEMENT = os.path.join(HERE, "..", "scripts", "pool_placement.sh")
sys.path.insert(0, HERE)
import schedlog  # noqa: E402

GO_TEXT = """goos: linux
goarch: amd64
BenchmarkChanSync-2   \t  1000\t       250.0 ns/op
BenchmarkChanSync-2   \t  1000\t       270.0 ns/op
BenchmarkChanSync-2   \t  1000\t       230.0 ns/op
BenchmarkSPSC/cap:16-2 \t 100\t 80 ns/op\t 1.5 p50_ns
--- FAIL: BenchmarkMPMC/cap:1-2
    chan_bench_test.go:10: sent 1, received 2
FAIL
"""


def load_json(path):
    with open(path) as f:
        return json.load(f)


def run(args, stdin=None):
    r = subprocess.run([sys.executable] + args, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True)
    return r.returncode, r.stdout, r.stderr


class Converter(unittest.TestCase):
    def convert(self, text, *extra):
        rc, out, err = run([CONVERTER, "--backend", "go-pN", "--procs", "2"] + list(extra), text)
        return rc, (json.loads(out) if out.strip() else None), err

    def test_text(self):
        rc, doc, err = self.convert(GO_TEXT)
        self.assertEqual(rc, 1, "a failed benchmark makes the exit status 1")
        self.assertEqual(doc["context"]["goc_backend"], "go-pN")
        recs = [b for b in doc["benchmarks"] if b["run_type"] == "iteration"]
        sync = [b for b in recs if b["name"] == "ChanSync/real_time"]
        self.assertEqual([b["real_time"] for b in sync], [250.0, 270.0, 230.0])
        self.assertEqual([b["repetition_index"] for b in sync], [0, 1, 2])
        med = [b for b in doc["benchmarks"] if b.get("aggregate_name") == "median"]
        self.assertEqual(med[0]["real_time"], 250.0)
        spsc = [b for b in recs if b["name"] == "SPSC/cap:16/real_time"]
        self.assertEqual(spsc[0]["p50_ns"], 1.5)
        bad = [b for b in recs if b["name"] == "MPMC/cap:1/real_time"]
        self.assertTrue(bad[0]["error_occurred"])
        self.assertIn("received 2", bad[0]["error_message"])

    def test_test2json(self):
        # test2json splits a result line over several output events
        events = [{"Action": "output", "Output": "BenchmarkChanSync-2   \t"},
                  {"Action": "output", "Output": "  1000\t   250.0 ns/op\n"},
                  {"Action": "pass"}]
        rc, doc, _ = self.convert("\n".join(json.dumps(e) for e in events) + "\n")
        self.assertEqual(rc, 0)
        self.assertEqual(doc["benchmarks"][0]["name"], "ChanSync/real_time")
        self.assertEqual(doc["benchmarks"][0]["real_time"], 250.0)

    def test_procs_suffix_only(self):
        # with --procs 2, a -4 suffix is part of the name, not GOMAXPROCS
        rc, doc, _ = self.convert("BenchmarkX-4 \t 10\t 5 ns/op\n", "--no-real-time-suffix")
        self.assertEqual(doc["benchmarks"][0]["name"], "X-4")

    def test_empty(self):
        rc, doc, err = self.convert("PASS\n")
        self.assertEqual(rc, 2)
        self.assertIn("no benchmark", err)


def gbench_doc(backend, recs, suite=None):
    ctx = {"goc_backend": backend}
    if suite:
        ctx["goc_suite"] = suite
    out = []
    for i, (name, t) in enumerate(recs):
        r = {"name": name + "/real_time", "run_name": name + "/real_time", "run_type": "iteration",
             "family_index": i, "per_family_instance_index": 0, "time_unit": "ns"}
        if t is None:
            r.update(error_occurred=True, error_message="wrong sum")
        else:
            r["real_time"] = t
        out.append(r)
    return {"context": ctx, "benchmarks": out}


class Compare(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.dir.cleanup()

    def write(self, name, doc):
        p = os.path.join(self.dir.name, name)
        with open(p, "w") as f:
            json.dump(doc, f)
        return p

    def test_medians_ratios(self):
        files = []
        for k, (a, v, g1, gn) in enumerate([(100, 110, 50, 40), (300, 290, 50, 40), (200, 205, 60, 30)]):
            files.append(self.write("a%d.json" % k, gbench_doc("pthread", [("ChanSync", a)])))
            files.append(self.write("v%d.json" % k, gbench_doc("pthread-vtbl", [("ChanSync", v)])))
            files.append(self.write("g%d.json" % k, gbench_doc("go-p1", [("ChanSync", g1)])))
            files.append(self.write("n%d.json" % k, gbench_doc("go-pN", [("ChanSync", gn)])))
        out = os.path.join(self.dir.name, "c.json")
        rc, md, err = run([COMPARE] + files + ["--json", out])
        self.assertEqual(rc, 0, err)
        doc = load_json(out)
        row = [r for r in doc["rows"] if r["backend"] == "pthread"][0]
        self.assertEqual((row["median_ns"], row["min_ns"], row["max_ns"], row["n"]), (200, 100, 300, 3))
        self.assertAlmostEqual(row["ratio_go-p1"], 4.0)
        self.assertAlmostEqual(row["ratio_go-pN"], 5.0)
        self.assertAlmostEqual(row["ratio_best_go"], 5.0)  # best Go = go-pN (40 ns)
        self.assertEqual(doc["backends"][:2], ["pthread", "pthread-vtbl"])  # goc first, then Go
        d = doc["dispatch"][0]
        self.assertEqual((d["direct_ns"], d["vtbl_ns"], d["delta_ns"]), (200, 205, 5))
        self.assertIn("| ChanSync | pthread | 200 ns |", md)

    def test_suites_and_errors(self):
        f1 = self.write("m.json", gbench_doc("pthread", [("SelectTimeout", 10), ("X", None)], "micro"))
        f2 = self.write("p.json", gbench_doc("pthread", [("SelectTimeout", 99)], "bench_patterns"))
        out = os.path.join(self.dir.name, "c.json")
        rc, md, _ = run([COMPARE, f1, f2, "--json", out])
        self.assertEqual(rc, 1, "an error record makes the exit status 1")
        rows = load_json(out)["rows"]
        st = {(r["suite"], r.get("median_ns")) for r in rows if r["benchmark"] == "SelectTimeout"}
        self.assertEqual(st, {("micro", 10), ("bench_patterns", 99)})
        self.assertIn("ERROR: wrong sum", md)
        self.assertIn("### bench_patterns", md)

    def test_floors(self):
        # channel rows over their bare floors, per backend, in one run
        files = [self.write("l%d.json" % k, gbench_doc("lockfree", [
            ("SPSC/cap:1024", 90 + k), ("BareRing/cap:1024", 30), ("ChanSync", 1000), ("BarePingPong", 250)],
            "micro")) for k in range(3)]
        files.append(self.write("p.json", gbench_doc("pthread", [("ChanSync", 4000)], "micro")))  # no floor row
        rc, md, err = run([COMPARE] + files)
        self.assertEqual(rc, 0, err)
        self.assertIn("(SPSC/cap:1024 / BareRing/cap:1024, ", md)
        self.assertIn("lockfree 3.03", md)  # median 91 / 30
        ping = [l for l in md.splitlines() if "(ChanSync / BarePingPong" in l]
        self.assertEqual(len(ping), 1, md)
        self.assertIn("lockfree 4.00", ping[0])
        self.assertNotIn("pthread", ping[0])  # a backend without the floor row is left out
        self.assertNotIn("machine changed", md)  # one thread backend with floors: nothing to compare

    def test_placement_warning(self):
        # the same floor code in two thread backends' binaries, 4x apart:
        # the machine changed during the run (floors.placement_lines)
        f1 = self.write("l.json", gbench_doc("lockfree", [("ChanSync", 400), ("BarePingPong", 100)], "micro"))
        f2 = self.write("p.json", gbench_doc("pthread", [("ChanSync", 9000), ("BarePingPong", 400)], "micro"))
        rc, md, err = run([COMPARE, f1, f2])
        self.assertEqual(rc, 0, err)
        warn = [l for l in md.splitlines() if "machine changed" in l]
        self.assertEqual(len(warn), 1, md)
        self.assertIn("BarePingPong", warn[0])
        self.assertIn("lockfree", warn[0])
        self.assertIn("pthread", warn[0])
        # within the limit: no warning
        f2 = self.write("p2.json", gbench_doc("pthread", [("ChanSync", 9000), ("BarePingPong", 140)], "micro"))
        rc, md, err = run([COMPARE, f1, f2])
        self.assertEqual(rc, 0, err)
        self.assertNotIn("machine changed", md)

    def test_stability(self):
        # three runs of one commit: per row max/min of the medians and the
        # verdict against the better Go of the same run
        runs = []
        for k, (ping, ring, go) in enumerate([(100, 50, 200), (110, 52, 90), (105, 51, 210)]):
            d = os.path.join(self.dir.name, "run%d" % k)
            os.mkdir(d)
            with open(os.path.join(d, "bench-coro.json"), "w") as f:
                json.dump(gbench_doc("coro", [("ChanSync", ping), ("SPSC/cap:1", ring)], "micro"), f)
            with open(os.path.join(d, "bench-go-p1.json"), "w") as f:
                json.dump(gbench_doc("go-p1", [("ChanSync", go), ("SPSC/cap:1", 100 * (k + 1))], "micro"), f)
            runs.append(d)
        out = os.path.join(self.dir.name, "s.json")
        rc, md, err = run([STABILITY] + runs + ["--json", out])
        self.assertEqual(rc, 0, err)
        rows = {r["benchmark"]: r for r in load_json(out)["rows"]}
        self.assertEqual(rows["ChanSync"]["verdicts"], ["faster", "slower", "faster"])
        self.assertEqual(rows["ChanSync"]["flags"], ["verdict flips"])
        self.assertAlmostEqual(rows["SPSC/cap:1"]["max_over_min"], 52 / 50)
        self.assertEqual(rows["SPSC/cap:1"]["flags"], [])
        self.assertIn("1 of 2 rows flagged", md)
        rc, _, _ = run([STABILITY] + runs + ["--check"])
        self.assertEqual(rc, 1, "--check: a flagged row exits 1")
        rc, _, _ = run([STABILITY] + runs + ["--check", "--filter", "SPSC"])
        self.assertEqual(rc, 0, "--check: no flagged row in the filtered set")
        rc, _, err = run([STABILITY, runs[0]])
        self.assertEqual(rc, 2, "one run cannot show stability")

    def test_stability_by_placement(self):
        # four runs, two placements of the vCPUs (floors.json probes 400 ns and
        # 50 ns): a row that moves with the placement is flagged across runs but
        # not within one placement; a row that flips between two runs of one
        # placement is flagged within it too
        runs = []
        for k, (ping, go, spsc, place) in enumerate([(300, 320, 20, 400), (310, 330, 21, 420),
                                                     (100, 90, 20, 50), (104, 88, 40, 52)]):
            d = os.path.join(self.dir.name, "prun%d" % k)
            os.mkdir(d)
            with open(os.path.join(d, "bench-coro.json"), "w") as f:
                json.dump(gbench_doc("coro", [("ChanSync", ping), ("SPSC/cap:1", spsc)], "micro"), f)
            with open(os.path.join(d, "bench-go-p1.json"), "w") as f:
                json.dump(gbench_doc("go-p1", [("ChanSync", go), ("SPSC/cap:1", 100)], "micro"), f)
            with open(os.path.join(d, "floors.json"), "w") as f:
                json.dump([{"backend": "coro", "when": w, "ns": place, "t": 0} for w in ("before", "after")], f)
            runs.append(d)
        out = os.path.join(self.dir.name, "sp.json")
        rc, md, err = run([STABILITY] + runs + ["--json", out])
        self.assertEqual(rc, 0, err)
        doc = load_json(out)
        self.assertEqual(doc["placement_groups"], [["prun2", "prun3"], ["prun0", "prun1"]])
        rows = {r["benchmark"]: r for r in doc["rows"]}
        self.assertIn("verdict flips", rows["ChanSync"]["flags"])  # 300 vs 320: faster; 100 vs 90: slower
        self.assertEqual(rows["ChanSync"]["flags_within_placement"], [])
        self.assertEqual(rows["SPSC/cap:1"]["flags_within_placement"], ["max/min 2.00 > 1.30"])
        self.assertIn("2 placements of the vCPUs", md)
        rc, _, _ = run([STABILITY] + runs + ["--check"])
        self.assertEqual(rc, 1)
        rc, _, _ = run([STABILITY] + runs[:3] + ["--check", "--by-placement", "--filter", "ChanSync"])
        self.assertEqual(rc, 0, "ChanSync moves only with the placement")
        rc, _, _ = run([STABILITY] + runs + ["--check", "--by-placement"])
        self.assertEqual(rc, 1, "SPSC/cap:1 doubles within one placement")

    def test_probe_lines(self):
        sys.path.insert(0, HERE)
        import floors as FL
        fmt = lambda v: "%.0f ns" % v  # noqa: E731
        steady = [{"backend": b, "when": w, "ns": 400 + 10 * k, "t": 0}
                  for k, (b, w) in enumerate([("coro", "before"), ("coro", "after"), ("go-pN", "before")])]
        lines = FL.probe_lines(steady, fmt)
        self.assertEqual(len(lines), 1)
        self.assertIn("400 ns to 420 ns", lines[0])
        moved = steady + [{"backend": "lockfree", "when": "before", "ns": 50, "t": 0},
                          {"backend": "lockfree", "when": "after", "ns": 52, "t": 0},
                          {"backend": "pthread", "when": "before", "ns": 55, "t": 0},
                          {"backend": "pthread", "when": "after", "ns": 400, "t": 0}]
        text = "\n".join(FL.probe_lines(moved, fmt))
        self.assertIn("| lockfree | 50 ns | 52 ns |", text)
        warn = [l for l in text.splitlines() if l.startswith("**Placement")]
        self.assertEqual(len(warn), 2, text)  # lockfree (Go ran at ~400) and pthread (moved)
        self.assertTrue(any("lockfree's ratios" in w and "Go ran at 420 ns)" in w for w in warn), text)
        self.assertTrue(any("pthread's ratios" in w and "moved while it ran" in w for w in warn), text)
        self.assertFalse(any("coro's" in w for w in warn), text)
        self.assertNotIn("took turns", text)
        loaded = [{"backend": "coro", "when": w, "ns": 6000, "t": 0} for w in ("before", "after")]
        self.assertIn("took turns on one CPU", FL.probe_lines(loaded, fmt)[0])
        self.assertEqual(FL.probe_lines([], fmt), [])
        # a floors.json that is not a list of records reads as no probes
        bad = os.path.join(self.dir.name, "floors.json")
        with open(bad, "w") as f:
            f.write('{"ns": 3}')
        self.assertEqual(FL.load_probes_file(bad), [])

    def test_gbench_merge(self):
        # the bench stage's rounds of one backend merged into one file:
        # iterations kept in order and renumbered, aggregates dropped, an
        # unreadable round skipped, nothing readable -> exit 2, no file
        merge = os.path.join(HERE, "gbench_merge.py")
        r1 = gbench_doc("coro", [("ChanSync", 100), ("SPSC/cap:1", 10)], "micro")
        r2 = gbench_doc("coro", [("ChanSync", 300)], "micro")
        r1["benchmarks"].append({"name": "ChanSync_median", "run_name": "ChanSync/real_time", "run_type": "aggregate",
                                 "aggregate_name": "median", "real_time": 100, "time_unit": "ns"})
        f1, f2 = self.write("r1.json", r1), self.write("r2.json", r2)
        bad = self.write("r3.json", {"no": "benchmarks"})
        out = os.path.join(self.dir.name, "merged.json")
        rc, _, err = run([merge, out, f1, bad, f2])
        self.assertEqual(rc, 0, err)
        self.assertIn("r3.json skipped", err)
        doc = load_json(out)
        self.assertEqual(doc["context"]["goc_rounds"], 2)
        self.assertEqual(doc["context"]["goc_backend"], "coro")
        got = [(b["name"], b["real_time"], b["repetition_index"], b["repetitions"]) for b in doc["benchmarks"]]
        self.assertEqual([b["goc_round"] for b in doc["benchmarks"]], [1, 1, 2])
        self.assertEqual(got, [("ChanSync/real_time", 100, 0, 2), ("SPSC/cap:1/real_time", 10, 0, 1),
                               ("ChanSync/real_time", 300, 1, 2)])
        os.remove(out)
        rc, _, _ = run([merge, out, bad, os.path.join(self.dir.name, "missing.json")])
        self.assertEqual(rc, 2)
        self.assertFalse(os.path.exists(out))

    def test_kit_ab_bad_input(self):
        # no round header: nothing to tabulate -> exit 2, nothing on stdout
        bad = os.path.join(self.dir.name, "ab.txt")
        with open(bad, "w") as f:
            f.write('"MPMC/cap:1/real_time",100\nnot a row\n== P=x round=1 variant=base\n')
        rc, out, err = run([os.path.join(HERE, "kit_ab.py"), bad])
        self.assertEqual(rc, 2)
        self.assertEqual(out, "")
        self.assertIn("no A/B round", err)

    def test_kit_import(self):
        # the device kit's results (scripts/kit_run.sh) -> one run folder per P
        kit = os.path.join(self.dir.name, "kit-results")
        for p in (1, 2):
            d = os.path.join(kit, "p%d" % p)
            os.makedirs(d)
            with open(os.path.join(d, "bench-coro.json"), "w") as f:
                json.dump(gbench_doc("coro", [("ChanSync", 100 * p)], "micro"), f)
            with open(os.path.join(d, "micro-go.txt"), "w") as f:
                f.write("BenchmarkChanSync-%d \t 1000 \t %d ns/op\nPASS\n" % (p, 300 + p)
                        if p > 1 else "BenchmarkChanSync \t 1000 \t 301 ns/op\nPASS\n")
            with open(os.path.join(kit, "probe-p%d-before.json" % p), "w") as f:
                json.dump(gbench_doc("pthread", [("BarePingPong", 50 * p)], "micro"), f)
        os.makedirs(os.path.join(kit, "scaling"))
        with open(os.path.join(kit, "scaling", "scaling-coro-p2.json"), "w") as f:
            json.dump(gbench_doc("coro", [("ScalingWorkerPool/workers:16", 5)]), f)
        os.makedirs(os.path.join(kit, "schedstats"))
        with open(os.path.join(kit, "schedstats", "p2.txt"), "w") as f:
            f.write("=== GOC_PROCS=2 micro-coro ^ChanSync/\ngoc schedstats: 2 workers (GOC_PROCS=2)\n")
        os.makedirs(os.path.join(kit, "schedlog"))
        with gzip.open(os.path.join(kit, "schedlog", "pool16-p2.log.gz"), "wt") as f:
            f.write(schedlog_text().replace(" alpha", " pool_feeder"))
        os.makedirs(os.path.join(kit, "ab"))
        with open(os.path.join(kit, "ab", "p2.txt"), "w") as f:
            for r in (1, 2, 3):
                f.write('== P=2 round=%d variant=base\n"MPMC/cap:1/real_time",%d\n' % (r, 100))
                f.write('== P=2 round=%d variant=lone\n"MPMC/cap:1/real_time",%d\n' % (r, 50 + 10 * r))
        with open(os.path.join(kit, "env.txt"), "w") as f:
            f.write("date: 2026-12-06T10:00:00Z\nhost: xeon\nnproc: 16\nkernel: 6.1\ncpu: Xeon Gold\n"
                    "commit: abc123\ncc: gcc 12\ngo: go version go1.19.8\ngo: static test binaries\n")
        root = os.path.join(self.dir.name, "results")
        os.makedirs(root)
        rc, out, err = run([os.path.join(HERE, "kit_import.py"), kit, root])
        self.assertEqual(rc, 0, err)
        runs = out.split()
        self.assertEqual([os.path.basename(r) for r in runs],
                         ["20261206T100000Z-xeon-p1", "20261206T100000Z-xeon-p2"])
        p1, p2 = runs
        self.assertEqual(sorted(f for f in os.listdir(p1) if f.endswith(".json")),
                         ["bench-coro.json", "bench-go-p1.json", "env.json", "floors.json"])
        self.assertTrue(os.path.exists(os.path.join(p2, "bench-go-pN.json")))
        self.assertTrue(os.path.exists(os.path.join(p2, "bench-go-p1.json")), "go-p1 comes from the P=1 run")
        self.assertTrue(os.path.exists(os.path.join(p2, "scaling-coro-p2.json")), "scaling goes to the largest P")
        self.assertTrue(os.path.exists(os.path.join(p2, "schedstats-p2.txt")), "schedstats go to the largest P")
        self.assertFalse(os.path.exists(os.path.join(p1, "schedstats-p2.txt")))
        # the pool's event log: kept, and summarised over the feeder's life (1000..5000 ns)
        self.assertTrue(os.path.exists(os.path.join(p2, "schedlog-pool16-p2.log.gz")))
        with open(os.path.join(p2, "schedlog-pool16-p2.txt")) as f:
            self.assertIn("window 0.004 ms, 2 workers", f.read())
        # the A/B of variant builds: per-round ratios 0.6, 0.7, 0.8 -> median 0.70 (0.60-0.80)
        self.assertTrue(os.path.exists(os.path.join(p2, "ab-p2.txt")))
        with open(os.path.join(p2, "ab.md")) as f:
            ab = f.read()
        self.assertIn("| MPMC/cap:1 | 100 | 70.0 | 0.70 (0.60-0.80) |", ab)
        gn = load_json(os.path.join(p2, "bench-go-pN.json"))
        self.assertEqual(gn["context"]["goc_backend"], "go-pN")
        self.assertEqual([b["real_time"] for b in gn["benchmarks"] if b.get("run_type") == "iteration"], [302])
        env = load_json(os.path.join(p2, "env.json"))
        self.assertEqual((env["cores"], env["pinned_cpus"], env["cpu_model"], env["git_commit"]),
                         (16, 2, "Xeon Gold", "abc123"))
        self.assertEqual(env["compilers"]["go"], "go version go1.19.8")
        self.assertEqual(load_json(os.path.join(p2, "floors.json"))[0]["ns"], 100)
        # not kit results / no P folder: exit 2
        rc, _, err = run([os.path.join(HERE, "kit_import.py"), root, root])
        self.assertEqual(rc, 2)
        self.assertIn("env.txt", err)
        empty = os.path.join(self.dir.name, "empty")
        os.makedirs(empty)
        with open(os.path.join(empty, "env.txt"), "w") as f:
            f.write("nproc: 16\n")
        rc, _, err = run([os.path.join(HERE, "kit_import.py"), empty, root])
        self.assertEqual(rc, 2)
        self.assertIn("no p<P> folder", err)
        # the runner itself parses
        r = subprocess.run(["bash", "-n", os.path.join(HERE, "..", "scripts", "kit_run.sh")])
        self.assertEqual(r.returncode, 0)

    def test_round_lines(self):
        # the bench stage's rounds: each backend over Go's median of the same
        # round, the round's probes in the heading, '*' where the two
        # backends' probes of a round differ (not a pair)
        sys.path.insert(0, HERE)
        import floors as FL
        ent = lambda ns, rounds: {"ns": ns, "rounds": rounds}  # noqa: E731
        data = {("micro", "MPMC/cap:128"): {
            "coro": ent([60, 62, 90, 94], [1, 1, 2, 2]),
            "go-pN": ent([50, 52, 130, 128], [1, 1, 2, 2])}}
        probes = [{"backend": b, "when": w, "ns": ns, "t": 0, "round": k}
                  for b, k, ns in (("coro", 1, 100), ("go-pN", 1, 104), ("coro", 2, 420), ("go-pN", 2, 110))
                  for w in ("before", "after")]
        fr = lambda r: "%.2f" % r  # noqa: E731
        fn = lambda v: "%.0f ns" % v  # noqa: E731
        out = FL.round_lines(data, [("micro", "MPMC/cap:128")], probes, fr, fn)
        text = "\n".join(out)
        self.assertIn("| benchmark | backend | round 1 (100 ns-104 ns) | round 2 (110 ns-420 ns) |", text)
        self.assertIn("|---|---|---:|---:|", text)
        self.assertIn("| MPMC/cap:128 | coro | 1.20 | 0.71 * |", text)  # 61/51; 92/129, probes 420 vs 110
        # one round only, or no Go: nothing
        one = {("micro", "X"): {"coro": ent([1], [1]), "go-pN": ent([2], [1])}}
        self.assertEqual(FL.round_lines(one, [("micro", "X")], [], fr, fn), [])
        nogo = {("micro", "X"): {"coro": ent([1, 2], [1, 2])}}
        self.assertEqual(FL.round_lines(nogo, [("micro", "X")], [], fr, fn), [])

    def test_pool_ceiling(self):
        """ScalingBarePool (bare threads) gives the scaling section its
        ceiling: per thread count the median over binaries, and each label's
        ScalingWorkerPool at its most workers over one bare thread."""
        sys.path.insert(0, HERE)
        import summary as S
        run_dir = os.path.join(self.dir.name, "run")
        os.makedirs(run_dir)
        bare = {"lockfree": (4000, 2100), "pthread": (4200, 2000)}
        for b, (t1, t2) in bare.items():
            doc = gbench_doc(b, [("ScalingBarePool/workers:1", t1), ("ScalingBarePool/workers:2", t2),
                                 ("ScalingWorkerPool/workers:1", 5000),
                                 ("ScalingWorkerPool/workers:16", 2500)])
            with open(os.path.join(run_dir, "scaling-%s.json" % b), "w") as f:
                json.dump(doc, f)
        for p, ns in ((1, 4100), (2, 2200)):
            doc = gbench_doc("coro", [("ScalingWorkerPool/workers:1", 4000),
                                      ("ScalingWorkerPool/workers:16", ns)])
            doc["context"]["goc_procs"] = str(p)
            with open(os.path.join(run_dir, "scaling-coro-p%d.json" % p), "w") as f:
                json.dump(doc, f)
        sc = S.load_scaling(run_dir)
        curve = S.bare_pool_curve(sc)
        self.assertEqual([n for n, _ in curve], [1, 2])
        one, two = (1e9 / 4000 + 1e9 / 4200) / 2, (1e9 / 2100 + 1e9 / 2000) / 2  # medians of rates
        self.assertAlmostEqual(curve[0][1], one)
        self.assertAlmostEqual(curve[1][1], two)
        line = S.pool_ceiling_line(sc)
        self.assertIn("the bare threads' best is", line)
        self.assertIn("at 2 workers, a ceiling of %s" % S.fmt_ratio(two / one), line)
        self.assertIn("coro-p2 %s" % S.fmt_ratio(1e9 / 2200 / one), line)
        self.assertIn("coro-p1 %s" % S.fmt_ratio(1e9 / 4100 / one), line)
        self.assertIn("lockfree %s" % S.fmt_ratio(1e9 / 2500 / one), line)
        # no bare rows (coro-only run, or an older run): no line
        self.assertIsNone(S.pool_ceiling_line({k: v for k, v in sc.items() if k != S.BARE_POOL}))
        self.assertIsNone(S.pool_ceiling_line({S.BARE_POOL: sc[S.BARE_POOL]}))
        md, _missing = S.summarize(run_dir)
        self.assertIn("**ScalingBarePool** (columns: workers, each a plain thread)", md)
        self.assertIn("Against the machine (ScalingBarePool", md)

    def test_unreadable(self):
        rc, _, _ = run([COMPARE, os.path.join(self.dir.name, "missing.json")])
        self.assertEqual(rc, 2)


# Two workers, 9 us (1000..10000 ns). w0: task 5 for 4 us, then between
# tasks for 4 us (a 2 us watch of w1, a steal), then task 6 (which ran on
# w1 before: a migration) for 1 us. w1: task 6 for 1 us, parked 6 us,
# between tasks 2 us. CPUs: {cpu0} for w0 and {cpu1} for w1.
def schedlog_text(cpu0=0, cpu1=1):
    return f"""# goc schedlog 1: workers 2 procs 2 dropped 0
# ns worker cpu event who arg
0 0 0 name 5 0 alpha
0 1 0 name 6 0 beta
1000 0 {cpu0} in 5 0
5000 0 {cpu0} out 5 2
6000 0 {cpu0} spin 0 0
6500 0 {cpu0} watch 1 0
8500 0 {cpu0} steal 1 1
9000 0 {cpu0} in 6 0
10000 0 {cpu0} out 6 3
1000 1 {cpu1} in 6 0
2000 1 {cpu1} out 6 2
2000 1 {cpu1} park 0 0
8000 1 {cpu1} unpark 0 0
10000 1 {cpu1} spin 0 0
"""


class SchedLog(unittest.TestCase):
    def analyse(self, text, t0=1000, t1=10000):
        events, names, _ = schedlog.parse(text.splitlines(True))
        with open(os.devnull, "w") as null:
            return schedlog.analyse(events, names, t0, t1, out=null)

    def test_time_split(self):
        W, shared, hist, tasks = self.analyse(schedlog_text())
        self.assertEqual((W[0]["task"], W[0]["between"], W[0]["watch"], W[0]["parked"]),
                         (5000, 4000, 2000, 0))
        self.assertEqual((W[1]["task"], W[1]["between"], W[1]["parked"]), (1000, 2000, 6000))
        self.assertEqual((W[0]["steals"], W[0]["stolen"], W[0]["switches"]), (1, 1, 2))

    def test_gaps_and_migrations(self):
        W, shared, hist, tasks = self.analyse(schedlog_text())
        self.assertEqual(hist["1-5us"], [1, 4000])  # w0: out at 5000, in at 9000
        self.assertEqual(sum(n for n, _ in hist.values()), 1)
        self.assertEqual(tasks["beta"][1:], [2, 2000, 1])  # runs, ns, migrated once
        self.assertEqual(tasks["alpha"][1:], [1, 4000, 0])

    def test_runs_cut_by_the_window(self):
        # both runs are still going at t1 = 1500: each counts 500 ns
        tasks = self.analyse(schedlog_text(), 1000, 1500)[3]
        self.assertEqual((tasks["alpha"][1:3], tasks["beta"][1:3]), ([1, 500], [1, 500]))

    def test_cpu_sharing(self):
        self.assertEqual(sum(self.analyse(schedlog_text())[1].values()), 0)
        # both on CPU 0: w1 unparked 1000..2000 and 8000..10000
        self.assertEqual(dict(self.analyse(schedlog_text(0, 0))[1]), {0: 3000})

    def test_cli_span_and_errors(self):
        with tempfile.TemporaryDirectory() as d:
            good = os.path.join(d, "log")
            with open(good, "w") as f:
                f.write(schedlog_text())
            rc, out, err = run([SCHEDLOG, good])
            self.assertEqual(rc, 0, err)
            self.assertIn("window 0.009 ms", out)
            self.assertRegex(out, r"w0\s+55\.6%\s+44\.4%\s+22\.2%")
            with gzip.open(good + ".gz", "wt") as f:  # the kit's logs come gzipped
                f.write(schedlog_text())
            rc, out, err = run([SCHEDLOG, good + ".gz"])
            self.assertEqual(rc, 0, err)
            self.assertIn("window 0.009 ms", out)
            with open(good + ".gz", "rb") as f:
                head = f.read(30)
            with open(good + ".gz", "wb") as f:  # truncated
                f.write(head)
            rc, out, err = run([SCHEDLOG, good + ".gz"])
            self.assertEqual(rc, 2, err)
            self.assertIn(".gz:", err)
            rc, out, err = run([SCHEDLOG, good, "--span", "alpha"])  # 1000..5000
            self.assertEqual(rc, 0, err)
            self.assertIn("window 0.004 ms", out)
            for args, msg in (([good, "--span", "gamma"], "no task of that name"),
                              ([good, "--window", "x"], "want A:B"),
                              ([os.path.join(d, "missing")], "No such file")):
                rc, out, err = run([SCHEDLOG] + args)
                self.assertEqual(rc, 2, args)
                self.assertIn(msg, err)
            bad = os.path.join(d, "bad")
            for text, msg in (("1 0 0 in 5 0\n", "no '# goc schedlog' header"),
                              ("# goc schedlog 1: workers 1\n1 0 0 jump 0 0\n", "line 2"),
                              ("1 2 3\n", "line 1: not a schedlog event")):
                with open(bad, "w") as f:
                    f.write(text)
                rc, out, err = run([SCHEDLOG, bad])
                self.assertEqual(rc, 2, text)
                self.assertIn(msg, err)



# A fake build for pool_placement.sh: the probe answers the round trips in
# PROBES in turn (a counter file beside it), the pool 3400 ns a job at
# GOC_PROCS=1 and 1800 at 2, as Google Benchmark JSON.
FAKE_PROBE = """#!/bin/sh
d=$(dirname "$0"); n=$(cat "$d/n" 2>/dev/null || echo 0); echo $((n + 1)) >"$d/n"
set -- %s; shift $n
printf '{"benchmarks":[{"name":"BarePingPong","run_type":"iteration","real_time":%%s,"time_unit":"ns"}]}' "$1"
"""
FAKE_POOL = """#!/bin/sh
t=3400; [ "$GOC_PROCS" = 2 ] && t=1800
printf '{"benchmarks":[{"name":"ScalingWorkerPool/workers:16","run_type":"iteration","real_time":%s,"time_unit":"ns"}]}' $t
"""


class PoolPlacement(unittest.TestCase):
    def fake_build(self, tmp, probes):
        h = os.path.join(tmp, "harness")
        os.makedirs(h)
        for name, text in (("micro-pthread", FAKE_PROBE % " ".join(map(str, probes))),
                           ("scaling-coro", FAKE_POOL)):
            path = os.path.join(h, name)
            with open(path, "w") as f:
                f.write(text)
            os.chmod(path, 0o755)
        return tmp

    def placement(self, args, env_go=""):
        env = dict(os.environ, POOL_PLACEMENT_GO=env_go)
        r = subprocess.run([POOL_PLACEMENT] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=env)
        return r.returncode, r.stdout, r.stderr

    def test_groups(self):
        with tempfile.TemporaryDirectory() as tmp:
            # round 1: 100 -> 110, round 2: 100 -> 400 (moved), round 3: 420 -> 410,
            # round 4: 95 -> 105
            build = self.fake_build(tmp, [100, 110, 100, 400, 420, 410, 95, 105])
            rc, out, err = self.placement(["4", build])
        self.assertEqual(rc, 0, err)
        self.assertIn("| 2 | 100 -> 400 (moved) | 3400 -> 1800 | 1.89x | - | - |", out)
        self.assertIn("placement 100-105 ns (2 round(s)): coro 1.89x (1.89-1.89)", out)
        self.assertIn("placement 415-415 ns (1 round(s)): coro 1.89x", out)
        self.assertIn("1 round(s) saw the vCPUs move", out)
        self.assertNotIn("Go ", out.split("\n\n", 1)[1], "no Go binary: no Go ratio")

    def test_bad_arguments(self):
        with tempfile.TemporaryDirectory() as tmp:
            for args in (["0"], ["x"], ["1", os.path.join(tmp, "none")]):
                rc, out, err = self.placement(args)
                self.assertEqual(rc, 2, args)
                self.assertIn("pool_placement:", err)
                self.assertEqual(out, "")

if __name__ == "__main__":
    unittest.main()
