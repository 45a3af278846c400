"""Single-node models for the hot shapes of the three networks, to time one kernel at a time.

Weights are constant initializers, as in the networks (so an engine may pack them at load time);
activations are graph inputs. Names say the op, the kernel, channels and the input's spatial size.
"""
from __future__ import annotations

import numpy as np

from graph import Graph, he_normal, normal

OPSET = 17
ATTENTION_OPSET = 23


def conv_model(name: str, cin: int, cout: int, kernel: int, stride: int, size: int, group: int = 1):
    def build(rng: np.random.Generator):
        g = Graph(name, rng)
        x = g.input("x", [1, cin, size, size])
        fan_in = cin // group * kernel * kernel
        weight = g.constant(he_normal(rng, [cout, cin // group, kernel, kernel], fan_in), "weight")
        pad = kernel // 2
        g.node("Conv", [x, weight], outputs=["y"], kernel_shape=[kernel, kernel], strides=[stride, stride],
               pads=[pad] * 4, group=group)
        out = (size + 2 * pad - kernel) // stride + 1
        g.output("y", [1, cout, out, out])
        return g.model(OPSET), {"x": rng.standard_normal([1, cin, size, size], dtype=np.float32)}
    return name, build


def matmul_model(name: str, m: int, k: int, n: int):
    """[1, m, k] x constant [k, n], as BERT's Linear layers export."""
    def build(rng: np.random.Generator):
        g = Graph(name, rng)
        a = g.input("a", [1, m, k])
        b = g.constant(normal(rng, [k, n], 0.02), "b")
        g.node("MatMul", [a, b], outputs=["y"])
        g.output("y", [1, m, n])
        return g.model(OPSET), {"a": rng.standard_normal([1, m, k], dtype=np.float32)}
    return name, build


def gemv_model(name: str, k: int, n: int):
    """ResNet-50's classifier: Gemm of [1, k] with a [n, k] weight (transB) and a bias."""
    def build(rng: np.random.Generator):
        g = Graph(name, rng)
        a = g.input("a", [1, k])
        weight = g.constant(normal(rng, [n, k], np.sqrt(1.0 / k)), "weight")
        bias = g.constant(normal(rng, [n], 0.01), "bias")
        g.node("Gemm", [a, weight, bias], outputs=["y"], transB=1)
        g.output("y", [1, n])
        return g.model(OPSET), {"a": np.abs(rng.standard_normal([1, k], dtype=np.float32))}
    return name, build


def attention_model(name: str, seq: int, causal: bool, heads: int = 12, head_dim: int = 64):
    """The ONNX Attention op (opset 23) on 4-D Q, K, V of [batch, heads, seq, head_dim]."""
    def build(rng: np.random.Generator):
        g = Graph(name, rng)
        shape = [1, heads, seq, head_dim]
        names = [g.input(n, shape) for n in ("Q", "K", "V")]
        g.node("Attention", names, outputs=["Y"], is_causal=int(causal))
        g.output("Y", shape)
        feeds = {n: rng.standard_normal(shape, dtype=np.float32) for n in ("Q", "K", "V")}
        return g.model(ATTENTION_OPSET), feeds
    return name, build


def _all():
    specs = [
        # ResNet-50: the stem, the 3x3 of each stage (and the strided one v1.5 adds), 1x1 reduce/expand.
        conv_model("conv_7x7s2_3to64_224", 3, 64, 7, 2, 224),
        conv_model("conv_3x3_64_56", 64, 64, 3, 1, 56),
        conv_model("conv_3x3s2_128_56", 128, 128, 3, 2, 56),
        conv_model("conv_3x3_128_28", 128, 128, 3, 1, 28),
        conv_model("conv_3x3_256_14", 256, 256, 3, 1, 14),
        conv_model("conv_3x3_512_7", 512, 512, 3, 1, 7),
        conv_model("conv_1x1_256to64_56", 256, 64, 1, 1, 56),
        conv_model("conv_1x1_64to256_56", 64, 256, 1, 1, 56),
        conv_model("conv_1x1_1024to256_14", 1024, 256, 1, 1, 14),
        conv_model("conv_1x1_512to2048_7", 512, 2048, 1, 1, 7),
        # MobileNetV2: depthwise 3x3 (group = channels) and the pointwise expand/project around them.
        conv_model("dwconv_3x3_32_112", 32, 32, 3, 1, 112, group=32),
        conv_model("dwconv_3x3_144_56", 144, 144, 3, 1, 56, group=144),
        conv_model("dwconv_3x3s2_144_56", 144, 144, 3, 2, 56, group=144),
        conv_model("dwconv_3x3_576_14", 576, 576, 3, 1, 14, group=576),
        conv_model("pwconv_24to144_56", 24, 144, 1, 1, 56),
        conv_model("pwconv_144to24_56", 144, 24, 1, 1, 56),
        conv_model("pwconv_576to96_14", 576, 96, 1, 1, 14),
        conv_model("pwconv_320to1280_7", 320, 1280, 1, 1, 7),
        # BERT-base: QKV/output projection, FFN up and down.
        matmul_model("matmul_128x768x768", 128, 768, 768),
        matmul_model("matmul_128x768x3072", 128, 768, 3072),
        matmul_model("matmul_128x3072x768", 128, 3072, 768),
        gemv_model("gemv_2048x1000", 2048, 1000),
    ]
    for seq in (128, 384, 1024):
        specs.append(attention_model(f"attention_s{seq}", seq, False))
        specs.append(attention_model(f"attention_s{seq}_causal", seq, True))
    return dict(specs)


MODELS = _all()
