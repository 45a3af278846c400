#!/usr/bin/env python3
"""Runs a model in onnxruntime and compares its outputs with the ones `onnxi run --save-outputs` wrote.

Prints the top classes of the first output, onnxruntime's latency over --repeat runs (after one
warm-up), and the largest absolute difference per output; exits
non-zero when an output is missing, has another shape, or differs by more than --atol + --rtol * |ort|.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import onnxruntime as ort


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--input", action="append", default=[], metavar="NAME=FILE.npy",
                        help="feed for one input; repeatable")
    parser.add_argument("--onnxi-outputs", required=True, help="folder with onnxi's NAME.npy outputs")
    parser.add_argument("--top", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=0, help="time N runs after one warm-up")
    parser.add_argument("--threads", type=int, default=0, help="onnxruntime intra-op threads (0: its default)")
    parser.add_argument("--rtol", type=float, default=1e-4)
    parser.add_argument("--atol", type=float, default=1e-5)
    args = parser.parse_args()

    feeds = {}
    for item in args.input:
        name, _, path = item.partition("=")
        feeds[name] = np.load(path)
    options = ort.SessionOptions()
    options.log_severity_level = 3
    options.intra_op_num_threads = args.threads
    session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    expected = session.run(None, feeds)
    if args.repeat > 0:
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            session.run(None, feeds)
            times.append((time.perf_counter() - start) * 1e3)
        times.sort()
        print(f"onnxruntime latency: min / median / max = {times[0]:.3f} / {times[len(times) // 2]:.3f} / "
              f"{times[-1]:.3f} ms ({args.repeat} runs after 1 warm-up)")

    ok = True
    for index, (name, want) in enumerate(zip(names, expected)):
        path = os.path.join(args.onnxi_outputs, f"{name}.npy")
        if not os.path.exists(path):
            print(f"compare: onnxi wrote no {path}")
            ok = False
            continue
        got = np.load(path)
        if got.shape != want.shape:
            print(f"compare: {name}: onnxi shape {got.shape}, onnxruntime shape {want.shape}")
            ok = False
            continue
        diff = np.abs(got.astype(np.float64) - want.astype(np.float64))
        max_diff = float(diff.max()) if diff.size else 0.0
        within = bool(np.all(diff <= args.atol + args.rtol * np.abs(want.astype(np.float64))))
        ok = ok and within
        if index == 0 and want.ndim >= 1:
            row = want.reshape(-1, want.shape[-1])[0]
            top = np.argsort(-row, kind="stable")[: args.top]
            print(f"onnxruntime top-{len(top)} of {name}: "
                  + ", ".join(f"{int(k)}: {row[k]:.6f}" for k in top))
        print(f"compare: {name} max abs diff onnxi vs onnxruntime = {max_diff:.3g} "
              f"({'within' if within else 'OUTSIDE'} atol {args.atol:g} + rtol {args.rtol:g})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
