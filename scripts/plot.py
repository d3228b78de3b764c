#!/usr/bin/env python3
"""plot.py: pictures of tmpmc-bench result files (schema v1).

  scripts/plot.py RESULT.json [-o OUT.png]
      throughput per scenario with min-max whiskers; for sweeps, throughput
      against the swept variable (one line per other dimension); and the
      latency percentile distribution (x: 1/(1-p) on a log scale, 50%..99.99%);
      open-loop scenarios add their send lateness, dotted, in the same colour.
  scripts/plot.py --compare BASE.json NEW.json -o OUT.png
      the two results side by side.
  scripts/plot.py --peers-table RESULT.json
      for results with several queue.impl (configs/peers.json): a Markdown
      table of tmpmc's throughput ratio against each peer, per shape.

Results with several queue.impl per scenario are drawn as a peer comparison:
throughput per impl for each shape, capacity and worker count. Results whose
runs recorded intervals over time (a soak: `run --duration 10m`) are drawn
over time instead: throughput, p99 latency and resident memory per interval,
one line per scenario run.

Uses Debian's python3-matplotlib (system Python).
"""
import argparse
import json
import math
import re
import sys

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FixedLocator, FuncFormatter
except ImportError:
    sys.exit("plot.py: matplotlib is missing: apt-get install python3-matplotlib")

SWEEP = re.compile(r"^(?P<base>.*)\[(?P<point>[^\]]*)\]$")


def load(path):
    try:
        with open(path) as f:
            doc = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit(f"plot.py: {path}: {e}")
    if doc.get("schema") != "tmpmc-bench/result/v1":
        sys.exit(f"plot.py: {path}: schema: expected tmpmc-bench/result/v1, got {doc.get('schema')!r}")
    return doc


def title(doc, what):
    host = doc.get("host", {})
    tool = doc.get("tool", {})
    return (f"{what}\n{host.get('cpu_model', '?')} x{host.get('cpus', '?')}, "
            f"tmpmc-bench {tool.get('version', '?')} ({tool.get('git', '?')}, {tool.get('build', '?')})")


def rates(scenario):
    s = scenario["summary"]["msgs_per_sec"]
    return s["median"] / 1e6, s["min"] / 1e6, s["max"] / 1e6


def throughput_bars(ax, doc, label=None, offset=0.0, width=0.8, scenarios=None):
    scenarios = doc["scenarios"] if scenarios is None else scenarios
    names = [s["name"] for s in scenarios]
    med, lo, hi = zip(*(rates(s) for s in scenarios)) if names else ((), (), ())
    xs = [i + offset for i in range(len(names))]
    ax.bar(xs, med, width, label=label,
           yerr=[[m - l for m, l in zip(med, lo)], [h - m for m, h in zip(med, hi)]], capsize=3)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("throughput (M msgs/s, median; whiskers min-max)")


def sweep_groups(doc):
    """{base name: [(point dict, scenario)]} for scenarios named base[k=v,...]."""
    groups = {}
    for s in doc["scenarios"]:
        m = SWEEP.match(s["name"])
        if not m:
            continue
        point = dict(kv.split("=", 1) for kv in m.group("point").split(","))
        groups.setdefault(m.group("base"), []).append((point, s))
    return groups


def plot_sweep(ax, base, points):
    keys = list(points[0][0].keys())
    x_key = keys[0]
    others = keys[1:]
    lines = {}
    for point, s in points:
        label = ", ".join(f"{k}={point[k]}" for k in others) or base
        lines.setdefault(label, []).append((float(point[x_key]), rates(s)[0]))
    for label, xy in sorted(lines.items()):
        xy.sort()
        ax.plot([x for x, _ in xy], [y for _, y in xy], marker="o", label=label)
    ax.set_xscale("log", base=2)
    ax.set_xlabel(x_key)
    ax.set_ylabel("throughput (M msgs/s, median)")
    ax.set_title(f"sweep {base}", fontsize=9)
    if len(lines) <= 16:
        ax.legend(fontsize=6, ncol=2)


