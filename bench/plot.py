#!/usr/bin/env python3
"""Plots bench/compare's JSON as bars of onnxi/onnxruntime latency ratios, one bar per model and
thread count (below 1.0: onnxi is faster); rows not judged (< 1 ms) are drawn hatched.

  bench/compare --json build/bench.json
  bench/plot.py build/bench.json --out docs/performance.png [--title TEXT]

Needs matplotlib (bench-only, not a test dependency): build/venv/bin/pip install -r bench/requirements.txt
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "models"))
from use_venv import reexec_in_venv  # noqa: E402

reexec_in_venv()

import argparse  # noqa: E402
import json  # noqa: E402

try:
    import matplotlib  # noqa: E402

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: E402
except ImportError:
    raise SystemExit("plot.py needs matplotlib: build/venv/bin/pip install -r bench/requirements.txt") from None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", help="JSON written by bench/compare --json")
    parser.add_argument("--out", default="docs/performance.png")
    parser.add_argument("--title", default="onnxi / onnxruntime latency (lower is better; < 1: onnxi faster)")
    args = parser.parse_args()
    with open(args.report) as f:
        report = json.load(f)
    rows = [r for r in report["rows"] if r.get("ratio") is not None]
    if not rows:
        raise SystemExit(f"plot.py: no rows with a ratio in {args.report}")
    threads = sorted({r["threads"] for r in rows})
    models = list(dict.fromkeys(r["model"] for r in rows))
    by_key = {(r["model"], r["threads"]): r for r in rows}
    width = 0.8 / len(threads)
    fig, ax = plt.subplots(figsize=(min(15, max(7, 0.25 * len(models) * len(threads))), 5.5))
    for i, t in enumerate(threads):
        xs, ys, hatches = [], [], []
        for m_index, m in enumerate(models):
            r = by_key.get((m, t))
            if r is None:
                continue
            xs.append(m_index + (i - (len(threads) - 1) / 2) * width)
            ys.append(r["ratio"])
            hatches.append("" if r.get("judged") else "//")
        bars = ax.bar(xs, ys, width, label=f"{t} thread{'s' if t != 1 else ''}")
        for bar, hatch in zip(bars, hatches):
            bar.set_hatch(hatch)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xticks(range(len(models)))
    ax.set_xticklabels(models, rotation=60, ha="right", fontsize=8)
    ax.set_ylabel("onnxi ms / onnxruntime ms")
    ax.set_title(args.title, fontsize=10)
    ax.legend()
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(args.out, dpi=110)
    print(f"wrote {args.out} ({len(rows)} bars)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
