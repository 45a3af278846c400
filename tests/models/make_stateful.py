#!/usr/bin/env python3
"""Writes a stateful recurrent model with nested control flow, and onnxruntime's outputs over a run
of steps with the state fed back, for tests/unit/test_stateful_model.cpp to hold onnxi to.

The model (opset 21), one step of a voice-activity-detector-like loop:

    inputs  x [1, B, I], h [1, B, H], c [1, B, H]
    gate = ReduceSum(x) > 0
    If gate:
        then: Loop (2 iterations, carried h, c; scan output h per iteration)
                body: LSTM(x, h, c) -> Y_h, Y_c
                      If iteration == 0: then Y_h  else: Tanh(Y_h)     (an If nested in the Loop)
        else: LSTM(x, h, c) with Sigmoid/Tanh/Tanh activations, reverse direction
    outputs h_next [1, B, H], c_next [1, B, H], y = Softmax(h_next @ W_out) [1, B, K],
            steps = the then-branch's scan outputs summed, or zeros

The caller feeds h_next and c_next back as h and c on the next step. Writes to OUT:
    model.onnx, x_0000.npy ... (inputs per step), h_0000.npy / c_0000.npy / y_0000.npy / steps_0000.npy
    (onnxruntime's outputs per step), and meta.txt ("steps B I H K").
"""
from __future__ import annotations

import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SEED = 20261202
OPSET = 21
IR_VERSION = 10
B, I, H, K = 2, 4, 8, 3


def lstm_weights(rng: np.random.Generator, prefix: str) -> list[onnx.TensorProto]:
    w = (rng.standard_normal((1, 4 * H, I)) * 0.4).astype(np.float32)
    r = (rng.standard_normal((1, 4 * H, H)) * 0.4).astype(np.float32)
    b = (rng.standard_normal((1, 8 * H)) * 0.1).astype(np.float32)
    return [numpy_helper.from_array(w, prefix + "W"), numpy_helper.from_array(r, prefix + "R"),
            numpy_helper.from_array(b, prefix + "B")]


