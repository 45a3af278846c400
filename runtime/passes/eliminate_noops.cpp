// Nodes that pass their input through unchanged are removed and their readers read the input:
//   Identity; Dropout in inference (opset 12+: training_mode absent or a constant false; older
//   opsets always, as the runtime treats them) whose mask nobody reads; Cast/CastLike to the
//   type the input already has; Transpose with the identity permutation; and Expand, Reshape,
//   Slice (steps 1), Squeeze, Unsqueeze and Flatten whose output has the input's static shape;
//   and a Reshape whose target keeps each dim even when some are symbolic ([0, 0, 768]).
// Shapes are the static ones inference knows at load (value_types.h); symbolic dims never
// count as equal. A removed node whose output is a graph output hands that name to its input's
// producer (graph output names stay); when the input is itself a graph input, output or
// initializer, the node stays.
#include <set>

#include "runtime/graph/prepare.h"
#include "runtime/passes/pass_util.h"
#include "runtime/passes/value_types.h"

namespace onnxi::passes {
namespace {

bool same_static_type(const ValueTypes& types, const std::string& a, const std::string& b) {
  const Shape* sa = types.static_shape(a);
  const Shape* sb = types.static_shape(b);
  return sa != nullptr && sb != nullptr && *sa == *sb && types.type(a).elem == types.type(b).elem &&
         types.type(a).elem != DataType::Undefined;
}

// A constant scalar input equal to `want`, or absent.
bool scalar_input_is(const ValueTypes& types, const Node& n, size_t i, double want) {
  if (!n.input_present(i)) return true;
  const Tensor* t = types.constant(n.inputs[i]);
  return t != nullptr && t->numel() == 1 && t->dtype() != DataType::String && t->element_as_double(0) == want;
}

bool dropout_is_identity(const Model& model, const ValueTypes& types, const GraphUses& uses, const Node& n) {
  if (n.outputs.size() > 1 && !n.outputs[1].empty()) {
    if (uses.consumers(n.outputs[1]) > 0 || uses.is_graph_output(n.outputs[1])) return false;
  }
  const int64_t opset = graph::node_opset(n, model);
  if (opset < 12) {
    if (n.has_attr("ratio") && !typed_attr(n, "ratio", Attribute::Type::Float)) return false;
    const float ratio = n.has_attr("ratio") ? n.find_attr("ratio")->f : 0.5f;
    return ratio >= 0 && ratio < 1;  // else the kernel reports the bad ratio at run time
  }
  if (!scalar_input_is(types, n, 2, 0.0)) return false;
  if (!n.input_present(1)) return true;
  const Tensor* ratio = types.constant(n.inputs[1]);
  if (ratio == nullptr || ratio->numel() != 1 || ratio->dtype() == DataType::String) return false;
  const double r = ratio->element_as_double(0);
  return r >= 0 && r < 1;
}

bool cast_is_identity(const ValueTypes& types, const Node& n) {
  const DataType from = types.type(n.inputs[0]).elem;
  if (!types.type(n.inputs[0]).is_tensor() || from == DataType::Undefined) return false;
  if (n.op_type == "Cast") {
    const Attribute* to = typed_attr(n, "to", Attribute::Type::Int);  // Cast-1 names it: left alone
    return to != nullptr && static_cast<DataType>(to->i) == from;
  }
  return n.input_present(1) && types.type(n.inputs[1]).is_tensor() && types.type(n.inputs[1]).elem == from;
}

bool transpose_is_identity(const ValueTypes& types, const Node& n) {
  const TypeInfo& t = types.type(n.inputs[0]);
  if (n.has_attr("perm") && !typed_attr(n, "perm", Attribute::Type::Ints)) return false;
  if (!n.has_attr("perm")) return t.is_tensor() && t.has_shape && t.dims.size() <= 1;  // reversal of <= 1 dims
  const std::vector<int64_t>& perm = n.find_attr("perm")->ints;
  for (size_t i = 0; i < perm.size(); ++i) {
    if (perm[i] != static_cast<int64_t>(i)) return false;
  }
  return t.is_tensor() && t.has_shape && t.dims.size() == perm.size();  // else a wrong perm fails at run time
}

bool slice_steps_are_one(const ValueTypes& types, const Node& n) {
  if (!n.input_present(4)) return true;
  const Tensor* steps = types.constant(n.inputs[4]);
  if (steps == nullptr || (steps->dtype() != DataType::Int64 && steps->dtype() != DataType::Int32)) return false;
  for (int64_t s : steps->to_int64_vector()) {
    if (s != 1) return false;
  }
  return true;
}

// Reshape whose target keeps every dim of its input, symbolic ones included: each entry copies
// (0, without allowzero) or equals the known dim, and at most one -1 takes the rest, which is the
// dim in its place when every other dim is known and nonzero.
bool reshape_keeps_shape(const Model& model, const ValueTypes& types, const Node& n) {
  if (!n.input_present(1)) return false;
  const TypeInfo& x = types.type(n.inputs[0]);
  const Tensor* target = types.constant(n.inputs[1]);
  if (!x.is_tensor() || !x.has_shape || target == nullptr || target->dtype() != DataType::Int64) return false;
  const std::vector<int64_t> dims = target->to_int64_vector();
  if (dims.size() != x.dims.size()) return false;
  const Attribute* allowzero = typed_attr(n, "allowzero", Attribute::Type::Int);
  const bool zero_copies = graph::node_opset(n, model) < 14 || allowzero == nullptr || allowzero->i == 0;
  if (n.has_attr("allowzero") && allowzero == nullptr) return false;
  int inferred = -1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0 && zero_copies) continue;
    if (dims[i] == -1 && inferred < 0) {
      inferred = static_cast<int>(i);
      continue;
    }
    if (!x.dims[i].is_known() || x.dims[i].value != dims[i]) return false;
  }
  for (size_t i = 0; inferred >= 0 && i < dims.size(); ++i) {
    if (static_cast<int>(i) != inferred && (!x.dims[i].is_known() || x.dims[i].value == 0)) return false;
  }
  return true;
}