def plot_latency(ax, doc, style="-", prefix="", scenarios=None):
    ticks = [50, 90, 99, 99.9, 99.99]
    for s in doc["scenarios"] if scenarios is None else scenarios:
        spectrum = [(p, v) for p, v in s["summary"].get("latency_percentiles", []) if p < 100 and v > 0]
        if not spectrum:
            continue
        line, = ax.plot([1 / (1 - p / 100) for p, _ in spectrum], [v for _, v in spectrum], style,
                        marker=".", label=prefix + s["name"])
        # Open loop: the sends' lateness (the tool's pacing error) in the same
        # colour, dotted; where the two lines meet, pacing sets the latency.
        late = [(p, v) for p, v in s["summary"].get("send_lateness_percentiles", [])
                if p < 100 and v > 0]
        if late:
            ax.plot([1 / (1 - p / 100) for p, _ in late], [v for _, v in late], ":",
                    color=line.get_color(), label=prefix + s["name"] + " send lateness")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_major_locator(FixedLocator([1 / (1 - p / 100) for p in ticks]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{100 * (1 - 1 / x):g}%"))
    ax.set_xlabel("percentile")
    ax.set_ylabel("latency (ns)")
    handles, _ = ax.get_legend_handles_labels()
    if handles and len(handles) <= 16:
        ax.legend(fontsize=6)


def peer_points(doc):
    """{(shape, capacity, (workers, placement)): {impl: scenario}} for results of impl groups."""
    points = {}
    for s in doc["scenarios"]:
        if "vs_first" not in s["summary"]:
            continue
        c = s["config"]
        key = (f"{c['producers']['count']}:{c['consumers']['count']}", c["queue"]["capacity"],
               (c["runtime"]["workers"], c["runtime"].get("placement", "local")))
        points.setdefault(key, {})[s.get("impl", c["queue"]["impl"])] = s
    return points


def workers_label(key, short=False):
    """"2 workers, spread" (or "2 spread" when short) for a (workers, placement) key."""
    workers, placement = key
    suffix = "" if placement == "local" else (" " if short else ", ") + placement
    if short:
        return f"{workers}{suffix}"
    return f"{workers} worker{'s' if workers != 1 else ''}{suffix}"


def impls_of(points):
    order = []
    for by_impl in points.values():
        for impl in by_impl:
            if impl not in order:
                order.append(impl)
    return order


def shape_order(shape):
    p, c = shape.split(":")
    return (int(c) > 1, int(p) > 1, int(p), int(c))


def plot_peers(doc, out):
    points = peer_points(doc)
    impls = impls_of(points)
    workers = sorted({k[2] for k in points})
    fig, axes = plt.subplots(len(workers), 1, figsize=(12, 4.8 * len(workers)), squeeze=False)
    for ax, w in zip((row[0] for row in axes), workers):
        keys = sorted((k for k in points if k[2] == w), key=lambda k: (shape_order(k[0]), k[1]))
        width = 0.8 / max(1, len(impls))
        for i, impl in enumerate(impls):
            xs, ys = [], []
            for x, k in enumerate(keys):
                if impl in points[k]:
                    xs.append(x - 0.4 + width * (i + 0.5))
                    ys.append(rates(points[k][impl])[0])
            ax.bar(xs, ys, width, label=impl)
        ax.set_yscale("log")
        ax.set_xticks(range(len(keys)))
        ax.set_xticklabels([f"{k[0]} cap {k[1]}" for k in keys], rotation=30, ha="right", fontsize=8)
        ax.set_ylabel("throughput (M msgs/s, median, log)")
        ax.set_title(f"{workers_label(w)} (threads: one OS thread per producer and consumer)",
                     fontsize=9)
        ax.legend(fontsize=7, ncol=len(impls))
    fig.suptitle(title(doc, "tmpmc-bench: the same scenarios on each queue implementation"), fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def peers_table(doc):
    """Markdown: tmpmc's median throughput and its ratio against each peer."""
    points = peer_points(doc)
    impls = impls_of(points)
    if "tmpmc" not in impls:
        sys.exit("plot.py: --peers-table: no tmpmc results in this file")
    peers = [i for i in impls if i != "tmpmc"]
    lines = ["| shape | capacity | workers | tmpmc (M msgs/s) | " +
             " | ".join(f"x {p}" for p in peers) + " |",
             "|---|---:|---:|---:|" + "---:|" * len(peers)]
    for k in sorted(points, key=lambda k: (shape_order(k[0]), k[1], k[2])):
        by_impl = points[k]
        if "tmpmc" not in by_impl:
            continue
        ours = rates(by_impl["tmpmc"])[0]
        cells = []
        for p in peers:
            theirs = rates(by_impl[p])[0] if p in by_impl else 0
            cells.append(f"{ours / theirs:.2f}" if theirs > 0 else "-")
        lines.append(f"| {k[0]} | {k[1]} | {workers_label(k[2], short=True)} | {ours:.2f} | " +
                     " | ".join(cells) + " |")
    return "\n".join(lines)


def timelines(doc):
    """(label, intervals) for each run that recorded at least two intervals."""
    lines = []
    for s in doc["scenarios"]:
        runs = [r for r in s["runs"] if len(r.get("intervals", [])) >= 2]
        for i, run in enumerate(runs):
            label = s["name"] if len(runs) == 1 else f"{s['name']} run {i + 1}"
            lines.append((label, run["intervals"]))
    return lines


def plot_timelines(doc, lines, out):
    fig, axes = plt.subplots(3, 1, figsize=(10, 11), sharex=True)
    for label, intervals in lines:
        t = [i["end_s"] for i in intervals]
        axes[0].plot(t, [i["msgs_per_sec"] / 1e6 for i in intervals], label=label)
        # An interval without stamped messages has no latency: left out.
        lat = [(i["end_s"], i["latency_ns"]["p99"] / 1e3) for i in intervals
               if i["latency_ns"]["samples"] > 0]
        axes[1].plot([p[0] for p in lat], [p[1] for p in lat], label=label)
        axes[2].plot(t, [i["rss_bytes"] / 2**20 for i in intervals], label=label)
    axes[0].set_ylabel("M msgs/s")
    axes[0].set_title("throughput per interval", fontsize=9)
    axes[0].set_ylim(bottom=0)
    axes[1].set_ylabel("p99 latency (us)")
    axes[1].set_yscale("log")
    axes[1].set_title("p99 latency per interval", fontsize=9)
    axes[2].set_ylabel("resident memory (MiB)")
    axes[2].set_ylim(bottom=0)
    axes[2].set_title("resident set at each interval's end", fontsize=9)
    axes[2].set_xlabel("seconds since the run started")
    for ax in axes:
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle(title(doc, "tmpmc-bench results over time"), fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def plot_result(doc, out):
    lines = timelines(doc)
    if lines:
        plot_timelines(doc, lines, out)
        return
    if peer_points(doc):
        plot_peers(doc, out)
        return
    sweeps = sweep_groups(doc)
    # Sweep points get a panel of their own; the bars show the other scenarios.
    single = [s for s in doc["scenarios"] if not SWEEP.match(s["name"])]
    panels = (1 if single else 0) + len(sweeps) + 1
    fig, axes = plt.subplots(panels, 1, figsize=(10, 4.5 * panels), squeeze=False)
    axes = [row[0] for row in axes]
    next_ax = 0
    if single:
        throughput_bars(axes[0], doc, scenarios=single)
        axes[0].set_title("throughput per scenario", fontsize=9)
        next_ax = 1
    for ax, (base, points) in zip(axes[next_ax:-1], sweeps.items()):
        plot_sweep(ax, base, points)
    plot_latency(axes[-1], doc, scenarios=single or None)
    axes[-1].set_title("latency percentile distribution", fontsize=9)
    fig.suptitle(title(doc, "tmpmc-bench results"), fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def plot_compare(base, new, out):
    fig, axes = plt.subplots(2, 1, figsize=(10, 9))
    throughput_bars(axes[0], base, label="base", offset=-0.2, width=0.4)
    throughput_bars(axes[0], new, label="new", offset=0.2, width=0.4)
    axes[0].legend()
    axes[0].set_title("throughput, base vs new", fontsize=9)
    plot_latency(axes[1], base, "--", "base ")
    plot_latency(axes[1], new, "-", "new ")
    axes[1].set_title("latency percentile distribution, base (dashed) vs new", fontsize=9)
    fig.suptitle(title(new, "tmpmc-bench comparison"), fontsize=10)
    fig.tight_layout()
    fig.savefig(out, dpi=100)


def main():
    parser = argparse.ArgumentParser(description="Plot tmpmc-bench result files.")
    parser.add_argument("results", nargs="+", help="RESULT.json, or BASE.json NEW.json with --compare")
    parser.add_argument("--compare", action="store_true", help="draw BASE and NEW side by side")
    parser.add_argument("--peers-table", action="store_true",
                        help="print tmpmc's throughput ratios against each peer (Markdown)")
    parser.add_argument("-o", "--output", help="PNG to write (default: RESULT with .png)")
    args = parser.parse_args()
    if args.compare:
        if len(args.results) != 2:
            parser.error("--compare takes BASE.json NEW.json")
        out = args.output or re.sub(r"\.json$", "", args.results[1]) + "-compare.png"
        plot_compare(load(args.results[0]), load(args.results[1]), out)
    elif args.peers_table:
        if len(args.results) != 1:
            parser.error("--peers-table takes one RESULT.json")
        print(peers_table(load(args.results[0])))
        return
    else:
        if len(args.results) != 1:
            parser.error("give one RESULT.json (or --compare BASE.json NEW.json)")
        out = args.output or re.sub(r"\.json$", "", args.results[0]) + ".png"
        plot_result(load(args.results[0]), out)
    print(out)


if __name__ == "__main__":
    main()
