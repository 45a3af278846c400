// Constant folding: a node whose inputs are all known at load (initializers no graph input
// overrides, Constant nodes, values an earlier node folded) is run once here and its outputs
// become initializers. Constant nodes themselves become initializers.
//
// The node runs through the op's own inference (many ops already compute their value there, e.g.
// Constant, Shape, Cast of small tensors) or else through exec::compile + run of a one-node graph,
// so a folded value is exactly what the runtime would compute. A node whose evaluation fails is
// left alone: the error then surfaces at run time, as without the pass.
//
// Not folded: random ops and Dropout, ops with subgraphs, ops a custom registry provides or
// overrides, ops producing sequences/optionals (checked on the result), DequantizeLinear (keeps
// quantized weights small and recognizable for later fusions), nodes producing a graph output
// (outputs must stay fresh tensors, not shared initializers), and results over a size budget
// (16 MiB per output, 64 MiB in all per run of the pass; Constant nodes cost nothing), so session creation stays fast and
// a small constant expanding into a big tensor does not inflate memory.
#include <cstdint>
#include <set>
#include <string>

#include "runtime/exec/executor.h"
#include "runtime/passes/pass_util.h"
#include "runtime/passes/value_types.h"

namespace onnxi::passes {
namespace {

constexpr size_t kMaxOutputBytes = size_t{16} << 20;
constexpr size_t kMaxTotalBytes = size_t{64} << 20;

bool may_fold(const Node& n, const Model& model, const Registry* custom, const GraphUses& uses) {
  static const std::set<std::string> kSkip{"DequantizeLinear", "SequenceEmpty",   "SequenceConstruct",
                                           "SequenceInsert",   "SequenceErase",   "SplitToSequence",
                                           "Optional",         "OptionalHasElement", "OptionalGetElement"};
  if (n.domain.empty() && kSkip.count(n.op_type)) return false;
  if (is_nondeterministic(n) || has_subgraph(n) || !is_standard_op(n, model, custom)) return false;
  bool any_output = false;
  for (const std::string& o : n.outputs) {
    if (o.empty()) continue;
    if (uses.is_graph_output(o)) return false;
    any_output = true;
  }
  return any_output;
}

// Output bytes when inference knows them; 0 when it does not (checked again on the result).
size_t known_bytes(const TypeInfo& t) {
  if (!t.shape_is_static() || t.elem == DataType::Undefined) return 0;
  int64_t numel = 1;
  for (const Dim& d : t.dims) {
    if (d.value != 0 && numel > INT64_MAX / d.value) return SIZE_MAX;
    numel *= d.value;
  }
  return storage_bytes(t.elem, numel);
}

size_t tensor_bytes(const Tensor& t) {
  if (t.dtype() != DataType::String) return t.nbytes();
  size_t bytes = 0;
  for (int64_t i = 0; i < t.numel(); ++i) bytes += t.data<std::string>()[i].size() + sizeof(std::string);
  return bytes;
}

// Runs n on constant inputs through the normal compile/run path. False when it fails or gives
// anything but tensors.
bool evaluate(const Model& model, const Node& n, const std::vector<const Tensor*>& inputs, const Registry* custom,
              std::vector<Tensor>& outputs) {
  auto g = std::make_shared<Graph>();
  g->name = "fold";
  g->nodes.push_back(n);
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    if (!n.inputs[i].empty()) g->initializers[n.inputs[i]] = *inputs[i];
  }
  for (const std::string& o : n.outputs) {
    if (!o.empty()) g->outputs.push_back(ValueInfo{o, {}, {}});
  }
  try {
    exec::CompileEnv env;
    env.model = &model;
    env.custom = custom;
    env.standard = &Registry::standard();
    auto cg = exec::compile(g, env, {});
    std::vector<Value> values = exec::run(*cg, {}, nullptr, exec::RunState{});
    outputs.assign(n.outputs.size(), Tensor{});
    size_t k = 0;
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (n.outputs[i].empty()) continue;
      const Value& v = values[k++];
      if (!v.is_tensor()) return false;
      outputs[i] = v.tensor();
    }
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

// Whether some node might fold, without inference (most of the pass's cost): one whose inputs
// are all initializers no input overrides, or outputs of such nodes, of Shape or of Size (whose
// values inference may know from static shapes).
bool may_have_constants(const Model& model, const Registry* custom, const GraphUses& uses) {
  const Graph& g = model.graph;
  std::set<std::string> known;
  for (const auto& [name, t] : g.initializers) {
    if (!uses.is_graph_input(name)) known.insert(name);
  }
  for (const Node& n : g.nodes) {
    bool all = true;
    for (const std::string& in : n.inputs) all = all && (in.empty() || known.count(in));
    const bool shape_op = n.domain.empty() && (n.op_type == "Shape" || n.op_type == "Size");
    if (all && may_fold(n, model, custom, uses)) return true;
    if (all || shape_op) known.insert(n.outputs.begin(), n.outputs.end());
  }
  return false;
}

}  // namespace

int fold_constants(Model& model, const Registry* custom) {
  Graph& g = model.graph;
  const GraphUses uses(g);
  if (!may_have_constants(model, custom, uses)) return 0;
  ValueTypes types(model, g, custom);
  std::set<size_t> removed;
  size_t total = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    ValueTypes::NodeResult r = types.infer(n);
    if (r.op == nullptr || !may_fold(n, model, custom, uses)) continue;
    std::vector<const Tensor*> inputs;
    bool all_constant = true;
    for (const std::string& in : n.inputs) {
      inputs.push_back(in.empty() ? nullptr : types.constant(in));
      all_constant = all_constant && (in.empty() || inputs.back() != nullptr);
    }
    if (!all_constant) continue;
    bool inferred_all = r.inferred;
    size_t expected = 0;
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      if (n.outputs[k].empty()) continue;
      inferred_all = inferred_all && r.constants[k].defined();
      const size_t b = known_bytes(r.types[k]);
      expected = b > kMaxOutputBytes || expected == SIZE_MAX ? SIZE_MAX : expected + b;
    }
    std::vector<Tensor> values = r.constants;
    if (!inferred_all) {
      if (expected == SIZE_MAX || total + expected > kMaxTotalBytes) continue;
      if (!evaluate(model, n, inputs, custom, values)) continue;
    }
    size_t bytes = 0;
    bool defined = true, small = true;
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      if (n.outputs[k].empty()) continue;
      defined = defined && values[k].defined();
      if (!defined) break;
      const size_t b = tensor_bytes(values[k]);
      small = small && b <= kMaxOutputBytes;
      bytes += b;
    }
    if (!defined) continue;
    // A Constant's value already exists (the attribute): making it an initializer costs nothing.
    if (!(n.op_type == "Constant" && n.domain.empty())) {
      if (!small || total + bytes > kMaxTotalBytes) continue;
      total += bytes;
    }
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      if (n.outputs[k].empty()) continue;
      g.initializers[n.outputs[k]] = values[k];
      types.set_constant(n.outputs[k], values[k]);
    }
    removed.insert(i);
  }
  erase_nodes(g, removed);
  return static_cast<int>(removed.size());
}

}  // namespace onnxi::passes
