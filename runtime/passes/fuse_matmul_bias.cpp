// A linear layer spelled MatMul(A, W) + Add(bias) [+ Relu | Gelu] becomes one com.onnxi
// FusedMatMul(A, W, bias) with activation = "" | "Relu" | "Gelu" | "GeluTanh": its GEMM adds the
// bias and applies the activation to each tile while the tile is in cache, so the bias Add and the
// activation no longer each read and write the whole output. Where A is known to be 2-D and there
// is no activation, the result is a plain Gemm(A, W, bias) instead. A MatMul that
// fold_transpose_matmul already turned into a FusedMatMul (transA/transB, no bias yet) fuses too.
//
// Fires only when W is a 2-D float initializer (so N is known), the bias a float initializer of N
// values along the last axis that adds no axis to the product ([N], or [1, ..., N] when A's rank
// says the product has at least as many axes), no feed can override either, and nothing but the
// next node of the pattern reads the MatMul's or the Add's output (no other node, subgraph or
// graph output).
#include <set>
#include <string>

#include "runtime/passes/pass_util.h"

namespace onnxi::passes {
namespace {

constexpr const char* kOnnxiDomain = "com.onnxi";

int64_t default_opset(const Model& m) {
  auto it = m.opset_imports.find("");
  return it == m.opset_imports.end() ? 0 : it->second;
}

bool is_gelu(const Node& n) {
  return n.op_type == "Gelu" && (n.domain.empty() || n.domain == kOnnxiDomain || n.domain == "com.microsoft");
}

// The index of the one node reading `name` as its first input, or -1.
int64_t sole_reader(const Graph& g, const GraphUses& uses, const std::string& name) {
  if (uses.consumers(name) != 1 || uses.is_graph_output(name)) return -1;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!n.inputs.empty() && n.inputs[0] == name) return static_cast<int64_t>(i);
  }
  return -1;
}

// Whether node `mm` is a product this pass can give a bias: MatMul, or FusedMatMul with neither
// bias nor activation. Sets n_cols to N when its B is a 2-D float initializer.
bool biasable_product(const GraphUses& uses, const Node& mm, int64_t& n_cols) {
  const bool matmul = mm.op_type == "MatMul" && mm.domain.empty();
  const bool fused = mm.op_type == "FusedMatMul" && mm.domain == kOnnxiDomain && mm.num_present_inputs() == 2 &&
                     mm.attr_string("activation", "").empty();
  if ((!matmul && !fused) || mm.inputs.size() < 2 || mm.outputs.size() != 1) return false;
  const Tensor* w = uses.constant_float(mm.inputs[1]);
  if (w == nullptr || w->rank() != 2) return false;
  n_cols = fused && mm.attr_int("transB", 0) != 0 ? w->dim(0) : w->dim(1);
  return true;
}

// Whether `bias` adds N values along the last axis of a product of rank `out_rank` (-1: unknown)
// without changing its shape.
bool is_row_bias(const Tensor& bias, int64_t n_cols, int64_t out_rank) {
  if (bias.rank() < 1 || bias.numel() != n_cols || bias.dim(bias.rank() - 1) != n_cols) return false;
  for (int64_t d = 0; d + 1 < bias.rank(); ++d) {
    if (bias.dim(d) != 1) return false;
  }
  return bias.rank() == 1 || (out_rank >= 0 && bias.rank() <= out_rank);
}

}  // namespace

int fuse_matmul_bias(Model& model) {
  Graph& g = model.graph;
  const GraphUses uses(g);
  std::set<size_t> removed;
  int fused = 0, to_onnxi = 0;
  for (size_t ai = 0; ai < g.nodes.size(); ++ai) {
    if (removed.count(ai)) continue;
    const Node& add = g.nodes[ai];
    if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2 || add.outputs.size() != 1) continue;
    for (size_t side = 0; side < 2; ++side) {
      const int64_t at = uses.producer(add.inputs[side]);
      if (at < 0 || removed.count(static_cast<size_t>(at))) continue;
      Node& mm = g.nodes[static_cast<size_t>(at)];
      int64_t n_cols = 0;
      if (!biasable_product(uses, mm, n_cols)) continue;
      if (uses.consumers(mm.outputs[0]) != 1 || uses.is_graph_output(mm.outputs[0])) continue;
      const std::string& bias_name = add.inputs[1 - side];
      const Tensor* bias = uses.constant_float(bias_name);
      const int64_t a_rank = declared_rank(g, mm.inputs[0]);
      // W is 2-D, so the product has A's rank.
      if (bias == nullptr || !is_row_bias(*bias, n_cols, a_rank)) continue;
      // An activation that reads only this Add's output joins too.
      std::string activation;
      std::string out = add.outputs[0];
      const int64_t act_at = sole_reader(g, uses, out);
      if (act_at >= 0) {
        const Node& act = g.nodes[static_cast<size_t>(act_at)];
        if (act.outputs.size() == 1 && act.inputs.size() == 1) {
          if (act.op_type == "Relu" && act.domain.empty()) activation = "Relu";
          const std::string approximate = is_gelu(act) ? act.attr_string("approximate", "none") : "";
          if (approximate == "none") activation = "Gelu";
          if (approximate == "tanh") activation = "GeluTanh";
        }
        if (!activation.empty()) {
          out = act.outputs[0];
          removed.insert(static_cast<size_t>(act_at));
        }
      }
      const bool as_gemm = mm.op_type == "MatMul" && activation.empty() && a_rank == 2 && default_opset(model) >= 11;
      if (as_gemm) {
        mm.op_type = "Gemm";
      } else if (mm.op_type == "MatMul") {
        mm.op_type = "FusedMatMul";
        mm.domain = kOnnxiDomain;
        mm.opset = 0;
      }
      if (!mm.domain.empty()) {
        std::erase_if(mm.attributes, [](const Attribute& a) { return a.name == "activation"; });
        mm.attributes.push_back(string_attr("activation", activation));
        ++to_onnxi;
      }
      mm.inputs.resize(2);
      mm.inputs.push_back(bias_name);
      mm.outputs[0] = out;
      removed.insert(ai);
      ++fused;
      break;
    }
  }
  erase_nodes(g, removed);
  if (to_onnxi > 0) model.opset_imports.emplace(kOnnxiDomain, 1);
  return fused;
}

}  // namespace onnxi::passes
