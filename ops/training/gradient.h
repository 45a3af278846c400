// Gradient (ai.onnx.preview.training 1) differentiates part of the graph that holds it: the nodes
// between its xs/zs tensors and y. A kernel only sees its own node, so before the graph is
// validated the session calls attach_gradient_graphs(), which copies that part into each Gradient
// node as a graph attribute (kGradientForwardAttr). The kernel recomputes it from the Gradient
// node's inputs (the values of xs then zs) and runs reverse-mode differentiation over it.
#pragma once

#include "onnxi/ir.h"

namespace onnxi::ops::training {

inline constexpr const char* kGradientForwardAttr = "__onnxi_gradient_forward";

// For every Gradient node of `g` and its subgraphs (attribute-free ones only: a node that already
// has the attribute keeps it), attaches the forward graph of y from xs and zs: inputs are xs then
// zs; nodes are y's producers back to them, in dependency order; names other than xs/zs that those
// nodes read (initializers, graph inputs, enclosing scopes) are imported by Identity nodes; every
// computed value is a graph output. Values are renamed "__grad/<name>" inside it. Returns the number
// of Gradient nodes given a graph; InvalidModel errors name a node whose y is not computable from
// its xs and zs.
int attach_gradient_graphs(Graph& g);

}  // namespace onnxi::ops::training
