#!/usr/bin/env python3
"""Exports the ONNX node-test cases of the pinned onnx wheel to the standard folder layout.

Since onnx 1.23 the wheel builds its node tests in memory (onnx.backend.test.loader) instead of
shipping them, so this writes each case as onnx's own backend runner expects to read it:

    OUT/node/<case>/model.onnx
    OUT/node/<case>/data.json                  {"rtol": ..., "atol": ...}
    OUT/node/<case>/test_data_set_N/input_K.pb  TensorProto / SequenceProto / OptionalProto / MapProto
    OUT/node/<case>/test_data_set_N/output_K.pb

The export is cached: OUT/node/.stamp records the onnx and numpy versions, and a matching stamp
skips the work.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import warnings

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper
from onnx.backend.test.loader import load_model_tests


def serialize_value(value, value_info) -> bytes:
    kind = value_info.type.WhichOneof("value")
    name = value_info.name
    if kind == "map_type":
        return numpy_helper.from_dict(value, name).SerializeToString()
    if kind == "sequence_type":
        return numpy_helper.from_list(value, name).SerializeToString()
    if kind == "optional_type":
        return numpy_helper.from_optional(value, name).SerializeToString()
    if isinstance(value, TensorProto):
        return value.SerializeToString()
    return numpy_helper.from_array(np.asarray(value), name).SerializeToString()


def write_case(case, out_dir: str) -> None:
    case_dir = os.path.join(out_dir, case.name)
    os.makedirs(case_dir, exist_ok=True)
    with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
        f.write(case.model.SerializeToString())
    with open(os.path.join(case_dir, "data.json"), "w") as f:
        json.dump({"rtol": case.rtol, "atol": case.atol}, f, sort_keys=True)
    graph = case.model.graph
    for i, (inputs, outputs) in enumerate(case.data_sets):
        ds_dir = os.path.join(case_dir, f"test_data_set_{i}")
        os.makedirs(ds_dir, exist_ok=True)
        # Optional graph inputs may be left out of a data set: onnx's runner pairs them by position.
        for j, value in enumerate(inputs):
            with open(os.path.join(ds_dir, f"input_{j}.pb"), "wb") as f:
                f.write(serialize_value(value, graph.input[j]))
        for j, value in enumerate(outputs):
            with open(os.path.join(ds_dir, f"output_{j}.pb"), "wb") as f:
                f.write(serialize_value(value, graph.output[j]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output folder; cases go to OUT/node/")
    parser.add_argument("--force", action="store_true", help="export even when the cache is current")
    args = parser.parse_args()

    node_dir = os.path.join(args.out, "node")
    stamp_path = os.path.join(node_dir, ".stamp")
    stamp = f"onnx={onnx.__version__} numpy={np.__version__}\n"
    if not args.force and os.path.exists(stamp_path):
        with open(stamp_path) as f:
            if f.read() == stamp:
                print(f"node tests: cached in {node_dir} ({stamp.strip()})")
                return 0
    if os.path.exists(node_dir):
        shutil.rmtree(node_dir)
    os.makedirs(node_dir)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the case generators overflow on purpose (cast tests)
        np.seterr(all="ignore")
        cases = load_model_tests(kind="node")
    failed = 0
    for case in cases:
        try:
            write_case(case, node_dir)
        except Exception as exc:  # a case we cannot serialize is reported, not silently dropped
            failed += 1
            print(f"node tests: could not export {case.name}: {exc}", file=sys.stderr)
    with open(stamp_path, "w") as f:
        f.write(stamp)
    print(f"node tests: exported {len(cases) - failed} of {len(cases)} cases to {node_dir}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
