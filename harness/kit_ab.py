#!/usr/bin/python3
"""Tabulates the device kit's A/B of coro variant builds (scripts/kit_run.sh,
ab/p<P>.txt; `./run_all.sh kit build --variant`).

usage: kit_ab.py AB_FILE [AB_FILE...] > ab.md

An A/B file holds rounds, each headed `== P=<P> round=<R> variant=<NAME>`
(NAME `base` is the default build), followed by `"<benchmark>",<ns>` lines
(Google Benchmark CSV: name and real time). For each P and benchmark the
table gives the base median, then per variant its median and the median of
the per-round ratios variant / base (rounds where both ran), with their
min-max: below 1 the variant is faster. Rounds alternate the builds, so
both see the same drift of a shared machine. Exit 0; 2 when no file has a
round.
"""
import re
import statistics
import sys

HEAD = re.compile(r"^== P=(\d+) round=(\d+) variant=([A-Za-z0-9_-]+)\s*$")
ROW = re.compile(r'^"([^"]+)",([0-9.eE+-]+)\s*$')


def parse(paths):
    """{P: {benchmark: {variant: {round: ns}}}} and the variants in order."""
    data, order = {}, []
    for path in paths:
        cur = None
        with open(path, encoding="utf-8") as f:
            for line in f:
                m = HEAD.match(line)
                if m:
                    cur = (int(m.group(1)), int(m.group(2)), m.group(3))
                    if cur[2] not in order:
                        order.append(cur[2])
                    continue
                m = ROW.match(line)
                if not (m and cur):
                    continue
                try:
                    ns = float(m.group(2))
                except ValueError:
                    continue
                name = re.sub(r"/(real_time|iterations:\d+)", "", m.group(1))
                p, r, v = cur
                data.setdefault(p, {}).setdefault(name, {}).setdefault(v, {})[r] = ns
    return data, order


def fmt(ns):
    return "%.0f" % ns if ns >= 100 else "%.1f" % ns


def table(data, order):
    out = []
    variants = [v for v in order if v != "base"]
    for p in sorted(data, reverse=True):
        out.append("### GOC_PROCS=%d\n" % p)
        head = "| benchmark | base ns |" + "".join(" %s ns | %s / base (min-max) |" % (v, v) for v in variants)
        out.append(head)
        out.append("|---|---:|" + "---:|---:|" * len(variants))
        for name in sorted(data[p]):
            runs = data[p][name]
            base = runs.get("base", {})
            cells = ["| %s | %s |" % (name, fmt(statistics.median(base.values())) if base else "-")]
            for v in variants:
                vr = runs.get(v, {})
                ratios = [vr[r] / base[r] for r in vr if r in base and base[r] > 0]
                med = fmt(statistics.median(vr.values())) if vr else "-"
                rat = ("%.2f (%.2f-%.2f)" % (statistics.median(ratios), min(ratios), max(ratios))
                       if ratios else "-")
                cells.append(" %s | %s |" % (med, rat))
            out.append("".join(cells))
        out.append("")
    return "\n".join(out)


def main(argv=None):
    paths = (argv if argv is not None else sys.argv[1:])
    if not paths:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    data, order = parse(paths)
    if not data:
        print("kit_ab.py: no A/B round in %s" % ", ".join(paths), file=sys.stderr)
        return 2
    print("# A/B of coro builds (device kit)\n")
    print("Rounds alternate the builds; ratio = variant / base per round, median (min-max).\n")
    print(table(data, order))
    return 0


if __name__ == "__main__":
    sys.exit(main())
