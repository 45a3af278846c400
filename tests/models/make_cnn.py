#!/usr/bin/env python3
"""Writes the demo model: a small image classifier with real (seeded random) weights.

    input [1,3,32,32] -> Conv 3x3 (16) -> BatchNormalization -> Relu -> MaxPool 2x2
                      -> Conv 3x3 (32) -> Relu -> GlobalAveragePool -> Flatten
                      -> Gemm (10) -> Softmax -> probs [1,10]

Opset 17. The weights are drawn with a fixed seed, scaled as He initialisation so activations keep
their size through the layers and the class probabilities differ visibly. --input also writes a
seeded input image as .npy, so onnxi and onnxruntime can be fed the same data.
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20240611
OPSET = 17
IR_VERSION = 8  # the IR of opset 17; older readers accept it
CLASSES = 10
INPUT_SHAPE = (1, 3, 32, 32)


def he(rng: np.random.Generator, shape: tuple[int, ...], fan_in: int) -> np.ndarray:
    return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)


def build_model() -> onnx.ModelProto:
    rng = np.random.default_rng(SEED)
    c1, c2 = 16, 32
    weights = {
        "conv1.w": he(rng, (c1, 3, 3, 3), 3 * 9),
        "conv1.b": (rng.standard_normal(c1) * 0.1).astype(np.float32),
        "bn1.scale": rng.uniform(0.5, 1.5, c1).astype(np.float32),
        "bn1.bias": (rng.standard_normal(c1) * 0.1).astype(np.float32),
        "bn1.mean": (rng.standard_normal(c1) * 0.1).astype(np.float32),
        "bn1.var": rng.uniform(0.5, 2.0, c1).astype(np.float32),
        "conv2.w": he(rng, (c2, c1, 3, 3), c1 * 9),
        "conv2.b": (rng.standard_normal(c2) * 0.1).astype(np.float32),
        "fc.w": he(rng, (CLASSES, c2), c2),
        "fc.b": (rng.standard_normal(CLASSES) * 0.1).astype(np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["input", "conv1.w", "conv1.b"], ["conv1"], name="conv1",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("BatchNormalization", ["conv1", "bn1.scale", "bn1.bias", "bn1.mean", "bn1.var"],
                         ["bn1"], name="bn1", epsilon=1e-5),
        helper.make_node("Relu", ["bn1"], ["relu1"], name="relu1"),
        helper.make_node("MaxPool", ["relu1"], ["pool1"], name="pool1", kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Conv", ["pool1", "conv2.w", "conv2.b"], ["conv2"], name="conv2",
                         kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"),
        helper.make_node("GlobalAveragePool", ["relu2"], ["gap"], name="gap"),
        helper.make_node("Flatten", ["gap"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.w", "fc.b"], ["logits"], name="fc", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes,
        "onnxi_demo_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(INPUT_SHAPE))],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [1, CLASSES])],
        initializer=[numpy_helper.from_array(value, name) for name, value in weights.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="onnxi tests/models/make_cnn.py")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def make_input() -> np.ndarray:
    return np.random.default_rng(SEED + 1).random(INPUT_SHAPE, dtype=np.float32)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="path of the .onnx file to write")
    parser.add_argument("--input", help="also write a seeded input image to this .npy file")
    args = parser.parse_args()

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    onnx.save(build_model(), args.out)
    print(f"make_cnn: wrote {args.out}")
    if args.input:
        np.save(args.input, make_input())
        print(f"make_cnn: wrote {args.input} {INPUT_SHAPE} float32")
    return 0


if __name__ == "__main__":
    sys.exit(main())
