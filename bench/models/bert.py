"""A BERT-base encoder (12 layers, hidden 768, 12 heads, FFN 3072, sequence 128), spelled as the
PyTorch exporter writes a Hugging Face BertModel at opsets before LayerNormalization existed:
Gather embeddings, MatMul + Add for each Linear, Reshape/Transpose for the heads, an additive float
mask, LayerNorm as ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div/Mul/Add and GELU as Div/Erf/Add/Mul/Mul.

Weights follow BERT's init (normal, std 0.02; LayerNorm gains near 1), so onnxruntime's fusions
(Attention, LayerNormalization, Gelu) see the patterns they were written for.
"""
from __future__ import annotations

import math

import numpy as np

from graph import INT64, Graph, normal

OPSET = 17
SEQ = 128
HIDDEN = 768
HEADS = 12
HEAD_DIM = HIDDEN // HEADS
FFN = 3072
LAYERS = 12
VOCAB = 30522
MAX_POSITIONS = 512
TOKEN_TYPES = 2
INIT_STD = 0.02


def scalar(g: Graph, value: float) -> str:
    return g.constant(np.array(value, np.float32))


def linear(g: Graph, x: str, fan_in: int, fan_out: int, scope: str) -> str:
    # torch.nn.Linear exports as MatMul with the weight stored pre-transposed, then Add of the bias.
    weight = g.constant(normal(g.rng, [fan_in, fan_out], INIT_STD), f"{scope}.weight")
    bias = g.constant(normal(g.rng, [fan_out], INIT_STD), f"{scope}.bias")
    return g.node("Add", [g.node("MatMul", [x, weight], scope), bias], scope)


def layer_norm(g: Graph, x: str, scope: str, eps: float = 1e-12) -> str:
    gamma = g.constant((1.0 + normal(g.rng, [HIDDEN], 0.05)).astype(np.float32), f"{scope}.weight")
    beta = g.constant(normal(g.rng, [HIDDEN], INIT_STD), f"{scope}.bias")
    mean = g.node("ReduceMean", [x], scope, axes=[-1], keepdims=1)
    centered = g.node("Sub", [x, mean], scope)
    squared = g.node("Pow", [centered, scalar(g, 2.0)], scope)
    variance = g.node("ReduceMean", [squared], scope, axes=[-1], keepdims=1)
    std = g.node("Sqrt", [g.node("Add", [variance, scalar(g, eps)], scope)], scope)
    normed = g.node("Div", [centered, std], scope)
    return g.node("Add", [g.node("Mul", [normed, gamma], scope), beta], scope)


def gelu(g: Graph, x: str, scope: str) -> str:
    # 0.5 * x * (1 + erf(x / sqrt(2))), in the order torch.nn.functional.gelu exports it.
    erf = g.node("Erf", [g.node("Div", [x, scalar(g, math.sqrt(2.0))], scope)], scope)
    shifted = g.node("Add", [erf, scalar(g, 1.0)], scope)
    return g.node("Mul", [g.node("Mul", [x, shifted], scope), scalar(g, 0.5)], scope)


def heads(g: Graph, x: str, perm: list[int], scope: str) -> str:
    shape = g.constant(np.array([1, SEQ, HEADS, HEAD_DIM], np.int64))
    return g.node("Transpose", [g.node("Reshape", [x, shape], scope)], scope, perm=perm)


