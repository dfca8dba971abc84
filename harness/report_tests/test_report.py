#!/usr/bin/python3
"""The HTML reports in a real browser (issue 13 items 2 and 4).

usage: test_report.py run|compare WORKDIR

run: copies the fixture run folder fixtures/20260101T000000Z-vm into
  WORKDIR, adds two more commits of it to a history database (the newest
  with coro's ChanSync 1.6x slower), then runs what the report stage runs
  (summary.py, plots/plot.py, history.py import, html_report.py) and renders
  index.html in headless Chromium: every <img> must have loaded
  (naturalWidth > 0, recorded by the page's load handler), the page must hold
  every row of summary.md, races.md and pitfalls.md, every headline row a
  trend sparkline, and the change point must be marked. The screenshot stays
  in the run folder (report-screenshot.png).
compare: compare_runs.py over the two fixture runs (vm, 2 cores; xeon, 16
  cores): the column groups, the per-machine ratios, the scaling figure, and
  the same browser checks against the comparison's summary.md.
Both then plant a broken image and a missing row in a copy of the page and
require the checks to catch both (the test proves it can fail).
Exit status 0 when every check passes.
"""
import html.parser
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRC, "harness"))
import html_report as R  # noqa: E402
import history as H  # noqa: E402

PY = "/usr/bin/python3"
VM, XEON = "20260101T000000Z-vm", "20260101T000100Z-xeon"
FAILS = []


def check(ok, msg):
    print("%s: %s" % ("ok" if ok else "FAIL", msg))
    if not ok:
        FAILS.append(msg)


def sh(*cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if r.returncode != 0:
        print(r.stdout)
        raise SystemExit("test_report.py: %s failed (exit %d)" % (" ".join(cmd[:3]), r.returncode))
    return r.stdout


def chromium():
    for c in ("chromium", "chromium-browser", "google-chrome"):
        p = shutil.which(c)
        if p:
            return p
    raise SystemExit("test_report.py: no chromium (./run_all.sh setup installs Debian's chromium)")


def browse(page, *extra):
    """Runs headless Chromium on PAGE (file) with a fresh profile; returns stdout."""
    prof = tempfile.mkdtemp(prefix="goc-chromium-")
    try:
        cmd = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--user-data-dir=" + prof] + list(extra) + ["file://" + os.path.abspath(page)]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
        if r.returncode != 0:
            print(r.stderr[-3000:])
            raise SystemExit("test_report.py: chromium failed (exit %d)" % r.returncode)
        return r.stdout
    finally:
        shutil.rmtree(prof, ignore_errors=True)


class Dom(html.parser.HTMLParser):
    """The rendered DOM: <html> attributes, <img> attributes, table rows as
    cell texts, the number of sparkline SVGs and change-point dots."""

    def __init__(self):
        super().__init__()
        self.root, self.imgs, self.rows, self.sparks, self.dots = {}, [], [], 0, 0
        self.row = self.cell = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "html":
            self.root = a
        elif tag == "img":
            self.imgs.append(a)
        elif tag == "tr":
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append(" ")
        elif tag == "svg" and "spark" in (a.get("class") or ""):
            self.sparks += 1
        elif tag == "circle":
            self.dots += 1

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.rows.append(self.row)
            self.row = None

    def handle_data(self, d):
        if self.cell is not None:
            self.cell.append(d)


def page_errors(page, md_files, nimg):
    """What is wrong with PAGE as Chromium renders it: images that did not
    load, fewer images than NIMG, rows of the markdown files not in a table."""
    dom = Dom()
    dom.feed(browse(page, "--dump-dom"))
    errs = []
    if dom.root.get("data-loaded") != "1":
        errs.append("the page's load handler did not run")
    broken = [i.get("src") for i in dom.imgs if int(i.get("data-natural-width", "0") or 0) <= 0]
    if broken:
        errs.append("images not loaded: %s" % ", ".join(broken))
    if dom.root.get("data-images-broken") not in ("0",):
        errs.append("data-images-broken=%s" % dom.root.get("data-images-broken"))
    if len(dom.imgs) < nimg:
        errs.append("%d images, want %d" % (len(dom.imgs), nimg))
    rows = [tuple(r) for r in dom.rows]
    for f in md_files:
        for hdr, body in R.md_tables(open(f, encoding="utf-8").read()):
            for r in body:
                want = tuple(R.md_text(c) for c in r)
                if not any(d[:len(want)] == want for d in rows):
                    errs.append("%s: row not in the page: %s" % (os.path.basename(f), " | ".join(want)[:160]))
    return errs, dom


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])


