#!/usr/bin/env python3
"""Resident-set growth and session creation time, onnxi against onnxruntime, one model at a time.

  bench/memory.py [--models DIR] [--only resnet50 bert_base ...] [--threads 1] [--onnxi build/release/onnxi]

Both engines are measured the same way, each in a fresh process of its own: the inputs are read
first, then VmRSS (/proc/self/status) before session creation, after it, and after one run.
onnxruntime runs in a child python (ORT_ENABLE_ALL, intra-op threads T, inter-op 1); onnxi through
`onnxi memory`, which does the same in-process, and is also run with its memory plan and weight
release off (`--no-plan --keep-packed`: the engine before issue 6) for the planned-vs-previous
figures. Growth = RSS after one run - RSS before creation, in MiB.
"""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "models"))
from use_venv import ROOT, reexec_in_venv  # noqa: E402

reexec_in_venv()

import argparse  # noqa: E402
import glob  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402

ORT_CHILD = r"""
import json, sys, time
import numpy as np
import onnxruntime as ort

def rss():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) * 1024
    return 0

model, threads = sys.argv[1], int(sys.argv[2])
feeds = {arg.split('=', 1)[0]: np.load(arg.split('=', 1)[1]) for arg in sys.argv[3:]}
opts = ort.SessionOptions()
opts.intra_op_num_threads = threads
opts.inter_op_num_threads = 1
opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
r0 = rss()
t0 = time.perf_counter()
s = ort.InferenceSession(model, opts, providers=['CPUExecutionProvider'])
create_ms = (time.perf_counter() - t0) * 1e3
r1 = rss()
s.run(None, feeds)
r2 = rss()
mib = 1 << 20
print(json.dumps({'create_ms': create_ms, 'rss_create_mib': (r1 - r0) / mib, 'rss_growth_mib': (r2 - r0) / mib}))
"""


def inputs_of(models: str, name: str) -> list[str]:
    out = []
    for path in sorted(glob.glob(os.path.join(models, name + ".*.npy"))):
        input_name = os.path.basename(path)[len(name) + 1 : -len(".npy")]
        out.append(f"{input_name}={path}")
    return out


def run_ort(model: str, threads: int, feeds: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", ORT_CHILD, model, str(threads), *feeds], check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def run_onnxi(onnxi: str, model: str, threads: int, feeds: list[str], extra: list[str]) -> dict:
    args = [onnxi, "memory", model, "-t", str(threads), *extra]
    for f in feeds:
        args += ["-i", f]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    result = {}
    for line in out.splitlines():
        key, _, value = line.partition(" ")
        try:
            result[key] = float(value)
        except ValueError:
            pass
    return result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=os.path.join(ROOT, "build", "bench-models"))
    ap.add_argument("--only", nargs="*", default=["resnet50", "mobilenetv2", "bert_base"])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--onnxi", default=os.path.join(ROOT, "build", "release", "onnxi"))
    ap.add_argument("--json", help="also write the rows here")
    args = ap.parse_args()
    rows = []
    print(f"{'model':<12} {'engine':<14} {'create ms':>10} {'RSS create':>11} {'RSS growth':>11} "
          f"{'arena':>8} {'run peak':>9} {'released':>9}")
    for name in args.only:
        model = os.path.join(args.models, name + ".onnx")
        feeds = inputs_of(args.models, name)
        results = {
            "onnxruntime": run_ort(model, args.threads, feeds),
            "onnxi": run_onnxi(args.onnxi, model, args.threads, feeds, []),
            "onnxi (before)": run_onnxi(args.onnxi, model, args.threads, feeds, ["--no-plan", "--keep-packed"]),
        }
        for engine, r in results.items():
            print(f"{name:<12} {engine:<14} {r['create_ms']:>10.1f} {r['rss_create_mib']:>10.1f}M "
                  f"{r['rss_growth_mib']:>10.1f}M {r.get('arena_mib', 0):>7.1f}M {r.get('run_tensor_peak_mib', 0):>8.1f}M "
                  f"{r.get('released_constant_mib', 0):>8.1f}M")
            rows.append({"model": name, "engine": engine, "threads": args.threads, **r})
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
