#!/usr/bin/env python3
"""Writes the benchmark models of bench/compare: NAME.onnx and NAME.INPUT.npy for each.

  bench/models/make_models.py --out build/bench-models            # all of them (BERT-base is ~440 MB)
  bench/models/make_models.py --out DIR --only 'conv_*' mobilenetv2

Each model is built with its own fixed seed (derived from --seed and its name), so one model comes
out the same whether it is written alone or with the others. Every model passes onnx.checker with
full shape inference before it is written.
"""
from __future__ import annotations

import argparse
import fnmatch
import os
import sys
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from use_venv import reexec_in_venv  # noqa: E402

reexec_in_venv()

import numpy as np  # noqa: E402

import bert  # noqa: E402
import cnn  # noqa: E402
import flops  # noqa: E402
import graph  # noqa: E402
import single  # noqa: E402

MODELS = {**cnn.MODELS, **bert.MODELS, **single.MODELS}


def select(patterns: list[str] | None) -> list[str]:
    if not patterns:
        return list(MODELS)
    chosen = []
    for pattern in patterns:
        hits = [name for name in MODELS if fnmatch.fnmatchcase(name, pattern)]
        if not hits:
            raise SystemExit(f"make_models: no model matches {pattern!r}; known: {', '.join(MODELS)}")
        chosen += [name for name in hits if name not in chosen]
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="folder to write the models and inputs to")
    parser.add_argument("--only", nargs="+", metavar="NAME", help="model names or shell patterns")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--list", action="store_true", help="print the model names and exit")
    args = parser.parse_args()
    if args.list:
        print("\n".join(MODELS))
        return 0
    if not args.out:
        parser.error("--out DIR is required (unless --list)")
    for name in select(args.only):
        start = time.perf_counter()
        rng = np.random.default_rng([args.seed, zlib.crc32(name.encode())])
        model, inputs = MODELS[name](rng)
        gflop = flops.count(model) / 1e9
        path = graph.save(model, inputs, args.out, name)
        size_mb = os.path.getsize(path) / 2**20
        print(f"{path}: {len(model.graph.node)} nodes, {gflop:.3f} GFLOP, {size_mb:.1f} MiB "
              f"({time.perf_counter() - start:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
