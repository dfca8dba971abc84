#!/usr/bin/python3
"""RUN/index.html: one static page with everything a run folder holds.

usage: html_report.py RUN [--out FILE] [--history DB]

Sections: the machine and commit, each stage's status (RUN/stages.json),
summary.md (every table: benchmark medians with the fastest in bold, spreads
and ratios to Go, latency, memory, scaling, hyperfine, wrk; its "Failed
stages"), with a trend sparkline per headline benchmark row from the history
database (harness/history.py; medians of this host over commits, a dot
where the change-point test fired), every figure of RUN/plots, the race
suite (races.md), the races helper's race-parity.md / .json, the pitfalls
table (each detector's key lines), compare.md, and links to every raw file.

The page is static: no server, no network, no JavaScript needed to read it
(one inline script only records, for the browser test, whether every image
loaded). Tables scroll sideways on a phone; print CSS lays it out for PDF.
The tables are summary.md's own tables converted (md_to_html), so the page
holds exactly summary.md's rows. Standard library only.
"""
import argparse
import html
import json
import os
import re
import sqlite3
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import summary as S  # noqa: E402

COLORS = {"pthread": "#1f77b4", "lockfree": "#ff7f0e", "coro": "#2ca02c", "go-p1": "#7f7f7f",
          "go-pN": "#222222", "pthread-vtbl": "#aec7e8", "lockfree-vtbl": "#ffbb78", "coro-vtbl": "#98df8a"}

CSS = """
:root{--fg:#1b1f24;--mut:#57606a;--bd:#d0d7de;--bg2:#f6f8fa;--hi:#dafbe1;--bad:#ffebe9;--link:#0969da}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
 color:var(--fg);margin:0 auto;max-width:1280px;padding:0 14px 40px}
a{color:var(--link)}
h1{font-size:1.5em;margin:.6em 0 .2em} h1 small{font-weight:normal;color:var(--mut);font-size:.6em}
h2{font-size:1.25em;margin:1.6em 0 .4em;padding-bottom:.2em;border-bottom:1px solid var(--bd)}
h3{font-size:1.05em;margin:1.2em 0 .4em} h4{font-size:1em}
p,li{max-width:60em}
.meta{color:var(--mut);font-size:.9em;margin:.2em 0}
nav ul{display:flex;flex-wrap:wrap;gap:2px 14px;padding:0;margin:.6em 0;list-style:none;font-size:.92em}
.tw{overflow-x:auto;-webkit-overflow-scrolling:touch;margin:.4em 0 1.2em;border:1px solid var(--bd);border-radius:4px}
table{border-collapse:collapse;font-size:13px;min-width:100%}
th,td{padding:3px 8px;border-bottom:1px solid var(--bd);white-space:nowrap;text-align:left;vertical-align:top}
th{background:var(--bg2);font-weight:600}
th.r,td.r{text-align:right;font-variant-numeric:tabular-nums}
td.wrap{white-space:normal;min-width:16em;max-width:34em}
td.wrap code{white-space:pre-wrap;word-break:break-all}
tr:hover td{background:#fafbfc}
td strong{background:var(--hi);padding:0 2px;border-radius:2px}
th.grp{text-align:center;border-left:2px solid var(--bd)} td.g0,th.g0{border-left:2px solid var(--bd)}
td.trend{padding:1px 6px} svg.spark{display:block}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--bg2);padding:0 3px;border-radius:3px}
pre{overflow-x:auto;background:var(--bg2);padding:8px 10px;font-size:12px;border-radius:4px}
pre code{background:none;padding:0}
figure{margin:1em 0 1.6em} figure img{max-width:100%;height:auto;border:1px solid var(--bd);border-radius:4px}
figcaption{color:var(--mut);font-size:.85em}
.ok{color:#1a7f37;font-weight:600} .failed{color:#cf222e;font-weight:600}
tr.failed td{background:var(--bad)}
.legend span{display:inline-block;margin-right:10px;font-size:.85em}
.legend i{display:inline-block;width:14px;height:3px;vertical-align:middle;margin-right:4px}
footer{margin-top:2em;color:var(--mut);font-size:.85em;border-top:1px solid var(--bd);padding-top:.6em}
@media (max-width:640px){body{font-size:14px;padding:0 8px 30px} table{font-size:12px}
 h1{font-size:1.25em} th,td{padding:2px 5px}}
@media print{
 @page{margin:12mm}
 nav,.noprint{display:none}
 body{max-width:none;font-size:9.5pt;padding:0}
 .tw{overflow:visible;border:0}
 table{font-size:7.5pt;min-width:0} th,td{white-space:normal;padding:1px 3px}
 thead{display:table-header-group} tr,figure,pre{break-inside:avoid}
 h2,h3{break-after:avoid}
 figure img{max-height:24cm;border:0}
 a{color:inherit;text-decoration:none}
 td strong{background:none;text-decoration:underline}
}
"""

