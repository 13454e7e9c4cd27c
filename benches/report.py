#!/usr/bin/env python3
"""Tables and a chart from `cargo bench --bench session` and `benches/cpu.sh`.

    python3 benches/report.py                       # last Criterion run
    python3 benches/report.py --crit DIR [DIR...]   # several saved runs
    python3 benches/report.py --cpu FILE            # benches/cpu.sh output
    python3 benches/report.py ... --svg FILE        # also write the chart

Criterion: reads <dir>/<id>/new/estimates.json and uses the median; the
default dir is $CARGO_TARGET_DIR/criterion, else target/criterion. With
several dirs (copies of that folder after each run), each cell is the
median over the runs, and each ratio is the median of the per-run ratios
(the per-run ratios follow in brackets).

Ratios always read so that above 1.00 clientsession is better:
- throughput: clientsession's / the other's (= other's time / clientsession's);
- CPU per request: the other's / clientsession's (above 1.00:
  clientsession uses less CPU per request).

The chart (--svg) shows requests per second by concurrency (1, 16, 64) for
each client: from the --cpu file when given (closed loop, server in its own
process), else from Criterion's get_small / concurrent_16 / concurrent_64.
"""
import argparse
import json
import os
import statistics

IMPLS = ["clientsession", "hyper_util", "reqwest", "raw_conn"]
OTHERS = IMPLS[1:]
# group -> (work per iteration, unit of throughput)
GROUPS = {
    "get_small": (1, "req/s"),
    "concurrent_16": (16, "req/s"),
    "concurrent_64": (64, "req/s"),
    "post_64k": (64 * 1024 / 2**20, "MiB/s"),
    "download_1m": (1, "MiB/s"),
}
LIFECYCLE = ["session_new_drop/clientsession", "build_close/clientsession",
             "scoped_empty/clientsession", "new/hyper_util", "new/reqwest"]


def default_crit():
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "target")
    return os.path.join(target, "criterion")


def median_ns(root, *parts):
    path = os.path.join(root, *parts, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]
    except OSError:
        return None


