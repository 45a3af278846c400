// Nodes that pass their input through unchanged are removed and their readers read the input:
//   Identity; Dropout in inference (opset 12+: training_mode absent or a constant false; older
//   opsets always, as the runtime treats them) whose mask nobody reads; Cast/CastLike to the
//   type the input already has; Transpose with the identity permutation; and Expand, Reshape,
//   Slice (steps 1), Squeeze, Unsqueeze and Flatten whose output has the input's static shape;
//   and a Reshape whose target keeps each dim even when some are symbolic ([0, 0, 768]); and a
//   Reshape or Expand whose target is spelled from the input's own Shape, dim for dim
//   (Concat(Gather(Shape(x), 0), Gather(Shape(x), 1), [768]), Shape(x) itself, Slices of it).
// Shapes are the static ones inference knows at load (value_types.h); symbolic dims count as equal
// only when the target reads them off the input itself, never by their names. A removed node whose output is a graph output hands that name to its input's
// producer (graph output names stay); when the input is itself a graph input, output or
// initializer, the node stays.
#include <algorithm>
#include <set>
#include <vector>

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

// One entry of a shape tensor: a constant, or "dim `axis` of value `of`" read through Shape.
struct ShapeEntry {
  int64_t value = 0;
  std::string of;  // empty: a constant
  int64_t axis = 0;
};

// The entries of the 1-D (or, with `scalar`, 0-D) int64 shape value `name`, when it is spelled
// from constants and Shape ops: Concat (axis 0), Shape (start/end), Gather (axis 0) and Slice
// (steps 1) of a Shape, Unsqueeze of a scalar. False when it is anything else.
bool shape_entries(const Graph& g, const ValueTypes& types, const GraphUses& uses, const std::string& name,
                   std::vector<ShapeEntry>& out, int depth = 0) {
  if (const Tensor* c = types.constant(name)) {
    if (c->dtype() != DataType::Int64 || c->rank() > 1) return false;
    for (int64_t v : c->to_int64_vector()) out.push_back(ShapeEntry{v, {}, 0});
    return true;
  }
  const int64_t at = uses.producer(name);
  if (at < 0 || depth > 6) return false;
  const Node& n = g.nodes[static_cast<size_t>(at)];
  if (!n.domain.empty() || n.inputs.empty() || n.inputs[0].empty()) return false;
  // The dims of x a Shape(x) node covers, as [begin, end).
  const auto shape_range = [&](const Node& shape, int64_t* begin, int64_t* end) {
    const TypeInfo& x = types.type(shape.inputs[0]);
    if (!x.is_tensor() || !x.has_shape) return false;
    const auto rank = static_cast<int64_t>(x.dims.size());
    const auto clamp = [rank](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + rank : v, 0, rank); };
    const Attribute* start = typed_attr(shape, "start", Attribute::Type::Int);
    const Attribute* stop = typed_attr(shape, "end", Attribute::Type::Int);
    if ((shape.has_attr("start") && !start) || (shape.has_attr("end") && !stop)) return false;
    *begin = start ? clamp(start->i) : 0;
    *end = stop ? clamp(stop->i) : rank;
    return true;
  };
  if (n.op_type == "Shape") {
    int64_t begin = 0, end = 0;
    if (!shape_range(n, &begin, &end)) return false;
    for (int64_t k = begin; k < end; ++k) out.push_back(ShapeEntry{0, n.inputs[0], k});
    return true;
  }
  if (n.op_type == "Concat") {
    const Attribute* axis = typed_attr(n, "axis", Attribute::Type::Int);
    if (!axis || (axis->i != 0 && axis->i != -1)) return false;
    for (const std::string& in : n.inputs) {
      if (in.empty() || !shape_entries(g, types, uses, in, out, depth + 1)) return false;
    }
    return true;
  }
  if (n.op_type == "Unsqueeze") {  // a scalar entry made 1-D
    const std::vector<ShapeEntry>::size_type before = out.size();
    if (!shape_entries(g, types, uses, n.inputs[0], out, depth + 1) || out.size() != before + 1) return false;
    const TypeInfo& in = types.type(n.inputs[0]);
    return in.is_tensor() && in.has_shape && in.dims.empty();
  }
  const int64_t src_at = uses.producer(n.inputs[0]);
  if (src_at < 0) return false;
  const Node& shape = g.nodes[static_cast<size_t>(src_at)];
  int64_t begin = 0, end = 0;
  if (!shape.domain.empty() || shape.op_type != "Shape" || !shape_range(shape, &begin, &end)) return false;
  const int64_t length = end - begin;
  if (n.op_type == "Gather" && n.inputs.size() == 2) {
    const Attribute* axis = typed_attr(n, "axis", Attribute::Type::Int);
    const Tensor* idx = types.constant(n.inputs[1]);
    if ((n.has_attr("axis") && (!axis || axis->i != 0)) || !idx || idx->rank() > 1 ||
        (idx->dtype() != DataType::Int64 && idx->dtype() != DataType::Int32)) {
      return false;
    }
    for (int64_t i : idx->to_int64_vector()) {
      if (i < -length || i >= length) return false;
      out.push_back(ShapeEntry{0, shape.inputs[0], begin + (i < 0 ? i + length : i)});
    }
    return true;
  }
  if (n.op_type == "Slice" && n.inputs.size() >= 3) {  // the input form (opset 10+)
    const Tensor* starts = types.constant(n.inputs[1]);
    const Tensor* ends = types.constant(n.inputs[2]);
    if (!starts || !ends || starts->numel() != 1 || ends->numel() != 1 || !slice_steps_are_one(types, n)) return false;
    if (n.input_present(3)) {
      const Tensor* axes = types.constant(n.inputs[3]);
      if (!axes || axes->numel() != 1 || axes->element_as_double(0) != 0) return false;
    }
    const auto clamp = [length](int64_t v) { return std::clamp<int64_t>(v < 0 ? v + length : v, 0, length); };
    const int64_t lo = clamp(starts->to_int64_vector()[0]), hi = clamp(ends->to_int64_vector()[0]);
    for (int64_t k = lo; k < hi; ++k) out.push_back(ShapeEntry{0, shape.inputs[0], begin + k});
    return true;
  }
  return false;
}

