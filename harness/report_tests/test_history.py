#!/usr/bin/python3
"""The change-point test of harness/history.py on synthetic series, and the
database round trip (import, series, summary.md fallback).

Series: per commit, a list of repetition samples (ns/op). Noise is
multiplicative (lognormal) with a fixed seed, so every run of this test sees
the same numbers. Exit status 0 when every case passes.
"""
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, ".."))
import history as H  # noqa: E402


def series(levels, reps, sigma, seed, commit_sigma=0.0):
    """One point per level: reps samples around level, lognormal(sigma); each
    commit also gets its own offset lognormal(commit_sigma) (run-to-run noise)."""
    rnd = random.Random(seed)
    out = []
    for lv in levels:
        off = rnd.lognormvariate(0, commit_sigma) if commit_sigma else 1.0
        out.append([lv * off * rnd.lognormvariate(0, sigma) for _ in range(reps)])
    return out


class ChangePoints(unittest.TestCase):
    def test_step_up_is_found_at_its_commit(self):
        pts = series([100] * 5 + [150] * 4, reps=9, sigma=0.05, seed=1, commit_sigma=0.03)
        cps = H.change_points(pts)
        self.assertEqual([c["index"] for c in cps], [5])
        self.assertGreater(cps[0]["ratio"], 1.3)
        self.assertLess(cps[0]["p"], 0.05)

    def test_step_down_is_faster(self):
        pts = series([200] * 4 + [120] * 4, reps=5, sigma=0.08, seed=2)
        cps = H.change_points(pts)
        self.assertEqual([c["index"] for c in cps], [4])
        self.assertLess(cps[0]["ratio"], 0.75)

    def test_two_steps(self):
        # a rise and a fall, at least a window (5 commits) apart
        pts = series([100] * 5 + [160] * 5 + [90] * 5, reps=9, sigma=0.05, seed=3)
        self.assertEqual([c["index"] for c in H.change_points(pts)], [5, 10])

    def test_flat_noisy_series_is_not_flagged(self):
        # heavy noise within runs (25%) and between runs (10%), 12 commits
        for seed in range(20):
            pts = series([100] * 12, reps=9, sigma=0.25, seed=100 + seed, commit_sigma=0.10)
            self.assertEqual(H.change_points(pts), [], "seed %d" % seed)

    def test_one_odd_run_in_the_middle_is_not_a_change(self):
        pts = series([100] * 4 + [180] + [100] * 4, reps=9, sigma=0.05, seed=4)
        self.assertEqual(H.change_points(pts), [])

    def test_small_step_below_min_effect_is_not_flagged(self):
        pts = series([100] * 5 + [110] * 5, reps=9, sigma=0.02, seed=5)
        self.assertEqual(H.change_points(pts), [])               # 10% < 20%
        self.assertEqual([c["index"] for c in H.change_points(pts, min_effect=0.05)], [5])

    def test_without_the_guards_the_flat_series_would_be_flagged(self):
        # the effect-size and separation guards are what keep the noisy series
        # quiet: the U test alone sees the run-to-run offsets as changes
        hits = 0
        for seed in range(20):
            pts = series([100] * 12, reps=9, sigma=0.25, seed=100 + seed, commit_sigma=0.10)
            hits += bool(H.change_points(pts, min_effect=0.0, separate=False))
        self.assertGreater(hits, 0)

    def test_too_short(self):
        self.assertEqual(H.change_points([[1.0, 2.0]]), [])
        self.assertEqual(H.change_points([]), [])


class Database(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.db = os.path.join(self.tmp, "h.sqlite")

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_import_json_run_and_reimport_replaces(self):
        run = os.path.join(HERE, "fixtures", "20260101T000000Z-vm")
        con = H.connect(self.db)
        n = H.import_run(con, run)
        self.assertGreater(n, 10)
        self.assertEqual(H.import_run(con, run), n)
        self.assertEqual(con.execute("SELECT count(*) FROM runs").fetchone()[0], 1)
        self.assertEqual(con.execute("SELECT count(*) FROM results").fetchone()[0], n)
        (med,) = con.execute("SELECT median_ns FROM results WHERE benchmark='ChanSync' AND backend='coro'").fetchone()
        self.assertAlmostEqual(med, 99.2, places=3)
        (k,) = con.execute("SELECT count(*) FROM samples WHERE benchmark='ChanSync' AND backend='coro'").fetchone()
        self.assertEqual(k, 3)

    def test_summary_md_fallback(self):
        # a run folder that kept only summary.md (results/published/*)
        src = os.path.join(HERE, "fixtures", "20260101T000000Z-vm")
        run = os.path.join(self.tmp, "20260105T000000Z-vm")
        os.makedirs(run)
        sys.path.insert(0, os.path.join(HERE, ".."))
        import summary as S
        text, _ = S.summarize(src)
        with open(os.path.join(run, "summary.md"), "w") as f:
            f.write(text)
        env = json.load(open(os.path.join(src, "env.json")))
        json.dump(env, open(os.path.join(run, "env.json"), "w"))
        rows = H.from_summary_md(run)
        self.assertAlmostEqual(rows[("micro", "ChanSync", "coro")]["median"], 99.2, places=3)
        self.assertAlmostEqual(rows[("micro", "ChanSync", "pthread")]["median"], 13800, places=0)
        con = H.connect(self.db)
        self.assertEqual(H.import_run(con, run), len(rows))
        (src_kind,) = con.execute("SELECT source FROM runs").fetchone()
        self.assertEqual(src_kind, "summary.md")

    def test_series_pools_runs_of_a_commit_and_keeps_hosts_apart(self):
        con = H.connect(self.db)
        fx = os.path.join(HERE, "fixtures")
        for name in ("20260101T000000Z-vm", "20260101T000100Z-xeon"):
            H.import_run(con, os.path.join(fx, name))
        # a second run of the same commit on vm
        d = os.path.join(self.tmp, "20260101T010000Z-vm")
        shutil.copytree(os.path.join(fx, "20260101T000000Z-vm"), d)
        H.import_run(con, d)
        s = H.series(con, filt="^ChanSync$", backends="coro,go")
        self.assertEqual(sorted(s), [("vm", "micro", "ChanSync"), ("xeon", "micro", "ChanSync")])
        pts = s[("vm", "micro", "ChanSync")]["coro"]
        self.assertEqual(len(pts), 1)          # one commit
        self.assertEqual(pts[0][2], 2)         # two runs pooled
        self.assertEqual(len(pts[0][3]), 6)    # 2 x 3 repetitions
        self.assertEqual(sorted(s[("vm", "micro", "ChanSync")]), ["coro", "go-p1", "go-pN"])
        sqlite3.connect(self.db).close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
