"""A small helper to spell ONNX graphs with onnx.helper, and to save a model with its inputs.

Every benchmark model is written as `DIR/NAME.onnx` with one `DIR/NAME.INPUT.npy` per graph input
(`bench/compare` finds the inputs by that name).
"""
from __future__ import annotations

import os
from typing import Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64


class Graph:
    """Collects nodes, initializers, inputs and outputs; names nodes `scope/Op_N` as exporters do."""

    def __init__(self, name: str, rng: np.random.Generator):
        self.name = name
        self.rng = rng
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self._taken: set[str] = set()
        self._count = 0

    def _fresh(self, base: str) -> str:
        self._count += 1
        name = f"{base}_{self._count}"
        self._taken.add(name)
        return name

    def input(self, name: str, shape: Sequence[int], elem_type: int = FLOAT) -> str:
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, list(shape)))
        return name

    def output(self, name: str, shape: Sequence[int] | None, elem_type: int = FLOAT) -> str:
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, None if shape is None else list(shape)))
        return name

    def constant(self, array: np.ndarray, name: str | None = None) -> str:
        """An initializer; its name is made unique when not given."""
        name = name or self._fresh("const")
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def node(self, op: str, inputs: Sequence[str], scope: str = "", outputs: int | Sequence[str] = 1,
             **attrs) -> str | list[str]:
        """Adds one node and returns its output name (or names, when more than one)."""
        node_name = self._fresh(f"{scope}/{op}" if scope else op)
        if isinstance(outputs, int):
            out_names = [f"{node_name}_out{k}" if outputs > 1 else f"{node_name}_out" for k in range(outputs)]
        else:
            out_names = list(outputs)
        self.nodes.append(helper.make_node(op, list(inputs), out_names, name=node_name, **attrs))
        return out_names[0] if len(out_names) == 1 else out_names

    def rename(self, old: str, new: str) -> str:
        """Renames a value everywhere, e.g. the last node's output to the graph output's name."""
        for node in self.nodes:
            node.input[:] = [new if v == old else v for v in node.input]
            node.output[:] = [new if v == old else v for v in node.output]
        return new

    def model(self, opset: int) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, self.name, self.inputs, self.outputs, self.initializers)
        opsets = [helper.make_opsetid("", opset)]
        # The oldest IR version that carries the opset, not onnx's newest: runtimes lag behind it.
        return helper.make_model(graph, opset_imports=opsets, producer_name="onnxi-bench",
                                 ir_version=helper.find_min_ir_version_for(opsets))


def he_normal(rng: np.random.Generator, shape: Sequence[int], fan_in: int) -> np.ndarray:
    """Kaiming/He normal init, std = sqrt(2 / fan_in): keeps the activation scale through ReLUs."""
    return (rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / fan_in)))


def normal(rng: np.random.Generator, shape: Sequence[int], std: float) -> np.ndarray:
    return rng.standard_normal(shape, dtype=np.float32) * np.float32(std)


def uniform(rng: np.random.Generator, shape: Sequence[int], low: float, high: float) -> np.ndarray:
    return rng.uniform(low, high, size=shape).astype(np.float32)


def save(model: onnx.ModelProto, inputs: dict[str, np.ndarray], out_dir: str, name: str) -> str:
    """Checks the model (with strict shape inference), then writes NAME.onnx and NAME.INPUT.npy."""
    onnx.checker.check_model(model, full_check=True)
    fed = {i.name for i in model.graph.input} - {t.name for t in model.graph.initializer}
    if set(inputs) != fed:
        raise ValueError(f"{name}: inputs given {sorted(inputs)} but the graph takes {sorted(fed)}")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, f"{name}.onnx")
    onnx.save(model, path)
    for input_name, array in inputs.items():
        np.save(os.path.join(out_dir, f"{name}.{input_name}.npy"), array)
    return path
