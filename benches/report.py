#!/usr/bin/env python3
"""Tables and a chart from the last `cargo bench --bench session` run.

    python3 benches/report.py            # prints Markdown tables
    python3 benches/report.py --svg FILE  # also writes the concurrency chart

Reads Criterion's target/criterion/<id>/new/estimates.json and uses the
median. Ratios read "clientsession's throughput / the other's": above 1.00
clientsession is faster, below 1.00 slower (the same as other's median time
divided by clientsession's).
"""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "target", "criterion")
IMPLS = ["clientsession", "hyper_util", "reqwest", "raw_conn"]
# group -> (work per iteration, unit of throughput)
GROUPS = {
    "get_small": (1, "req/s"),
    "concurrent_16": (16, "req/s"),
    "concurrent_64": (64, "req/s"),
    "post_64k": (64 * 1024 / 2**20, "MiB/s"),
    "download_1m": (1, "MiB/s"),
}


def median_ns(*parts):
    path = os.path.join(ROOT, *parts, "new", "estimates.json")
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


def requests_table():
    print("| bench | clientsession | hyper_util | reqwest | raw_conn | cs/hyper_util | cs/reqwest | cs/raw_conn |")
    print("|---|---|---|---|---|---|---|---|")
    for group, (work, unit) in GROUPS.items():
        t = {i: median_ns(group, i) for i in IMPLS}
        if t["clientsession"] is None:
            continue
        cells = [f"{fmt_time(t[i])} ({work / (t[i] / 1e9):,.0f} {unit})" if t[i] else "-" for i in IMPLS]
        ratios = [f"{t[i] / t['clientsession']:.2f}" if t[i] else "-" for i in IMPLS[1:]]
        print(f"| {group} | " + " | ".join(cells + ratios) + " |")


def lifecycle_table():
    print("| bench | median |")
    print("|---|---|")
    for case in ["session_new_drop/clientsession", "build_close/clientsession",
                 "scoped_empty/clientsession", "new/hyper_util", "new/reqwest"]:
        ns = median_ns("lifecycle", case.replace("/", "_"))
        if ns is not None:
            print(f"| lifecycle/{case} | {fmt_time(ns)} |")


def svg(path):
    levels = [("get_small", 1), ("concurrent_16", 16), ("concurrent_64", 64)]
    colors = {"clientsession": "#1f77b4", "hyper_util": "#ff7f0e", "reqwest": "#2ca02c", "raw_conn": "#7f7f7f"}
    rps = {(g, i): (n / (median_ns(g, i) / 1e9) if median_ns(g, i) else 0) for g, n in levels for i in IMPLS}
    top = max(rps.values()) * 1.1
    w, h, left, bottom, top_pad = 640, 360, 70, 50, 40
    plot_h = h - bottom - top_pad
    bar_w, gap = 28, 60
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="12">',
           f'<text x="{w / 2}" y="20" text-anchor="middle" font-size="14">GET /small, requests/second by concurrency (median; higher is better)</text>',
           f'<line x1="{left}" y1="{h - bottom}" x2="{w - 10}" y2="{h - bottom}" stroke="black"/>',
           f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{h - bottom}" stroke="black"/>']
    for k in range(5):
        v = top * k / 4
        y = h - bottom - plot_h * k / 4
        out.append(f'<text x="{left - 5}" y="{y + 4}" text-anchor="end">{v / 1000:.0f}k</text>')
        out.append(f'<line x1="{left}" y1="{y}" x2="{w - 10}" y2="{y}" stroke="#ddd"/>')
    x = left + 30
    for g, n in levels:
        for i in IMPLS:
            bh = plot_h * rps[(g, i)] / top
            out.append(f'<rect x="{x}" y="{h - bottom - bh:.1f}" width="{bar_w}" height="{bh:.1f}" fill="{colors[i]}"><title>{g}/{i}: {rps[(g, i)]:,.0f} req/s</title></rect>')
            x += bar_w
        out.append(f'<text x="{x - 2 * bar_w}" y="{h - bottom + 18}" text-anchor="middle">{n} task{"s" if n > 1 else ""}</text>')
        x += gap
    lx = left + 10
    for i in IMPLS:
        out.append(f'<rect x="{lx}" y="{h - 18}" width="12" height="12" fill="{colors[i]}"/><text x="{lx + 16}" y="{h - 8}">{i}</text>')
        lx += 130
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    requests_table()
    print()
    lifecycle_table()
    if len(sys.argv) == 3 and sys.argv[1] == "--svg":
        svg(sys.argv[2])