def planted(page, img_dir_files, md_files, nimg):
    """A copy of the page's folder with one image truncated and one table
    row removed: the checks must report both."""
    src = os.path.dirname(page)
    dst = tempfile.mkdtemp(prefix="goc-planted-")
    try:
        d = os.path.join(dst, "p")
        shutil.copytree(src, d)
        with open(os.path.join(d, img_dir_files[0]), "wb") as f:
            f.write(b"\x89PNG\r\n\x1a\n")  # a truncated PNG: the browser cannot decode it
        text = open(os.path.join(d, os.path.basename(page)), encoding="utf-8").read()
        # remove the page's last table row (one of the markdown files' rows)
        i = text.rfind("<tr")
        j = text.find("</tr>", i)
        text = text[:i] + text[j + len("</tr>"):]
        open(os.path.join(d, os.path.basename(page)), "w", encoding="utf-8").write(text)
        errs, _ = page_errors(os.path.join(d, os.path.basename(page)),
                              [os.path.join(d, os.path.relpath(f, src)) for f in md_files], nimg)
        check(any("images not loaded" in e for e in errs), "planted: a broken image is caught")
        check(any("row not in the page" in e for e in errs), "planted: a missing row is caught")
    finally:
        shutil.rmtree(dst, ignore_errors=True)


def test_run(work):
    run = os.path.join(work, VM)
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(os.path.join(HERE, "fixtures", VM), run)
    db = os.path.join(work, "history.sqlite")
    if os.path.exists(db):
        os.remove(db)
    # three later commits of the same machine; from the third on, coro's ChanSync is 1.6x slower
    for k, (stamp, commit, slow) in enumerate((("20260102T000000Z-vm", "2" * 40, 1.0),
                                               ("20260103T000000Z-vm", "3" * 40, 1.6),
                                               ("20260104T000000Z-vm", "4" * 40, 1.6))):
        d = os.path.join(work, "hist", stamp)
        shutil.rmtree(d, ignore_errors=True)
        shutil.copytree(os.path.join(HERE, "fixtures", VM), d)
        env = json.load(open(os.path.join(d, "env.json")))
        env.update(git_commit=commit, date_utc="2026-01-0%dT00:00:00+00:00" % (k + 2))
        json.dump(env, open(os.path.join(d, "env.json"), "w"))
        doc = json.load(open(os.path.join(d, "bench-coro.json")))
        for r in doc["benchmarks"]:
            if r["name"] == "ChanSync":
                r["real_time"] *= slow
        json.dump(doc, open(os.path.join(d, "bench-coro.json"), "w"))
        sh(PY, os.path.join(SRC, "harness", "history.py"), "--db", db, "import", d)
    sh(PY, os.path.join(SRC, "harness", "summary.py"), run)
    sh(PY, os.path.join(SRC, "plots", "plot.py"), run, env=dict(os.environ, MPLBACKEND="Agg"))
    sh(PY, os.path.join(SRC, "harness", "history.py"), "--db", db, "import", run)
    out = sh(PY, os.path.join(SRC, "harness", "history.py"), "--db", db, "show", "--filter", "^ChanSync$")
    print(out)
    check(re.search(r"33333333\s.*▲\+60%", out) is not None, "history: the planted step is a change point")
    sh(PY, os.path.join(SRC, "harness", "html_report.py"), run, "--history", db)
    page = os.path.join(run, "index.html")
    figs = sorted(f for f in os.listdir(os.path.join(run, "plots")) if f.endswith(".png"))
    check(len(figs) >= 6, "plot.py drew the fixture's figures (%d)" % len(figs))
    mds = [os.path.join(run, f) for f in ("summary.md", "races.md", "pitfalls.md")]
    errs, dom = page_errors(page, mds, len(figs))
    for e in errs:
        print("   " + e)
    check(not errs, "index.html in Chromium: %d images loaded, every row of summary.md, races.md, pitfalls.md"
          % len(dom.imgs))
    nhead = sum(len(b) for h, b in R.md_tables(open(mds[0], encoding="utf-8").read())
                if h and h[0] == "benchmark" and h[-1].startswith("vs best Go"))
    check(dom.sparks == nhead and nhead > 0, "a trend sparkline per headline row (%d of %d)" % (dom.sparks, nhead))
    check(dom.dots >= 1, "the change point is marked in the sparklines (%d)" % dom.dots)
    check(any("races" in " ".join(r) and "FAILED" in " ".join(r) for r in dom.rows) or
          "expected race, observed no race" in open(page, encoding="utf-8").read(),
          "the failed stage and its first lines are on the page")
    shot = os.path.join(run, "report-screenshot.png")
    browse(page, "--hide-scrollbars", "--window-size=1280,1600", "--screenshot=" + shot)
    check(os.path.exists(shot) and png_size(shot) == (1280, 1600), "screenshot kept: %s" % shot)
    planted(page, [os.path.join("plots", figs[0])], mds, len(figs))


