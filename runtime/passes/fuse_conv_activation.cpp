// Conv followed by Relu or Clip becomes one com.onnxi FusedConv whose GEMM applies the activation
// to each block of its output while the block is in cache (and skips a pass over memory and an
// intermediate tensor). Runs after BatchNormalization folding, so Conv+BN+Relu fuses too.
//
// Fires only when nothing else reads the Conv's output (no node, subgraph or graph output) and,
// for Clip, when its bounds are known at load: attributes before opset 11, constant scalar float
// initializers (that no graph input overrides) or absent inputs from 11 on.
#include <cfloat>
#include <set>

#include "runtime/passes/pass_util.h"

namespace onnxi::passes {
namespace {

constexpr const char* kOnnxiDomain = "com.onnxi";

int64_t node_opset(const Model& m, const Node& n) {
  if (n.opset > 0) return n.opset;
  auto it = m.opset_imports.find(n.domain);
  return it == m.opset_imports.end() ? 0 : it->second;
}

// Clip's bounds when they are known at load; false otherwise.
bool clip_bounds(const Model& m, const GraphUses& uses, const Node& clip, float& lo, float& hi) {
  lo = -FLT_MAX;
  hi = FLT_MAX;
  if (node_opset(m, clip) < 11) {
    lo = clip.attr_float("min", -FLT_MAX);
    hi = clip.attr_float("max", FLT_MAX);
    return true;
  }
  for (size_t i = 1; i < clip.inputs.size() && i <= 2; ++i) {
    if (clip.inputs[i].empty()) continue;
    const Tensor* t = uses.constant_float(clip.inputs[i]);
    if (t == nullptr || t->numel() != 1) return false;
    (i == 1 ? lo : hi) = t->data<float>()[0];
  }
  return clip.inputs.size() <= 3;
}

}  // namespace

int fuse_conv_activation(Model& model) {
  Graph& g = model.graph;
  const GraphUses uses(g);
  std::set<size_t> removed;
  int fused = 0;
  for (size_t ai = 0; ai < g.nodes.size(); ++ai) {
    const Node& act = g.nodes[ai];
    if (!act.domain.empty() || (act.op_type != "Relu" && act.op_type != "Clip")) continue;
    if (act.inputs.empty() || act.outputs.size() != 1) continue;
    const int64_t at = uses.producer(act.inputs[0]);
    if (at < 0 || removed.count(static_cast<size_t>(at))) continue;
    Node& conv = g.nodes[static_cast<size_t>(at)];
    if (conv.op_type != "Conv" || !conv.domain.empty() || conv.outputs.size() != 1) continue;
    if (uses.consumers(conv.outputs[0]) != 1 || uses.is_graph_output(conv.outputs[0])) continue;
    float lo = 0.f, hi = 0.f;
    Attribute kind;
    kind.name = "activation";
    kind.type = Attribute::Type::String;
    if (act.op_type == "Relu") {
      kind.s = "Relu";
    } else {
      if (!clip_bounds(model, uses, act, lo, hi)) continue;
      kind.s = "Clip";
    }
    conv.op_type = "FusedConv";
    conv.domain = kOnnxiDomain;
    conv.opset = 0;
    conv.attributes.push_back(kind);
    if (kind.s == "Clip") {
      conv.attributes.push_back(float_attr("activation_min", lo));
      conv.attributes.push_back(float_attr("activation_max", hi));
    }
    conv.outputs[0] = act.outputs[0];
    removed.insert(ai);
    ++fused;
  }
  erase_nodes(g, removed);
  if (fused > 0) model.opset_imports.emplace(kOnnxiDomain, 1);
  return fused;
}

}  // namespace onnxi::passes
