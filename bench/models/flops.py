"""Counts a model's floating-point work: 2 * multiply-accumulates of Conv, MatMul, Gemm and Attention.

Element-wise ops, reductions, pooling and Softmax are not counted (they are memory-bound and small
next to the contractions in these networks), so GFLOP/s means "contraction work per second".
Causal Attention counts only the query/key pairs the mask keeps, i.e. the work an engine must do.
"""
from __future__ import annotations

import math

import onnx
from onnx import shape_inference


def _shapes(model: onnx.ModelProto) -> dict[str, list[int]]:
    inferred = shape_inference.infer_shapes(model, strict_mode=True)
    shapes: dict[str, list[int]] = {}
    g = inferred.graph
    for value in [*g.input, *g.value_info, *g.output]:
        dims = value.type.tensor_type.shape.dim
        if value.type.tensor_type.HasField("shape") and all(d.HasField("dim_value") for d in dims):
            shapes[value.name] = [d.dim_value for d in dims]
    for tensor in g.initializer:
        shapes[tensor.name] = list(tensor.dims)
    return shapes


def _attr(node: onnx.NodeProto, name: str, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def _attention(node: onnx.NodeProto, shapes: dict[str, list[int]]) -> float:
    q, k, v = (shapes[n] for n in node.input[:3])
    if len(q) == 4:
        batch, heads, q_len, head_dim = q
        kv_len, v_dim = k[2], v[3]
    else:  # 3-D [batch, seq, heads * head_dim]
        heads = _attr(node, "q_num_heads", 1)
        kv_heads = _attr(node, "kv_num_heads", heads)
        batch, q_len, head_dim = q[0], q[1], q[2] // heads
        kv_len, v_dim = k[1], v[2] // kv_heads
    past = 0
    if len(node.input) > 4 and node.input[4]:
        past = shapes[node.input[4]][-2]
        kv_len += past
    if _attr(node, "is_causal", 0):
        # Query i sees keys j <= i + past (bottom-right aligned), at most kv_len of them.
        pairs = sum(min(i + 1 + past, kv_len) for i in range(q_len))
    else:
        pairs = q_len * kv_len
    return 2.0 * batch * heads * pairs * (head_dim + v_dim)


def count(model: onnx.ModelProto) -> float:
    """Total FLOPs of one run (shapes must be static)."""
    shapes = _shapes(model)
    total = 0.0
    for node in model.graph.node:
        if node.op_type == "Conv":
            out = shapes[node.output[0]]
            weight = shapes[node.input[1]]  # [cout, cin / group, kh, kw]
            total += 2.0 * math.prod(out) * math.prod(weight[1:])
        elif node.op_type == "MatMul":
            a = shapes[node.input[0]]
            total += 2.0 * math.prod(shapes[node.output[0]]) * a[-1]
        elif node.op_type == "Gemm":
            a = shapes[node.input[0]]
            k = a[0] if _attr(node, "transA", 0) else a[1]
            total += 2.0 * math.prod(shapes[node.output[0]]) * k
        elif node.op_type == "Attention":
            total += _attention(node, shapes)
    return total