// Reshape/Expand whose target (not a constant: that case is above) reads each of x's dims off x
// itself, or gives a known dim (Expand: or 1, which keeps the dim), in x's rank.
bool target_is_own_shape(const Graph& g, const ValueTypes& types, const GraphUses& uses, const Node& n) {
  if (n.inputs.size() < 2 || n.inputs[1].empty() || types.constant(n.inputs[1]) != nullptr) return false;
  const TypeInfo& x = types.type(n.inputs[0]);
  std::vector<ShapeEntry> entries;
  if (!x.is_tensor() || !x.has_shape || !shape_entries(g, types, uses, n.inputs[1], entries)) return false;
  if (entries.size() != x.dims.size()) return false;
  for (size_t i = 0; i < entries.size(); ++i) {
    const ShapeEntry& e = entries[i];
    if (!e.of.empty()) {
      if (e.of != n.inputs[0] || e.axis != static_cast<int64_t>(i)) return false;
      continue;
    }
    const bool keeps = (x.dims[i].is_known() && x.dims[i].value == e.value) || (n.op_type == "Expand" && e.value == 1);
    if (!keeps) return false;
  }
  if (n.op_type == "Reshape" && n.has_attr("allowzero") && !typed_attr(n, "allowzero", Attribute::Type::Int)) return false;
  return true;
}

bool is_noop(const Model& model, const Graph& g, const ValueTypes& types, const GraphUses& uses, const Node& n) {
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
  if ((op == "Reshape" || op == "Expand") && target_is_own_shape(g, types, uses, n)) return true;
  if (op == "Slice" && !slice_steps_are_one(types, n)) return false;
  if (op == "Expand" || op == "Reshape" || op == "Slice" || op == "Squeeze" || op == "Unsqueeze" || op == "Flatten") {
    return same_static_type(types, n.inputs[0], n.outputs[0]);
  }
  return false;
}

}  // namespace

int eliminate_noops(Model& model, const Registry* custom) {
  Graph& g = model.graph;
  // Inference is most of this pass's cost: skipped when no node is of an op it could remove.
  static const std::set<std::string> kCandidates{"Identity", "Dropout", "Cast",    "CastLike",  "Transpose", "Expand",
                                                 "Reshape",  "Slice",   "Squeeze", "Unsqueeze", "Flatten"};
  bool any = false;
  for (const Node& n : g.nodes) any = any || (n.domain.empty() && kCandidates.count(n.op_type));
  if (!any) return 0;
  const ValueTypes types = ValueTypes::of_graph(model, g, custom);
  const GraphUses uses(g);
  std::set<size_t> removed;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    if (!is_noop(model, g, types, uses, n) || !is_standard_op(n, model, custom)) continue;
    const std::string value = n.outputs[0], source = n.inputs[0];
    if (replace_value(g, value, source, removed)) removed.insert(i);
  }
  erase_nodes(g, removed);
  return static_cast<int>(removed.size());
}

}  // namespace onnxi::passes