bool is_noop(const Model& model, const ValueTypes& types, const GraphUses& uses, const Node& n) {
  if (!n.domain.empty() || n.inputs.empty() || n.inputs[0].empty() || n.outputs.empty() || n.outputs[0].empty()) {
    return false;
  }
  const std::string& op = n.op_type;
  if (op == "Identity") return n.outputs.size() == 1;
  if (op == "Dropout") return dropout_is_identity(model, types, uses, n);
  if (n.outputs.size() != 1) return false;
  if (op == "Cast" || op == "CastLike") return cast_is_identity(types, n);
  if (op == "Transpose") return transpose_is_identity(types, n);
  if (op == "Reshape" && reshape_keeps_shape(model, types, n)) return true;
  if (op == "Slice" && !slice_steps_are_one(types, n)) return false;
  if (op == "Expand" || op == "Reshape" || op == "Slice" || op == "Squeeze" || op == "Unsqueeze" || op == "Flatten") {
    return same_static_type(types, n.inputs[0], n.outputs[0]);
  }
  return false;
}

}  // namespace

int eliminate_noops(Model& model, const Registry* custom) {
  Graph& g = model.graph;
  const ValueTypes types = ValueTypes::of_graph(model, g, custom);
  const GraphUses uses(g);
  std::set<size_t> removed;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!is_noop(model, types, uses, n) || !is_standard_op(n, model, custom)) continue;
    const std::string value = n.outputs[0], source = n.inputs[0];
    if (replace_value(g, value, source, removed)) removed.insert(i);
  }
  erase_nodes(g, removed);
  return static_cast<int>(removed.size());
}

}  // namespace onnxi::passes
