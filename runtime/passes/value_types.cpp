#include "runtime/passes/value_types.h"

#include <set>

#include "onnxi/error.h"
#include "runtime/graph/prepare.h"

namespace onnxi::passes {

namespace {
const TypeInfo kUnknown;
}  // namespace

ValueTypes::ValueTypes(const Model& model, const Graph& g, const Registry* custom) : model_(model), custom_(custom) {
  std::set<std::string> input_names;
  for (const ValueInfo& v : g.inputs) {
    input_names.insert(v.name);
    TypeInfo t = v.type;
    auto it = g.initializers.find(v.name);
    // As compile does; Session::run then holds a feed to the default's type and shape.
    if (it != g.initializers.end() && t.kind == TypeInfo::Kind::Unknown) {
      t = TypeInfo::tensor_of_shape(it->second.dtype(), it->second.shape());
    }
    set_type(v.name, std::move(t));
  }
  for (const auto& [name, t] : g.initializers) {
    if (input_names.count(name)) continue;  // an overridable default: its type, not its value
    set_type(name, TypeInfo::tensor_of_shape(t.dtype(), t.shape()));
    constants_[name] = t;
  }
  for (const ValueInfo& v : g.value_info) declared_[v.name] = &v.type;
  for (const ValueInfo& v : g.outputs) declared_[v.name] = &v.type;
}

ValueTypes ValueTypes::of_graph(const Model& model, const Graph& g, const Registry* custom) {
  ValueTypes vt(model, g, custom);
  for (const Node& n : g.nodes) vt.infer(n);
  return vt;
}

ValueTypes::NodeResult ValueTypes::infer(const Node& n) {
  NodeResult r;
  r.opset = graph::node_opset(n, model_);
  r.op = graph::resolve_op(n, model_, custom_, Registry::standard());
  r.types.resize(n.outputs.size());
  r.constants.resize(n.outputs.size());
  if (r.op != nullptr && r.op->infer) {
    std::vector<const TypeInfo*> in_types;
    std::vector<const Tensor*> in_consts;
    for (const std::string& in : n.inputs) {
      in_types.push_back(in.empty() ? nullptr : &type(in));
      in_consts.push_back(in.empty() ? nullptr : constant(in));
    }
    InferContext ctx{n, r.opset, in_types, in_consts, std::vector<TypeInfo>(n.outputs.size()),
                     std::vector<Tensor>(n.outputs.size()),
                     [this](const std::string& hint) { return Dim::symbol(cat("pass_", hint, "_", symbols_++)); }};
    try {
      r.op->infer(ctx);
      r.inferred = true;
      for (size_t i = 0; i < n.outputs.size(); ++i) {
        if (i < ctx.output_types.size()) r.types[i] = std::move(ctx.output_types[i]);
        if (i < ctx.output_constants.size()) r.constants[i] = std::move(ctx.output_constants[i]);
      }
    } catch (const std::exception&) {
      r.inferred = false;
      r.types.assign(n.outputs.size(), TypeInfo{});
      r.constants.assign(n.outputs.size(), Tensor{});
    }
  }
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    const std::string& o = n.outputs[i];
    if (o.empty()) continue;
    TypeInfo t = r.types[i];
    // As compile does: a declaration fills in what inference left open.
    auto d = declared_.find(o);
    if (d != declared_.end() &&
        (t.kind == TypeInfo::Kind::Unknown ||
         (t.is_tensor() && !t.has_shape && d->second->has_shape && d->second->elem == t.elem))) {
      t = *d->second;
    }
    set_type(o, t);
    r.types[i] = std::move(t);
    if (r.constants[i].defined()) constants_[o] = r.constants[i];
  }
  return r;
}

const TypeInfo& ValueTypes::type(const std::string& name) const {
  auto it = types_.find(name);
  return it == types_.end() ? kUnknown : it->second;
}

const Shape* ValueTypes::static_shape(const std::string& name) const {
  auto it = static_shapes_.find(name);
  return it == static_shapes_.end() ? nullptr : &it->second;
}

const Tensor* ValueTypes::constant(const std::string& name) const {
  auto it = constants_.find(name);
  return it == constants_.end() ? nullptr : &it->second;
}

void ValueTypes::set_constant(const std::string& name, const Tensor& t) {
  constants_[name] = t;
  set_type(name, TypeInfo::tensor_of_shape(t.dtype(), t.shape()));
}

void ValueTypes::set_type(const std::string& name, TypeInfo t) {
  if (t.is_tensor() && t.shape_is_static()) {
    static_shapes_[name] = t.static_shape();
  } else {
    static_shapes_.erase(name);
  }
  types_[name] = std::move(t);
}

}  // namespace onnxi::passes