def self_attention(g: Graph, x: str, mask: str, scope: str) -> str:
    q = heads(g, linear(g, x, HIDDEN, HIDDEN, f"{scope}.self.query"), [0, 2, 1, 3], scope)
    # key.transpose(-1, -2) after the head permute folds into one Transpose to [1, heads, 64, seq].
    k_t = heads(g, linear(g, x, HIDDEN, HIDDEN, f"{scope}.self.key"), [0, 2, 3, 1], scope)
    v = heads(g, linear(g, x, HIDDEN, HIDDEN, f"{scope}.self.value"), [0, 2, 1, 3], scope)
    scores = g.node("MatMul", [q, k_t], scope)
    scores = g.node("Div", [scores, scalar(g, math.sqrt(HEAD_DIM))], scope)
    scores = g.node("Add", [scores, mask], scope)
    probs = g.node("Softmax", [scores], scope, axis=-1)
    context = g.node("MatMul", [probs, v], scope)
    context = g.node("Transpose", [context], scope, perm=[0, 2, 1, 3])
    context = g.node("Reshape", [context, g.constant(np.array([1, SEQ, HIDDEN], np.int64))], scope)
    out = linear(g, context, HIDDEN, HIDDEN, f"{scope}.output.dense")
    return layer_norm(g, g.node("Add", [out, x], scope), f"{scope}.output.LayerNorm")


def encoder_layer(g: Graph, x: str, mask: str, scope: str) -> str:
    attended = self_attention(g, x, mask, f"{scope}.attention")
    hidden = gelu(g, linear(g, attended, HIDDEN, FFN, f"{scope}.intermediate.dense"), f"{scope}.intermediate")
    out = linear(g, hidden, FFN, HIDDEN, f"{scope}.output.dense")
    return layer_norm(g, g.node("Add", [out, attended], scope), f"{scope}.output.LayerNorm")


def embeddings(g: Graph, input_ids: str) -> str:
    rng = g.rng
    word = g.constant(normal(rng, [VOCAB, HIDDEN], INIT_STD), "embeddings.word_embeddings.weight")
    position = g.constant(normal(rng, [MAX_POSITIONS, HIDDEN], INIT_STD), "embeddings.position_embeddings.weight")
    token_type = g.constant(normal(rng, [TOKEN_TYPES, HIDDEN], INIT_STD), "embeddings.token_type_embeddings.weight")
    # No token_type_ids input: the exporter bakes the default all-zero ids and arange positions in.
    position_ids = g.constant(np.arange(SEQ, dtype=np.int64).reshape(1, SEQ), "embeddings.position_ids")
    token_type_ids = g.constant(np.zeros((1, SEQ), np.int64), "embeddings.token_type_ids")
    y = g.node("Gather", [word, input_ids], "embeddings.word_embeddings", axis=0)
    y = g.node("Add", [y, g.node("Gather", [token_type, token_type_ids], "embeddings.token_type_embeddings",
                                 axis=0)], "embeddings")
    y = g.node("Add", [y, g.node("Gather", [position, position_ids], "embeddings.position_embeddings",
                                 axis=0)], "embeddings")
    return layer_norm(g, y, "embeddings.LayerNorm")


def bert_base(rng: np.random.Generator):
    g = Graph("bert_base", rng)
    input_ids = g.input("input_ids", [1, SEQ], INT64)
    mask = g.input("attention_mask", [1, 1, 1, SEQ])
    y = embeddings(g, input_ids)
    for layer in range(LAYERS):
        y = encoder_layer(g, y, mask, f"encoder.layer.{layer}")
    g.rename(y, "last_hidden_state")
    g.output("last_hidden_state", [1, SEQ, HIDDEN])

    # A batch of one sentence padded to SEQ: token ids after [CLS], then [SEP], then [PAD] (id 0).
    length = 100
    ids = np.zeros((1, SEQ), np.int64)
    ids[0, 0] = 101
    ids[0, 1:length - 1] = rng.integers(1000, VOCAB, size=length - 2)
    ids[0, length - 1] = 102
    keep = (np.arange(SEQ) < length).astype(np.float32)
    # The extended mask BertModel builds: 0 where attended, -10000 on padding.
    additive = ((1.0 - keep) * -10000.0).astype(np.float32).reshape(1, 1, 1, SEQ)
    return g.model(OPSET), {"input_ids": ids, "attention_mask": additive}


MODELS = {"bert_base": bert_base}
