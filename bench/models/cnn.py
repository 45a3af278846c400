"""ResNet-50 v1.5 and MobileNetV2 1.0 as a PyTorch export without folding writes them.

Conv, BatchNormalization and the activation stay separate nodes, so the engine under test decides
whether to fold them. Weights are He-normal; each BatchNormalization gets a random scale, bias,
mean and variance (the scale of the last one in a residual branch is smaller, as trained networks
have it, so the residual stream does not grow without bound over 16 blocks).
"""
from __future__ import annotations

import numpy as np

from graph import Graph, he_normal, normal, uniform

OPSET = 17
IMAGE = [1, 3, 224, 224]


def conv(g: Graph, x: str, cin: int, cout: int, kernel: int, stride: int = 1, group: int = 1,
         scope: str = "", bias: bool = False) -> str:
    pad = kernel // 2
    weight = g.constant(he_normal(g.rng, [cout, cin // group, kernel, kernel], cin // group * kernel * kernel),
                        f"{scope}.weight")
    inputs = [x, weight]
    if bias:
        inputs.append(g.constant(normal(g.rng, [cout], 0.01), f"{scope}.bias"))
    return g.node("Conv", inputs, scope, kernel_shape=[kernel, kernel], strides=[stride, stride],
                  pads=[pad] * 4, group=group, dilations=[1, 1])


def batch_norm(g: Graph, x: str, channels: int, scope: str, gain: float = 1.0) -> str:
    rng = g.rng
    scale = g.constant(uniform(rng, [channels], 0.5, 1.0) * np.float32(gain), f"{scope}.weight")
    bias = g.constant(normal(rng, [channels], 0.1), f"{scope}.bias")
    mean = g.constant(normal(rng, [channels], 0.1), f"{scope}.running_mean")
    var = g.constant(uniform(rng, [channels], 0.5, 1.5), f"{scope}.running_var")
    return g.node("BatchNormalization", [x, scale, bias, mean, var], scope, epsilon=1e-5, momentum=0.9)


def classifier(g: Graph, x: str, features: int, classes: int = 1000) -> str:
    pooled = g.node("GlobalAveragePool", [x], "pool")
    flat = g.node("Flatten", [pooled], "flatten", axis=1)
    weight = g.constant(normal(g.rng, [classes, features], np.sqrt(1.0 / features)), "fc.weight")
    bias = g.constant(normal(g.rng, [classes], 0.01), "fc.bias")
    return g.node("Gemm", [flat, weight, bias], "fc", outputs=["logits"], alpha=1.0, beta=1.0, transB=1)


# ---- ResNet-50 v1.5 ----

def bottleneck(g: Graph, x: str, cin: int, width: int, stride: int, scope: str) -> str:
    cout = width * 4
    y = conv(g, x, cin, width, 1, scope=f"{scope}.conv1")
    y = g.node("Relu", [batch_norm(g, y, width, f"{scope}.bn1")], scope)
    # v1.5: the stride sits on the 3x3 conv, not on the first 1x1.
    y = conv(g, y, width, width, 3, stride, scope=f"{scope}.conv2")
    y = g.node("Relu", [batch_norm(g, y, width, f"{scope}.bn2")], scope)
    y = conv(g, y, width, cout, 1, scope=f"{scope}.conv3")
    y = batch_norm(g, y, cout, f"{scope}.bn3", gain=0.3)
    shortcut = x
    if stride != 1 or cin != cout:
        shortcut = conv(g, x, cin, cout, 1, stride, scope=f"{scope}.downsample.0")
        shortcut = batch_norm(g, shortcut, cout, f"{scope}.downsample.1")
    return g.node("Relu", [g.node("Add", [y, shortcut], scope)], scope)


def resnet50(rng: np.random.Generator):
    g = Graph("resnet50", rng)
    x = g.input("input", IMAGE)
    y = conv(g, x, 3, 64, 7, 2, scope="conv1")
    y = g.node("Relu", [batch_norm(g, y, 64, "bn1")], "stem")
    y = g.node("MaxPool", [y], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for stage, (width, blocks, stride) in enumerate([(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]):
        for block in range(blocks):
            y = bottleneck(g, y, cin, width, stride if block == 0 else 1, f"layer{stage + 1}.{block}")
            cin = width * 4
    classifier(g, y, cin)
    g.output("logits", [1, 1000])
    return g.model(OPSET), {"input": rng.standard_normal(IMAGE, dtype=np.float32)}


# ---- MobileNetV2 1.0 ----

def relu6(g: Graph, x: str, scope: str) -> str:
    # PyTorch exports nn.ReLU6 as Clip with min/max given as constant inputs (opset 11+).
    low = g.constant(np.array(0.0, np.float32), f"{scope}.clip_min")
    high = g.constant(np.array(6.0, np.float32), f"{scope}.clip_max")
    return g.node("Clip", [x, low, high], scope)


def conv_bn_relu6(g: Graph, x: str, cin: int, cout: int, kernel: int, stride: int, group: int, scope: str) -> str:
    y = conv(g, x, cin, cout, kernel, stride, group, scope=f"{scope}.0")
    return relu6(g, batch_norm(g, y, cout, f"{scope}.1"), f"{scope}.2")


def inverted_residual(g: Graph, x: str, cin: int, cout: int, stride: int, expand: int, scope: str) -> str:
    hidden = cin * expand
    y = x
    layer = 0
    if expand != 1:
        y = conv_bn_relu6(g, y, cin, hidden, 1, 1, 1, f"{scope}.conv.{layer}")
        layer += 1
    y = conv_bn_relu6(g, y, hidden, hidden, 3, stride, hidden, f"{scope}.conv.{layer}")
    y = conv(g, y, hidden, cout, 1, scope=f"{scope}.conv.{layer + 1}")
    y = batch_norm(g, y, cout, f"{scope}.conv.{layer + 2}", gain=0.5 if stride == 1 and cin == cout else 1.0)
    if stride == 1 and cin == cout:
        y = g.node("Add", [x, y], scope)
    return y


def mobilenetv2(rng: np.random.Generator):
    g = Graph("mobilenetv2", rng)
    x = g.input("input", IMAGE)
    y = conv_bn_relu6(g, x, 3, 32, 3, 2, 1, "features.0")
    cin = 32
    index = 1
    # (expansion t, channels c, repeats n, first stride s) from the MobileNetV2 paper, table 2.
    for expand, cout, repeats, stride in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                                          (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for r in range(repeats):
            y = inverted_residual(g, y, cin, cout, stride if r == 0 else 1, expand, f"features.{index}")
            cin = cout
            index += 1
    y = conv_bn_relu6(g, y, cin, 1280, 1, 1, 1, f"features.{index}")
    classifier(g, y, 1280)
    g.output("logits", [1, 1000])
    return g.model(OPSET), {"input": rng.standard_normal(IMAGE, dtype=np.float32)}


MODELS = {"resnet50": resnet50, "mobilenetv2": mobilenetv2}