# For the browser test only: the page reads the same without it.
LOAD_SCRIPT = """<script>
addEventListener("load", function () {
  var broken = 0;
  document.querySelectorAll("img").forEach(function (i) {
    i.setAttribute("data-natural-width", i.naturalWidth);
    if (!(i.complete && i.naturalWidth > 0)) broken++;
  });
  document.documentElement.setAttribute("data-images-broken", broken);
  document.documentElement.setAttribute("data-loaded", "1");
});
</script>"""


def esc(s):
    return html.escape(str(s), quote=True)


# ------------------------------------------------------------- markdown --

def inline(s):
    """The inline markdown summary.md and the stage tables use: `code`,
    **bold**, _em_, [text](link), and literal <br>."""
    out = []
    for part in re.split(r"(`[^`]*`)", s):
        if len(part) >= 2 and part[0] == "`" and part[-1] == "`":
            out.append("<code>%s</code>" % esc(part[1:-1]))
            continue
        t = esc(part).replace("&lt;br&gt;", "<br>")
        t = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", t)
        t = re.sub(r"(?<![\w/])_([^_]+?)_(?![\w])", r"<em>\1</em>", t)
        t = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r'<a href="\2">\1</a>', t)
        out.append(t)
    return "".join(out)


def split_row(line):
    """Cells of a markdown table row; '|' inside `code` or escaped is kept."""
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|") and not line.endswith("\\|"):
        line = line[:-1]
    cells, cur, code = [], "", False
    i = 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line) and line[i + 1] == "|":
            cur += "|"
            i += 2
            continue
        if c == "`":
            code = not code
        if c == "|" and not code:
            cells.append(cur.strip())
            cur = ""
        else:
            cur += c
        i += 1
    cells.append(cur.strip())
    return cells


def md_text(cell):
    """A cell's text as the browser shows it (for comparing with the DOM)."""
    t = re.sub(r"`([^`]*)`", r"\1", cell)
    t = t.replace("<br>", " ")
    t = re.sub(r"\*\*(.+?)\*\*", r"\1", t)
    t = re.sub(r"(?<![\w/])_([^_]+?)_(?![\w])", r"\1", t)
    t = re.sub(r"\[([^\]]+)\]\(([^)\s]+)\)", r"\1", t)
    return " ".join(t.split())


