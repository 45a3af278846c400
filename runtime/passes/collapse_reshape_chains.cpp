// Chains of data-preserving reshapes, shortened:
//   - a Reshape reading the output of a Reshape, Flatten, Squeeze or Unsqueeze reads that node's
//     input instead, when its target shape is a constant without 0 entries (or allowzero is set):
//     such a target depends on the element count only, which the chain keeps. The skipped node is
//     then dead unless something else reads it (eliminate_dead_nodes);
//   - Unsqueeze then Squeeze of the same axes, or Squeeze then Unsqueeze of the same explicit axes,
//     give back the first node's input: the second node goes and its readers read that input.
// Negative axes are normalized with ranks inference knows; unknown ranks leave the chain alone.
// The skipped node must be one that cannot fail at run time (safe_to_skip).
#include <algorithm>
#include <optional>
#include <set>

#include "runtime/graph/prepare.h"
#include "runtime/passes/pass_util.h"
#include "runtime/passes/value_types.h"

namespace onnxi::passes {
namespace {

bool is_op(const Node& n, const char* op) { return n.domain.empty() && n.op_type == op; }

bool preserves_data(const Node& n) {
  return n.domain.empty() && n.outputs.size() == 1 && !n.inputs.empty() && !n.inputs[0].empty() &&
         (n.op_type == "Reshape" || n.op_type == "Flatten" || n.op_type == "Squeeze" || n.op_type == "Unsqueeze");
}

// The axes of a Squeeze/Unsqueeze (attribute before opset 13, constant input after); nullopt when
// not known at load or not given.
std::optional<std::vector<int64_t>> axes_of(const Model& model, const ValueTypes& types, const Node& n) {
  if (graph::node_opset(n, model) < 13) {
    const Attribute* axes = typed_attr(n, "axes", Attribute::Type::Ints);
    if (axes == nullptr) return std::nullopt;
    return axes->ints;
  }
  if (!n.input_present(1)) return std::nullopt;
  const Tensor* t = types.constant(n.inputs[1]);
  if (t == nullptr || t->dtype() != DataType::Int64) return std::nullopt;
  return t->to_int64_vector();
}

// Sorted, non-negative axes for a tensor of `rank` (-1: unknown); nullopt when that needs the rank.
std::optional<std::vector<int64_t>> normalized(std::vector<int64_t> axes, int64_t rank) {
  for (int64_t& a : axes) {
    if (a < 0) {
      if (rank < 0) return std::nullopt;
      a += rank;
    }
    if (a < 0 || (rank >= 0 && a >= rank)) return std::nullopt;
  }
  std::sort(axes.begin(), axes.end());
  if (std::adjacent_find(axes.begin(), axes.end()) != axes.end()) return std::nullopt;
  return axes;
}

int64_t rank_of(const ValueTypes& types, const std::string& name) {
  const TypeInfo& t = types.type(name);
  return t.is_tensor() && t.has_shape ? static_cast<int64_t>(t.dims.size()) : -1;
}

bool target_ignores_input_shape(const Model& model, const ValueTypes& types, const Node& reshape) {
  if (!reshape.input_present(1)) return false;
  const Tensor* shape = types.constant(reshape.inputs[1]);
  if (shape == nullptr || shape->dtype() != DataType::Int64) return false;
  const Attribute* allowzero = typed_attr(reshape, "allowzero", Attribute::Type::Int);
  if (graph::node_opset(reshape, model) >= 14 && allowzero != nullptr && allowzero->i != 0) return true;
  const std::vector<int64_t> dims = shape->to_int64_vector();
  return std::find(dims.begin(), dims.end(), 0) == dims.end();
}

// Squeeze/Unsqueeze `second` undoes `first` (which it reads).
bool cancels(const Model& model, const ValueTypes& types, const Node& first, const Node& second) {
  const bool squeeze_after_unsqueeze = is_op(first, "Unsqueeze") && is_op(second, "Squeeze");
  const bool unsqueeze_after_squeeze = is_op(first, "Squeeze") && is_op(second, "Unsqueeze");
  if (!squeeze_after_unsqueeze && !unsqueeze_after_squeeze) return false;
  auto a1 = axes_of(model, types, first), a2 = axes_of(model, types, second);
  if (!a1 || !a2 || a1->empty()) return false;
  // Both axis lists index the bigger tensor: Unsqueeze's output and Squeeze's input.
  const int64_t big = squeeze_after_unsqueeze ? rank_of(types, first.outputs[0]) : rank_of(types, first.inputs[0]);
  auto n1 = normalized(*a1, big), n2 = normalized(*a2, big);
  return n1 && n2 && *n1 == *n2;
}

// Skipping `first` must not turn a run-time error into an answer: inference accepted it (its
// output has a known rank), and a Squeeze of explicit axes removes dims known to be 1.
bool safe_to_skip(const Model& model, const ValueTypes& types, const Node& first) {
  if (rank_of(types, first.outputs[0]) < 0) return false;
  if (!is_op(first, "Squeeze")) return true;
  const bool has_axes = graph::node_opset(first, model) < 13 ? first.has_attr("axes") : first.input_present(1);
  if (!has_axes) return true;  // squeezes whatever is 1: never fails
  const TypeInfo& in = types.type(first.inputs[0]);
  auto axes = axes_of(model, types, first);
  if (!axes || rank_of(types, first.inputs[0]) < 0) return false;
  auto norm = normalized(*axes, rank_of(types, first.inputs[0]));
  if (!norm) return false;
  for (int64_t a : *norm) {
    if (in.dims[static_cast<size_t>(a)].value != 1) return false;
  }
  return true;
}

}  // namespace

int collapse_reshape_chains(Model& model, const Registry* custom) {
  Graph& g = model.graph;
  // Inference is most of this pass's cost: skipped unless one reshape-like node reads another.
  std::set<std::string> reshaped;
  bool chain = false;
  for (const Node& n : g.nodes) {
    if (!preserves_data(n)) continue;
    chain = chain || reshaped.count(n.inputs[0]) != 0;
    reshaped.insert(n.outputs[0]);
  }
  if (!chain) return 0;
  const ValueTypes types = ValueTypes::of_graph(model, g, custom);
  std::map<std::string, size_t> producer;
  std::set<size_t> removed;
  int changes = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    Node& n = g.nodes[i];
    for (const std::string& o : n.outputs) producer[o] = i;
    if (!preserves_data(n) || !is_standard_op(n, model, custom)) continue;
    auto p = producer.find(n.inputs[0]);
    if (p == producer.end() || removed.count(p->second)) continue;
    const Node& first = g.nodes[p->second];
    if (!preserves_data(first) || !is_standard_op(first, model, custom) || !safe_to_skip(model, types, first)) continue;
    if (is_op(n, "Reshape") && target_ignores_input_shape(model, types, n)) {
      n.inputs[0] = first.inputs[0];
      ++changes;
    } else if (cancels(model, types, first, n) && replace_value(g, n.outputs[0], first.inputs[0], removed)) {
      removed.insert(i);
      ++changes;
    }
  }
  erase_nodes(g, removed);
  return changes;
}

}  // namespace onnxi::passes