def fmt_time(ns):
    for unit, scale in (("ms", 1e6), ("µs", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def fmt_ratios(values):
    """Median of per-run ratios, then each run's in brackets."""
    values = [v for v in values if v is not None]
    if not values:
        return "-"
    if len(values) == 1:
        return f"{values[0]:.2f}"
    runs = " / ".join(f"{v:.2f}" for v in values)
    return f"**{statistics.median(values):.2f}** ({runs})"


def requests_table(roots):
    print("| bench | clientsession | hyper_util | reqwest | raw_conn | cs/hyper_util | cs/reqwest | cs/raw_conn |")
    print("|---|---|---|---|---|---|---|---|")
    for group, (work, unit) in GROUPS.items():
        runs = [{i: median_ns(r, group, i) for i in IMPLS} for r in roots]
        runs = [t for t in runs if t["clientsession"]]
        if not runs:
            continue
        cells = []
        for i in IMPLS:
            ts = [t[i] for t in runs if t[i]]
            if ts:
                m = statistics.median(ts)
                cells.append(f"{fmt_time(m)} ({work / (m / 1e9):,.0f} {unit})")
            else:
                cells.append("-")
        ratios = [fmt_ratios([t[i] / t["clientsession"] if t[i] else None for t in runs])
                  for i in OTHERS]
        print(f"| {group} | " + " | ".join(cells + ratios) + " |")


def lifecycle_table(roots):
    print("| bench | median |")
    print("|---|---|")
    for case in LIFECYCLE:
        ns = [median_ns(r, "lifecycle", case.replace("/", "_")) for r in roots]
        ns = [v for v in ns if v is not None]
        if ns:
            per_run = " / ".join(fmt_time(v) for v in ns)
            print(f"| lifecycle/{case} | {fmt_time(statistics.median(ns))}"
                  + (f" ({per_run})" if len(ns) > 1 else "") + " |")


def read_cpu(path):
    """benches/cpu.sh output -> {(round, conc, impl): (req/s, cpu µs/req)}."""
    rows = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 8 or parts[0] == "round":
                continue
            rnd, impl, conc = parts[0], parts[1], int(parts[2])
            rows[(rnd, conc, impl)] = (float(parts[6]), float(parts[7]))
    return rows


def cpu_tables(path):
    rows = read_cpu(path)
    rounds = sorted({r for r, _, _ in rows}, key=int)
    concs = sorted({c for _, c, _ in rows})
    for title, idx, ratio in (
        ("requests per second (wall clock)", 0, lambda cs, o: cs / o),
        ("client CPU µs per request", 1, lambda cs, o: o / cs),
    ):
        print(f"| {title} | clientsession | hyper_util | reqwest | raw_conn | cs/hyper_util | cs/reqwest | cs/raw_conn |")
        print("|---|---|---|---|---|---|---|---|")
        for c in concs:
            cells = []
            for i in IMPLS:
                vs = [rows[(r, c, i)][idx] for r in rounds if (r, c, i) in rows]
                m = statistics.median(vs) if vs else None
                cells.append("-" if m is None else (f"{m:,.0f}" if idx == 0 else f"{m:.2f}"))
            ratios = []
            for o in OTHERS:
                vs = [ratio(rows[(r, c, "clientsession")][idx], rows[(r, c, o)][idx])
                      for r in rounds if (r, c, o) in rows and (r, c, "clientsession") in rows]
                ratios.append(fmt_ratios(vs))
            print(f"| concurrency {c} | " + " | ".join(cells + ratios) + " |")
        print()


def svg(path, roots, cpu):
    if cpu:
        rows = read_cpu(cpu)
        rounds = sorted({r for r, _, _ in rows}, key=int)
        levels = [1, 16, 64]
        rps = {(n, i): statistics.median([rows[(r, n, i)][0] for r in rounds if (r, n, i) in rows] or [0])
               for n in levels for i in IMPLS}
        title = "GET /small: requests/second by concurrency (benches/cpu.sh, median; higher is better)"
    else:
        groups = {1: "get_small", 16: "concurrent_16", 64: "concurrent_64"}
        levels = list(groups)
        rps = {}
        for n, g in groups.items():
            for i in IMPLS:
                ts = [median_ns(r, g, i) for r in roots]
                ts = [t for t in ts if t]
                rps[(n, i)] = n / (statistics.median(ts) / 1e9) if ts else 0
        title = "GET /small: requests/second by concurrency (Criterion, median; higher is better)"
    colors = {"clientsession": "#1f77b4", "hyper_util": "#ff7f0e", "reqwest": "#2ca02c", "raw_conn": "#7f7f7f"}
    top = max(rps.values()) * 1.1
    w, h, left, bottom, top_pad = 640, 360, 70, 50, 40
    plot_h = h - bottom - top_pad
    bar_w, gap = 28, 60
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           '<rect width="100%" height="100%" fill="white"/>',
           f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="13">{title}</text>',
           f'<line x1="{left}" y1="{h - bottom}" x2="{w - 10}" y2="{h - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{h - bottom}" stroke="black"/>']
    for k in range(5):
        v = top * k / 4
        y = h - bottom - plot_h * k / 4
        out.append(f'<text x="{left - 5}" y="{y + 4}" text-anchor="end">{v / 1000:.0f}k</text>')
        out.append(f'<line x1="{left}" y1="{y}" x2="{w - 10}" y2="{y}" stroke="#ddd"/>')
    x = left + 30
    for n in levels:
        for i in IMPLS:
            bh = plot_h * rps[(n, i)] / top
            out.append(f'<rect x="{x}" y="{h - bottom - bh:.1f}" width="{bar_w}" height="{bh:.1f}" fill="{colors[i]}"><title>{n}/{i}: {rps[(n, i)]:,.0f} req/s</title></rect>')
            out.append(f'<text x="{x + bar_w / 2}" y="{h - bottom - bh - 4:.1f}" text-anchor="middle" font-size="9">{rps[(n, i)] / 1000:.0f}k</text>')
            x += bar_w
        out.append(f'<text x="{x - 2 * bar_w}" y="{h - bottom + 18}" text-anchor="middle">concurrency {n}</text>')
        x += gap
    lx = left + 10
    for i in IMPLS:
        out.append(f'<rect x="{lx}" y="{h - 18}" width="12" height="12" fill="{colors[i]}"/><text x="{lx + 16}" y="{h - 8}">{i}</text>')
        lx += 130
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crit", nargs="+", metavar="DIR", help="Criterion output folders (one per run)")
    ap.add_argument("--cpu", metavar="FILE", help="benches/cpu.sh output")
    ap.add_argument("--svg", metavar="FILE", help="write the requests/second chart")
    args = ap.parse_args()
    roots = args.crit or ([] if args.cpu else [default_crit()])
    if roots:
        requests_table(roots)
        print()
        lifecycle_table(roots)
        print()
    if args.cpu:
        cpu_tables(args.cpu)
    if args.svg:
        svg(args.svg, roots, args.cpu)


if __name__ == "__main__":
    main()