def md_tables(text):
    """[(header cells, [row cells])] of every table of a markdown text."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        if lines[i].startswith("|") and i + 1 < len(lines) and re.match(r"^\|[\s:|-]+\|?\s*$", lines[i + 1]):
            hdr = split_row(lines[i])
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(split_row(lines[i]))
                i += 1
            out.append((hdr, rows))
        else:
            i += 1
    return out


def slug(s, used):
    b = re.sub(r"[^a-z0-9]+", "-", md_text(s).lower()).strip("-") or "s"
    n, k = b, 2
    while n in used:
        n, k = "%s-%d" % (b, k), k + 1
    used.add(n)
    return n


def table_html(hdr, align, rows, extra=None):
    """extra: optional (header, [cell html per row]) appended as a column."""
    right = [a.strip().endswith(":") for a in align] + [False] * len(hdr)
    h = ["<div class=tw><table><thead><tr>"]
    for j, c in enumerate(hdr):
        h.append("<th%s>%s</th>" % (" class=r" if right[j] else "", inline(c)))
    if extra:
        h.append("<th>%s</th>" % esc(extra[0]))
    h.append("</tr></thead><tbody>")
    for k, r in enumerate(rows):
        cls = ""
        h.append("<tr%s>" % cls)
        for j, c in enumerate(r):
            klass = []
            if j < len(right) and right[j]:
                klass.append("r")
            if "<br>" in c or len(c) > 90:
                klass.append("wrap")
            h.append("<td%s>%s</td>" % (" class=\"%s\"" % " ".join(klass) if klass else "", inline(c)))
        if extra:
            h.append("<td class=trend>%s</td>" % extra[1][k])
        h.append("</tr>")
    h.append("</tbody></table></div>")
    return "".join(h)


def md_to_html(text, used, table_hook=None, drop_h1=False, shift=0):
    """Markdown (the subset the run folder's .md files use) to HTML.
    table_hook(heading, header, rows) may return an extra column."""
    lines = text.splitlines()
    out, para, i, heading = [], [], 0, ""

    def flush():
        if para:
            out.append("<p>%s</p>" % inline(" ".join(para)))
            para.clear()
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(#{1,6})\s+(.*)$", line)
        if line.startswith("```"):
            flush()
            j = i + 1
            body = []
            while j < len(lines) and not lines[j].startswith("```"):
                body.append(lines[j])
                j += 1
            out.append("<pre><code>%s</code></pre>" % esc("\n".join(body)))
            i = j + 1
            continue
        if m:
            flush()
            level = len(m.group(1))
            heading = m.group(2)
            if not (drop_h1 and level == 1):
                lv = min(6, level + shift)
                out.append("<h%d id=\"%s\">%s</h%d>" % (lv, slug(heading, used), inline(heading), lv))
            i += 1
            continue
        if line.startswith("|") and i + 1 < len(lines) and re.match(r"^\|[\s:|-]+\|?\s*$", lines[i + 1]):
            flush()
            hdr, align = split_row(line), split_row(lines[i + 1])
            rows = []
            i += 2
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(split_row(lines[i]))
                i += 1
            extra = table_hook(heading, hdr, rows) if table_hook else None
            out.append(table_html(hdr, align, rows, extra))
            continue
        if re.match(r"^\s*[-*] ", line):
            flush()
            items = []
            while i < len(lines) and re.match(r"^\s*[-*] ", lines[i]):
                items.append(re.sub(r"^\s*[-*] ", "", lines[i]))
                i += 1
            out.append("<ul>%s</ul>" % "".join("<li>%s</li>" % inline(t) for t in items))
            continue
        if re.match(r"^-{3,}\s*$", line):
            flush()
            out.append("<hr>")
        elif not line.strip():
            flush()
        else:
            para.append(line.strip())
        i += 1
    flush()
    return "\n".join(out)


# --------------------------------------------------------------- trends --

def load_trends(db, host):
    """{(suite, benchmark): {backend: (points, change points)}} or {}."""
    if not db or not os.path.exists(db):
        return {}
    try:
        import history as H
        con = sqlite3.connect(db)
        return H.trends(con, host)
    except Exception as e:  # noqa: BLE001  (trends are an extra; the page stands without them)
        print("html_report.py: no trends (%s: %s)" % (type(e).__name__, e), file=sys.stderr)
        return {}


def sparkline(per, backends, last=20, w=132, h=30):
    """Inline SVG: one polyline per backend over commits (log scale shared by
    the row), a dot where a change point starts (red slower, green faster)."""
    import math
    series = {b: per[b] for b in backends if b in per}
    labels = []
    for b, (pts, _) in series.items():
        for lab, _v in pts:
            if lab not in labels:
                labels.append(lab)
    labels = labels[-last:]
    if len(labels) < 2:
        return "<span class=meta title=\"history: %d commit(s)\">%d commit</span>" % (len(labels), len(labels))
    # each backend relative to its own median over the window, one scale for
    # the row: a line's slope is that backend's change (levels are in the table)
    ref = {}
    for b, (pts, _) in series.items():
        v = sorted(v for lab, v in pts if lab in labels and v > 0)
        if v:
            ref[b] = math.log(v[len(v) // 2])
    devs = [abs(math.log(v) - ref[b]) for b, (pts, _) in series.items() if b in ref
            for lab, v in pts if lab in labels and v > 0]
    span = max(devs + [math.log(1.1)])
    x = {lab: 3 + (w - 6) * i / (len(labels) - 1) for i, lab in enumerate(labels)}
    cur = [None]

    def y(v):
        return h / 2 - (h / 2 - 3) * (math.log(v) - ref[cur[0]]) / span
    parts, tips = [], []
    for b, (pts, cps) in series.items():
        p = [(lab, v) for lab, v in pts if lab in x and v > 0]
        if not p or b not in ref:
            continue
        cur[0] = b
        col = COLORS.get(b, "#9467bd")
        dash = " stroke-dasharray=\"3 2\"" if b.startswith("go") else ""
        parts.append("<polyline fill=none stroke=\"%s\" stroke-width=1.4%s points=\"%s\"/>" % (
            col, dash, " ".join("%.1f,%.1f" % (x[lab], y(v)) for lab, v in p)))
        for c in cps:
            lab, v = pts[c["index"]]
            if lab in x:
                parts.append("<circle cx=\"%.1f\" cy=\"%.1f\" r=2.6 fill=\"%s\"/>" % (
                    x[lab], y(v), "#cf222e" if c["ratio"] > 1 else "#1a7f37"))
                tips.append("%s %s at %s (%+.0f%%)" % (b, "slower" if c["ratio"] > 1 else "faster", lab,
                                                      (c["ratio"] - 1) * 100))
        tips.append("%s: %s" % (b, " → ".join(S.fmt_ns(v) for _, v in p)))
    title = "%d commits %s … %s (each line relative to its own median, scale ±%.0f%%); %s" % (
        len(labels), labels[0], labels[-1], (math.exp(span) - 1) * 100, "; ".join(tips))
    return ("<svg class=spark width=%d height=%d viewBox=\"0 0 %d %d\" role=img aria-label=\"%s\">"
            "<title>%s</title>%s</svg>" % (w, h, w, h, esc(title), esc(title), "".join(parts)))


# ----------------------------------------------------------------- page --

def stages_html(run):
    doc = S.ST.load(run)
    if not doc.get("stages"):
        return ""
    order = list(doc.get("plan", [])) + [s for s in doc["stages"] if s not in doc.get("plan", [])]
    me = os.environ.get("GOC_STAGE_NAME", "")
    rows = []
    for s in order:
        rec = doc["stages"].get(s)
        if rec is None:
            rows.append("<tr><td>%s</td><td class=meta>not run</td><td></td><td></td><td></td></tr>" % esc(s))
            continue
        st = rec.get("status", "?")
        if s == me and st == "running":
            st = "writing this page"
        cls = "ok" if st in ("ok", "skipped", "writing this page") else "failed"
        log = rec.get("log", "")
        rows.append("<tr%s><td>%s</td><td class=%s>%s</td><td class=r>%s</td><td>%s</td>"
                    "<td>%s</td></tr>" % (
                        "" if cls == "ok" else " class=failed", esc(s), cls,
                        esc(st if st != "running" else "interrupted"),
                        "%s s" % esc(rec.get("seconds", "")) if st != "writing this page" else "",
                        "<code>%s</code>" % esc(" ".join(rec["args"])) if rec.get("args") else "",
                        "<a href=\"%s\">%s</a>" % (esc(log), esc(log)) if log and
                        os.path.exists(os.path.join(run, log)) else ""))
    return ("<h2 id=stages>Stages</h2><div class=tw><table><thead><tr><th>stage</th><th>status</th>"
            "<th class=r>time</th><th>options</th><th>log</th></tr></thead><tbody>%s</tbody></table></div>"
            % "".join(rows))


def parity_html(run, used):
    md = os.path.join(run, "race-parity.md")
    if os.path.exists(md):
        return md_to_html(open(md, encoding="utf-8").read(), used, shift=1)
    doc = S.read_json(os.path.join(run, "race-parity.json"))
    if doc is None:
        return ""
    recs = doc if isinstance(doc, list) else doc.get("rows") or doc.get("cases") if isinstance(doc, dict) else None
    out = ["<h2 id=race-parity>Race parity with Go</h2>"]
    if isinstance(recs, list) and recs and all(isinstance(r, dict) for r in recs):
        keys = []
        for r in recs:
            keys += [k for k in r if k not in keys]
        rows = [[json.dumps(r.get(k)) if isinstance(r.get(k), (dict, list)) else str(r.get(k, ""))
                 for k in keys] for r in recs]
        out.append(table_html(keys, ["---"] * len(keys), [[c.replace("|", "/") for c in r] for r in rows]))
    else:
        out.append("<pre><code>%s</code></pre>" % esc(json.dumps(doc, indent=2)[:20000]))
    return "\n".join(out)


def raw_links(run, out_name):
    groups = {}
    for dp, dn, fn in os.walk(run):
        dn.sort()
        for f in sorted(fn):
            p = os.path.relpath(os.path.join(dp, f), run)
            if p in (out_name, "stages.json.tmp") or p.startswith("report-screenshot"):
                continue
            ext = os.path.splitext(f)[1].lower()
            kind = {".json": "JSON", ".md": "Markdown", ".log": "logs", ".txt": "text", ".png": "figures",
                    ".csv": "text"}.get(ext, "other")
            groups.setdefault(kind, []).append((p, os.path.getsize(os.path.join(dp, f))))
    out = []
    for kind in ("JSON", "Markdown", "text", "logs", "figures", "other"):
        if kind in groups:
            out.append("<h3>%s</h3><ul class=files>%s</ul>" % (kind, "".join(
                "<li><a href=\"%s\">%s</a> <span class=meta>(%s)</span></li>" % (
                    esc(p), esc(p), S.fmt_bytes(n)) for p, n in groups[kind])))
    return "\n".join(out) or "<p>No files.</p>"


def render(run, out_name="index.html", db=None):
    run = os.path.realpath(run)
    env = S.load_env(run)
    name = os.path.basename(run)
    m = re.match(r"^\d{8}T\d{6}Z-(.+)$", name)
    host = env.get("host") or S.ST.load(run).get("host") or (m.group(1) if m else "")
    used = {"stages", "summary", "figures", "races", "race-parity", "pitfalls", "compare", "raw"}
    trends = load_trends(db, host)
    nspark = [0]

    def hook(heading, hdr, rows):
        # the headline tables: "### Suite X" / the single-suite table
        if not trends or not hdr or hdr[0] != "benchmark" or not hdr[-1].startswith("vs best Go"):
            return None
        mm = re.match(r"^Suite (.*)$", heading)
        suite = mm.group(1) if mm else ""
        backends = [h for h in hdr[1:-1]]
        cells = []
        for r in rows:
            per = trends.get((suite, r[0])) or trends.get(("", r[0])) or {}
            cells.append(sparkline(per, backends) if per else "<span class=meta>-</span>")
            nspark[0] += bool(per)
        return ("trend", cells)

    summary_md = os.path.join(run, "summary.md")
    if os.path.exists(summary_md):
        body = md_to_html(open(summary_md, encoding="utf-8").read(), used, hook, drop_h1=True)
    else:
        body = "<p>No summary.md in this run (./run_all.sh report writes it).</p>"
    legend = ""
    if nspark[0]:
        legend = ("<p class=\"meta legend\">Trend column: this benchmark's median on %s over the last commits "
                  "in results/history.sqlite (one line per backend, each relative to its own median, so that a "
                  "slope is a change; a red dot: slower from that "
                  "commit on, green: faster, by the change-point test of <code>./run_all.sh history</code>). "
                  "%s</p>" % (esc(host), "".join("<span><i style=\"background:%s\"></i>%s</span>" % (c, esc(b))
                                                  for b, c in COLORS.items() if "vtbl" not in b)))
    figs = sorted(f for f in os.listdir(os.path.join(run, "plots"))
                  if f.endswith(".png")) if os.path.isdir(os.path.join(run, "plots")) else []
    fig_html = "\n".join(
        "<figure><a href=\"plots/%s\"><img src=\"plots/%s\" alt=\"%s\" loading=eager></a>"
        "<figcaption>plots/%s</figcaption></figure>" % (esc(f), esc(f), esc(f[:-4]), esc(f)) for f in figs)
    if not figs:
        fig_html = "<p>No figures in this run (./run_all.sh plots draws them).</p>"
    sections = []
    st = stages_html(run)
    if st:
        sections.append(("stages", "Stages", st))
    sections.append(("summary", "Summary tables", "<h2 id=summary>Summary tables</h2>\n%s\n%s" % (legend, body)))
    sections.append(("figures", "Figures", "<h2 id=figures>Figures</h2>\n" + fig_html))
    for fn, sid, title in (("races.md", "races", "Race suite"), (None, "race-parity", "Race parity"),
                           ("pitfalls.md", "pitfalls", "Pitfalls"), ("compare.md", "compare", "Compare")):
        if fn is None:
            h = parity_html(run, used)
            if h:
                sections.append((sid, title, "<section id=%s-s>%s</section>" % (sid, h)))
            continue
        p = os.path.join(run, fn)
        if os.path.exists(p):
            h = md_to_html(open(p, encoding="utf-8").read(), used, shift=1)
            sections.append((sid, title, "<h2 id=%s>%s</h2>\n<p class=meta>From <a href=\"%s\">%s</a>.</p>\n%s"
                             % (sid, esc(title), esc(fn), esc(fn), h)))
    sections.append(("raw", "Raw files", "<h2 id=raw>Raw files</h2>\n" + raw_links(run, out_name)))
    comp = env.get("compilers", {}) if isinstance(env.get("compilers"), dict) else {}
    commit = str(env.get("git_commit", S.ST.load(run).get("commit", "?")))
    meta = "%s, %s cores, %s, %s · commit <code>%s</code>%s · %s" % (
        esc(env.get("cpu_model", "unknown CPU")), esc(env.get("cores", "?")), esc(env.get("kernel", "?")),
        esc(env.get("os", "?")), esc(commit[:12]), " (uncommitted changes)" if env.get("git_dirty") is True else "",
        esc(env.get("date_utc", name)))
    page = """<!doctype html>
<html lang=en>
<head>
<meta charset=utf-8>
<meta name=viewport content="width=device-width, initial-scale=1">
<title>goc results: {name}</title>
<style>{css}</style>
</head>
<body>
<header>
<h1>goc results <small>{name}</small></h1>
<p class=meta>{meta}</p>
<p class=meta>Compilers: {comp}. Host {host}.</p>
<nav><ul>{nav}</ul></nav>
</header>
<main>
{body}
</main>
<footer>{foot}<br>Written by harness/html_report.py from the files of this folder only; static page
(no network, no JavaScript needed).</footer>
{script}
</body>
</html>
""".format(name=esc(name), css=CSS, meta=meta, comp=esc("; ".join(str(v) for v in comp.values()) or "?"),
           host=esc(host or "?"), nav="".join("<li><a href=\"#%s\">%s</a></li>" % (sid, esc(t))
                                              for sid, t, _ in sections),
           body="\n".join("<section>%s</section>" % h for _, _, h in sections), foot=esc(S.footer(run, env)),
           script=LOAD_SCRIPT)
    dest = os.path.join(run, out_name) if not os.path.isabs(out_name) else out_name
    with open(dest, "w", encoding="utf-8") as f:
        f.write(page)
    return dest, len(figs), nspark[0]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("run")
    ap.add_argument("--out", default="index.html", help="file name in RUN, or an absolute path")
    ap.add_argument("--history", help="history database for the trend column "
                    "(default: RUN/../history.sqlite if there)")
    a = ap.parse_args(argv)
    if not os.path.isdir(a.run):
        print("html_report.py: %s is not a results folder" % a.run, file=sys.stderr)
        return 2
    db = a.history or os.path.join(os.path.dirname(os.path.realpath(a.run)), "history.sqlite")
    dest, nf, ns = render(a.run, a.out, db)
    print("html_report.py: wrote %s (%d figures, %d trend sparklines)" % (dest, nf, ns), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