def build_model() -> onnx.ModelProto:
    rng = np.random.default_rng(SEED)
    f32 = TensorProto.FLOAT
    state = [1, B, H]

    # Innermost: If nested in the Loop body, choosing on the iteration number.
    first_branch = helper.make_graph(
        [helper.make_node("Identity", ["lh"], ["first_out"])], "first", [],
        [helper.make_tensor_value_info("first_out", f32, state)])
    later_branch = helper.make_graph(
        [helper.make_node("Tanh", ["lh"], ["later_out"])], "later", [],
        [helper.make_tensor_value_info("later_out", f32, state)])
    body = helper.make_graph(
        [
            helper.make_node("LSTM", ["x", "loop.W", "loop.R", "loop.B", "", "h_in", "c_in"],
                             ["", "lh", "lc"], hidden_size=H),
            helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.array(0, np.int64))),
            helper.make_node("Equal", ["iter", "zero"], ["is_first"]),
            helper.make_node("If", ["is_first"], ["h_out"], then_branch=first_branch, else_branch=later_branch),
            helper.make_node("Identity", ["cond_in"], ["cond_out"]),
            helper.make_node("Identity", ["lc"], ["c_out"]),
            helper.make_node("Identity", ["h_out"], ["scan_h"]),
        ],
        "body",
        [helper.make_tensor_value_info("iter", TensorProto.INT64, []),
         helper.make_tensor_value_info("cond_in", TensorProto.BOOL, []),
         helper.make_tensor_value_info("h_in", f32, state),
         helper.make_tensor_value_info("c_in", f32, state)],
        [helper.make_tensor_value_info("cond_out", TensorProto.BOOL, []),
         helper.make_tensor_value_info("h_out", f32, state),
         helper.make_tensor_value_info("c_out", f32, state),
         helper.make_tensor_value_info("scan_h", f32, state)],
    )
    then_branch = helper.make_graph(
        [
            helper.make_node("Constant", [], ["trips"], value=numpy_helper.from_array(np.array(2, np.int64))),
            helper.make_node("Constant", [], ["go"], value=numpy_helper.from_array(np.array(True))),
            helper.make_node("Loop", ["trips", "go", "h", "c"], ["then_h", "then_c", "scans"], body=body),
            helper.make_node("ReduceSum", ["scans", "axis0"], ["then_steps"], keepdims=0),
        ],
        "then", [],
        [helper.make_tensor_value_info("then_h", f32, state),
         helper.make_tensor_value_info("then_c", f32, state),
         helper.make_tensor_value_info("then_steps", f32, state)],
        initializer=[numpy_helper.from_array(np.array([0], np.int64), "axis0")],
    )
    else_branch = helper.make_graph(
        [
            helper.make_node("LSTM", ["x", "alt.W", "alt.R", "alt.B", "", "h", "c"], ["", "else_h", "else_c"],
                             hidden_size=H, direction="reverse", activations=["Sigmoid", "Tanh", "Tanh"]),
            helper.make_node("Mul", ["h", "zero_f"], ["else_steps"]),
        ],
        "else", [],
        [helper.make_tensor_value_info("else_h", f32, state),
         helper.make_tensor_value_info("else_c", f32, state),
         helper.make_tensor_value_info("else_steps", f32, state)],
        initializer=[numpy_helper.from_array(np.array(0.0, np.float32), "zero_f")],
    )
    w_out = (rng.standard_normal((H, K)) * 0.5).astype(np.float32)
    graph = helper.make_graph(
        [
            helper.make_node("ReduceSum", ["x"], ["total"], keepdims=0),
            helper.make_node("Greater", ["total", "zero_total"], ["gate"]),
            helper.make_node("If", ["gate"], ["h_next", "c_next", "steps"],
                             then_branch=then_branch, else_branch=else_branch),
            helper.make_node("MatMul", ["h_next", "W_out"], ["logits"]),
            helper.make_node("Softmax", ["logits"], ["y"], axis=-1),
        ],
        "stateful_vad",
        [helper.make_tensor_value_info("x", f32, [1, B, I]),
         helper.make_tensor_value_info("h", f32, state),
         helper.make_tensor_value_info("c", f32, state)],
        [helper.make_tensor_value_info("h_next", f32, state),
         helper.make_tensor_value_info("c_next", f32, state),
         helper.make_tensor_value_info("y", f32, [1, B, K]),
         helper.make_tensor_value_info("steps", f32, state)],
        initializer=lstm_weights(rng, "loop.") + lstm_weights(rng, "alt.") + [
            numpy_helper.from_array(w_out, "W_out"),
            numpy_helper.from_array(np.array(0.0, np.float32), "zero_total")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="onnxi-tests")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="folder to write the model and the per-step files to")
    parser.add_argument("--steps", type=int, default=100)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    import onnxruntime as ort

    model = build_model()
    path = os.path.join(args.out, "model.onnx")
    onnx.save(model, path)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])

    rng = np.random.default_rng(SEED + 1)
    h = np.zeros((1, B, H), np.float32)
    c = np.zeros((1, B, H), np.float32)
    branches = 0
    for step in range(args.steps):
        x = rng.standard_normal((1, B, I)).astype(np.float32)
        h, c, y, steps = session.run(None, {"x": x, "h": h, "c": c})
        branches += int(x.sum() > 0)
        for name, value in (("x", x), ("h", h), ("c", c), ("y", y), ("steps", steps)):
            np.save(os.path.join(args.out, f"{name}_{step:04d}.npy"), value)
    with open(os.path.join(args.out, "meta.txt"), "w") as f:
        f.write(f"{args.steps} {B} {I} {H} {K}\n")
    print(f"make_stateful: {path}, {args.steps} steps ({branches} through the Loop branch) "
          f"with onnxruntime {ort.__version__}")


if __name__ == "__main__":
    main()