def test_compare(work):
    out = os.path.join(work, "compare")
    shutil.rmtree(out, ignore_errors=True)
    fx = os.path.join(HERE, "fixtures")
    sh(PY, os.path.join(SRC, "harness", "compare_runs.py"), os.path.join(fx, VM), os.path.join(fx, XEON),
       "--out", out)
    md = open(os.path.join(out, "summary.md"), encoding="utf-8").read()
    tables = R.md_tables(md)
    ratio = [t for t in tables if any(h.endswith(": best Go") for h in t[0])][0]
    hdr = ratio[0]
    check(any(h.startswith("vm (2 cores): ") for h in hdr) and any(h.startswith("xeon (16 cores): ") for h in hdr),
          "a column group per machine")
    row = [r for r in ratio[1] if r[0] == "ChanSync"][0]
    cell = dict(zip(hdr, row))
    # vm: coro 99.2 ns / go-pN 216 ns; xeon: Go is 0.8x the vm-relative time, so the ratio is 1/0.8 larger
    vm, xe = (float(R.md_text(cell["%s: coro" % m]).rstrip("×")) for m in ("vm (2 cores)", "xeon (16 cores)"))
    check(abs(vm - 0.46) < 0.011 and abs(xe - 0.57) < 0.011,
          "ratios to Go on the same machine: coro ChanSync vm %.2f (0.46), xeon %.2f (0.57)" % (vm, xe))
    check(png_size(os.path.join(out, "scaling.png")) is not None, "the scaling figure, one line per machine")
    page = os.path.join(out, "index.html")
    errs, dom = page_errors(page, [os.path.join(out, "summary.md")], 1)
    for e in errs:
        print("   " + e)
    check(not errs, "the comparison in Chromium: images loaded, every row of its summary.md")
    grp = open(page, encoding="utf-8").read().count("class=grp colspan=")
    ntab = sum(1 for t in tables if t[0][0] == "benchmark")
    check(grp == 2 * ntab and ntab == 4, "two column groups (machines) in each of the %d tables" % ntab)
    planted(page, ["scaling.png"], [os.path.join(out, "summary.md")], 1)


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("run", "compare"):
        print(__doc__, file=sys.stderr)
        return 2
    work = os.path.abspath(sys.argv[2])
    os.makedirs(work, exist_ok=True)
    (test_run if sys.argv[1] == "run" else test_compare)(work)
    print("test_report.py %s: %d failure(s)" % (sys.argv[1], len(FAILS)))
    return 1 if FAILS else 0


if __name__ == "__main__":
    sys.exit(main())
