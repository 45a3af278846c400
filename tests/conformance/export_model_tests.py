#!/usr/bin/env python3
"""Exports the model tests the pinned onnx wheel ships to the same case-folder layout as the node tests.

    OUT/simple/<case>/, OUT/pytorch-converted/<case>/, OUT/pytorch-operator/<case>/:
        copies of onnx/backend/test/data/<kind>/<case>/ (model.onnx, test_data_set_N/), plus a
        data.json with the tolerances onnx's loader would use (its defaults when the case has none)
    OUT/light/<case>/:
        the "real" model tests that onnx runs from its bundled light_*.onnx models. The wheel ships
        only the model and its expected output, and onnx's runner (onnx/backend/test/runner,
        _add_model_test and generate_dummy_data) makes the input: for each graph input that is not
        an initializer, arange(n) / n as float32 in the input's shape, unknown dims taken as 1.
        This does the same, so the expected outputs apply.

Cached like the node tests: OUT/<kind>/.stamp records the onnx and numpy versions and this
script's hash, so editing the script exports again.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.loader import DATA_DIR

COPIED_KINDS = ("simple", "pytorch-converted", "pytorch-operator")
# onnx.backend.test.loader.load_model_tests uses these when a case has no data.json.
DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-7


def tolerances(case_dir: str) -> dict:
    tol = {"rtol": DEFAULT_RTOL, "atol": DEFAULT_ATOL}
    path = os.path.join(case_dir, "data.json")
    if os.path.exists(path):
        with open(path) as f:
            data = json.load(f)
        tol = {"rtol": data.get("rtol", DEFAULT_RTOL), "atol": data.get("atol", DEFAULT_ATOL)}
    return tol


def write_json(path: str, data: dict) -> None:
    with open(path, "w") as f:
        json.dump(data, f, sort_keys=True)


def export_copied(kind: str, out_dir: str) -> int:
    src_root = os.path.join(DATA_DIR, kind)
    count = 0
    for name in sorted(os.listdir(src_root)):
        src = os.path.join(src_root, name)
        if not os.path.isfile(os.path.join(src, "model.onnx")):
            continue
        dst = os.path.join(out_dir, name)
        shutil.copytree(src, dst)
        write_json(os.path.join(dst, "data.json"), tolerances(src))
        count += 1
    return count


def dummy_input(value_info: onnx.ValueInfoProto) -> np.ndarray:
    tensor_type = value_info.type.tensor_type
    if tensor_type.elem_type != onnx.TensorProto.FLOAT:
        raise ValueError(f"input {value_info.name!r} is not float; onnx's runner cannot feed it either")
    shape = tuple(d.dim_value if d.HasField("dim_value") else 1 for d in tensor_type.shape.dim)
    n = int(np.prod(shape))
    return (np.arange(n).reshape(shape) / n).astype(np.float32)


def export_light(out_dir: str) -> int:
    """Cases come from data/real/<case>/data.json whose url names a bundled light model."""
    real_root = os.path.join(DATA_DIR, "real")
    package_root = os.path.dirname(os.path.dirname(onnx.__file__))
    count = 0
    for name in sorted(os.listdir(real_root)):
        meta_path = os.path.join(real_root, name, "data.json")
        if not os.path.isfile(meta_path):
            continue
        with open(meta_path) as f:
            meta = json.load(f)
        url = meta.get("url", "")
        if not url.startswith("onnx/backend/test/data/light/"):
            continue  # a download; CI has no network beyond Debian and PyPI
        model_path = os.path.join(package_root, url)
        model = onnx.load(model_path)
        prefix = os.path.splitext(model_path)[0]
        expected = [f"{prefix}_output_{i}.pb" for i in range(len(model.graph.output))]
        if not all(os.path.exists(p) for p in expected):
            print(f"light tests: {name} has no expected output in the wheel; left out", file=sys.stderr)
            continue

        case_dir = os.path.join(out_dir, name)
        data_dir = os.path.join(case_dir, "test_data_set_0")
        os.makedirs(data_dir)
        shutil.copyfile(model_path, os.path.join(case_dir, "model.onnx"))
        write_json(os.path.join(case_dir, "data.json"), tolerances(os.path.join(real_root, name)))
        initializers = {t.name for t in model.graph.initializer}
        feeds = [vi for vi in model.graph.input if vi.name not in initializers]
        for i, vi in enumerate(feeds):
            tensor = numpy_helper.from_array(dummy_input(vi), vi.name)
            with open(os.path.join(data_dir, f"input_{i}.pb"), "wb") as f:
                f.write(tensor.SerializeToString())
        for i, path in enumerate(expected):
            shutil.copyfile(path, os.path.join(data_dir, f"output_{i}.pb"))
        count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="output folder; cases go to OUT/<kind>/")
    parser.add_argument("--force", action="store_true", help="export even when the cache is current")
    args = parser.parse_args()

    with open(__file__, "rb") as f:
        script_hash = hashlib.sha256(f.read()).hexdigest()[:16]
    stamp = f"onnx={onnx.__version__} numpy={np.__version__} exporter={script_hash}\n"
    for kind in (*COPIED_KINDS, "light"):
        kind_dir = os.path.join(args.out, kind)
        stamp_path = os.path.join(kind_dir, ".stamp")
        if not args.force and os.path.exists(stamp_path):
            with open(stamp_path) as f:
                if f.read() == stamp:
                    print(f"{kind} tests: cached in {kind_dir}")
                    continue
        if os.path.exists(kind_dir):
            shutil.rmtree(kind_dir)
        os.makedirs(kind_dir)
        count = export_light(kind_dir) if kind == "light" else export_copied(kind, kind_dir)
        with open(stamp_path, "w") as f:
            f.write(stamp)
        print(f"{kind} tests: exported {count} cases to {kind_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
