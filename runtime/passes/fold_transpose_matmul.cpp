// A Transpose that swaps the last two axes of a MatMul or Gemm operand is folded into the product
// as transA / transB: the GEMM reads the operand transposed while packing it, so the transposed
// copy is never written (attention's K^T, weights stored [N, K]). Gemm toggles its own attribute;
// a MatMul becomes a Gemm where both operands are known to be 2-D (opset 11+, where Gemm's C is
// optional), else a com.onnxi FusedMatMul with transA / transB (batched operands keep their
// batch axes, so numpy broadcasting is unchanged).
//
// Fires only when the Transpose's perm is known to be the identity but for its last two axes
// swapped (an absent perm reverses all axes: a swap only for a 2-D input, which must be declared)
// and nothing but this product reads the Transpose's output (no other node, subgraph or graph
// output, nor the product's other operand).
#include <set>
#include <string>
#include <vector>

#include "runtime/passes/pass_util.h"

namespace onnxi::passes {
namespace {

constexpr const char* kOnnxiDomain = "com.onnxi";

// The rank of the Transpose's input when its perm swaps exactly the last two axes, else -1. A
// Transpose without perm feeding a Gemm swaps: Gemm's operands are 2-D.
int64_t swap_last_two_rank(const Graph& g, const Node& t, bool feeds_gemm) {
  std::vector<int64_t> perm = t.attr_ints("perm");
  if (!t.has_attr("perm")) {
    if (!feeds_gemm && declared_rank(g, t.inputs[0]) != 2) return -1;
    perm = {1, 0};
  }
  const int64_t r = static_cast<int64_t>(perm.size());
  if (r < 2 || perm[r - 1] != r - 2 || perm[r - 2] != r - 1) return -1;
  for (int64_t d = 0; d + 2 < r; ++d) {
    if (perm[d] != d) return -1;
  }
  return r;
}

void toggle_int_attr(Node& n, const char* name) {
  for (Attribute& a : n.attributes) {
    if (a.name == name) {
      a.i = a.i != 0 ? 0 : 1;
      return;
    }
  }
  n.attributes.push_back(int_attr(name, 1));
}

int64_t default_opset(const Model& m) {
  auto it = m.opset_imports.find("");
  return it == m.opset_imports.end() ? 0 : it->second;
}

}  // namespace

int fold_transpose_matmul(Model& model) {
  Graph& g = model.graph;
  const GraphUses uses(g);
  std::set<size_t> removed;
  int folded = 0, to_onnxi = 0;
  for (size_t pi = 0; pi < g.nodes.size(); ++pi) {
    Node& prod = g.nodes[pi];
    const bool onnx_product = (prod.op_type == "MatMul" || prod.op_type == "Gemm") && prod.domain.empty();
    const bool fused = prod.op_type == "FusedMatMul" && prod.domain == kOnnxiDomain;
    if ((!onnx_product && !fused) || prod.inputs.size() < 2) continue;
    for (size_t side = 0; side < 2; ++side) {
      const std::string& operand = prod.inputs[side];
      const int64_t at = uses.producer(operand);
      if (at < 0 || removed.count(static_cast<size_t>(at))) continue;
      const Node& t = g.nodes[static_cast<size_t>(at)];
      if (t.op_type != "Transpose" || !t.domain.empty() || t.inputs.size() != 1 || t.outputs.size() != 1) continue;
      if (uses.consumers(operand) != 1 || uses.is_graph_output(operand)) continue;
      const int64_t rank = swap_last_two_rank(g, t, prod.op_type == "Gemm");
      if (rank < 0 || (prod.op_type == "Gemm" && rank != 2)) continue;
      const char* attr = side == 0 ? "transA" : "transB";
      if (prod.op_type == "MatMul") {
        const bool both_2d = rank == 2 && declared_rank(g, prod.inputs[1 - side]) == 2 && prod.inputs.size() == 2;
        if (both_2d && default_opset(model) >= 11) {
          prod.op_type = "Gemm";
        } else {
          prod.op_type = "FusedMatMul";
          prod.domain = kOnnxiDomain;
          prod.opset = 0;
          ++to_onnxi;
        }
      }
      toggle_int_attr(prod, attr);
      prod.inputs[side] = t.inputs[0];
      removed.insert(static_cast<size_t>(at));
      ++folded;
    }
  }
  erase_nodes(g, removed);
  if (to_onnxi > 0) model.opset_imports.emplace(kOnnxiDomain, 1);
  return folded;
}

}  // namespace onnxi::passes
