// Gradient (ai.onnx.preview.training 1): outputs dy/dx for each x in xs, at the values its inputs
// give xs then zs. y may be any shape: the gradient is that of sum(y) (a scalar y, as in training,
// gives dy/dx itself). The forward graph comes from attach_gradient_graphs() (gradient.h); the
// kernel recomputes it, then walks it backwards in float64.
//
// Differentiable ops (on the path from xs to y): Add, Sub, Mul, Div (with broadcasting), Neg,
// Identity, Relu, Sigmoid, Tanh, Exp, Log, Sqrt, and MatMul of 2-D operands. Any other op between
// xs and y is an error at session creation; ops reading only zs, constants or initializers may be
// anything. An x that y does not depend on gets a zero gradient.
#include "ops/training/gradient.h"

#include <map>
#include <memory>
#include <set>
#include <unordered_map>

#include "kernels/cpu/ml_autodiff.h"
#include "onnxi/float_types.h"
#include "ops/common.h"
#include "ops/training/training.h"

namespace onnxi::ops::training {
namespace {

constexpr const char* kPrefix = "__grad/";

std::string inner(const std::string& name) { return kPrefix + name; }

// ---- the graph hook ----

const TypeInfo* declared_type(const Graph& g, const std::string& name) {
  for (const auto* list : {&g.inputs, &g.value_info, &g.outputs}) {
    for (const ValueInfo& v : *list) {
      if (v.name == name) return &v.type;
    }
  }
  return nullptr;
}

std::shared_ptr<Graph> forward_graph(const Graph& g, const Node& grad,
                                     const std::unordered_map<std::string, const Node*>& producer) {
  const std::vector<std::string> xs = grad.attr_strings("xs");
  const std::vector<std::string> zs = grad.attr_strings("zs");
  const std::string y = grad.attr_string("y", "");
  auto bad = [&](const std::string& m) { fail(ErrorCode::InvalidModel, cat(grad.label(), ": ", m)); };
  if (xs.empty()) bad("attribute xs is required: the tensors to differentiate with respect to");
  if (y.empty()) bad("attribute y is required: the tensor to differentiate");
  if (grad.inputs.size() != xs.size() + zs.size()) {
    bad(cat("takes the values of xs then zs (", xs.size() + zs.size(), " inputs); the node has ", grad.inputs.size()));
  }
  std::set<std::string> stop(xs.begin(), xs.end());
  stop.insert(zs.begin(), zs.end());
  if (stop.size() != xs.size() + zs.size()) bad("xs and zs must name distinct tensors");

  // Post-order walk from y: producers before consumers; names neither in xs/zs nor produced here are
  // imported from the enclosing scope.
  std::vector<const Node*> order;
  std::vector<std::string> imports;
  std::set<std::string> imported;
  std::map<const Node*, int> state;  // 1 on the stack, 2 done
  std::vector<std::pair<const Node*, size_t>> stack;
  auto visit = [&](const std::string& name) {
    if (name.empty() || stop.count(name)) return;
    auto it = producer.find(name);
    if (it == producer.end()) {
      if (imported.insert(name).second) imports.push_back(name);
      return;
    }
    int& s = state[it->second];
    if (s == 1) bad(cat("the graph has a cycle through ", it->second->label()));
    if (s == 0) {
      s = 1;
      stack.emplace_back(it->second, 0);
    }
  };
  visit(y);
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const std::string& in = node->inputs[next++];
      visit(in);
      continue;
    }
    state[node] = 2;
    order.push_back(node);
    stack.pop_back();
  }

  auto fwd = std::make_shared<Graph>();
  fwd->name = "gradient_forward_of_" + y;
  for (const auto* names : {&xs, &zs}) {
    for (const std::string& n : *names) {
      const TypeInfo* t = declared_type(g, n);
      fwd->inputs.push_back(ValueInfo{inner(n), t ? *t : TypeInfo{}, {}});
    }
  }
  for (const std::string& name : imports) {
    Node id;
    id.name = inner("import/" + name);
    id.op_type = "Identity";
    id.opset = 21;  // resolvable whatever ai.onnx version the model imports
    id.inputs = {name};
    id.outputs = {inner(name)};
    fwd->nodes.push_back(std::move(id));
    fwd->outputs.push_back(ValueInfo{inner(name), {}, {}});
  }
  for (const Node* n : order) {
    Node copy = *n;
    copy.name = inner(n->name);
    for (auto& in : copy.inputs) {
      if (!in.empty()) in = inner(in);
    }
    for (auto& out : copy.outputs) {
      if (out.empty()) continue;
      out = inner(out);
      fwd->outputs.push_back(ValueInfo{out, {}, {}});
    }
    fwd->nodes.push_back(std::move(copy));
  }
  return fwd;
}

}  // namespace

int attach_gradient_graphs(Graph& g) {
  int count = 0;
  for (Node& n : g.nodes) {
    for (Attribute& a : n.attributes) {
      if (a.g) count += attach_gradient_graphs(*a.g);
      for (auto& sg : a.graphs) count += attach_gradient_graphs(*sg);
    }
  }
  std::unordered_map<std::string, const Node*> producer;
  for (const Node& n : g.nodes) {
    for (const auto& o : n.outputs) {
      if (!o.empty()) producer.emplace(o, &n);
    }
  }
  for (Node& n : g.nodes) {
    if (n.domain != kDomain || n.op_type != "Gradient" || n.has_attr(kGradientForwardAttr)) continue;
    Attribute a;
    a.name = kGradientForwardAttr;
    a.type = Attribute::Type::Graph;
    a.g = forward_graph(g, n, producer);
    n.attributes.push_back(std::move(a));
    ++count;
  }
  return count;
}

namespace {

// ---- the kernel ----

enum class Rule { Binary, Unary, MatMul };

struct OpRule {
  Rule rule;
  kernels::BinaryGrad binary = kernels::BinaryGrad::Add;
  kernels::UnaryGrad unary = kernels::UnaryGrad::Identity;
};

const std::map<std::string, OpRule>& rules() {
  using kernels::BinaryGrad;
  using kernels::UnaryGrad;
  static const std::map<std::string, OpRule> r = {
      {"Add", {Rule::Binary, BinaryGrad::Add}},
      {"Sub", {Rule::Binary, BinaryGrad::Sub}},
      {"Mul", {Rule::Binary, BinaryGrad::Mul}},
      {"Div", {Rule::Binary, BinaryGrad::Div}},
      {"Neg", {Rule::Unary, {}, UnaryGrad::Neg}},
      {"Identity", {Rule::Unary, {}, UnaryGrad::Identity}},
      {"Relu", {Rule::Unary, {}, UnaryGrad::Relu}},
      {"Sigmoid", {Rule::Unary, {}, UnaryGrad::Sigmoid}},
      {"Tanh", {Rule::Unary, {}, UnaryGrad::Tanh}},
      {"Exp", {Rule::Unary, {}, UnaryGrad::Exp}},
      {"Log", {Rule::Unary, {}, UnaryGrad::Log}},
      {"Sqrt", {Rule::Unary, {}, UnaryGrad::Sqrt}},
      {"MatMul", {Rule::MatMul}},
  };
  return r;
}

std::string supported_list() {
  std::string s;
  for (const auto& [op, rule] : rules()) s += (s.empty() ? "" : ", ") + op;
  return s;
}

struct Step {
  const Node* node;
  OpRule rule;
  std::string original_name;
};

class GradientKernel final : public Kernel {
 public:
  explicit GradientKernel(const KernelInit& init) {
    const Node& n = init.node;
    forward_ = n.attr_graph(kGradientForwardAttr);
    if (!forward_) {
      init.fail(cat("has no forward graph: the session must call ops::training::attach_gradient_graphs() on the "
                    "model's graph before validating it (runtime/exec/session.cpp)"));
    }
    for (const std::string& x : n.attr_strings("xs")) xs_.push_back(inner(x));
    for (const ValueInfo& v : forward_->inputs) inputs_.push_back(v.name);
    y_ = inner(n.attr_string("y", ""));
    if (n.outputs.size() > xs_.size()) {
      init.fail(cat("has ", n.outputs.size(), " outputs for ", xs_.size(), " tensors in xs; give at most one per x"));
    }
    std::set<std::string> on_path(xs_.begin(), xs_.end());
    for (const Node& fn : forward_->nodes) {
      bool reads = false;
      for (const auto& in : fn.inputs) reads = reads || on_path.count(in) > 0;
      if (!reads) continue;
      const std::string original = fn.name.substr(std::string(kPrefix).size());
      auto it = fn.domain.empty() ? rules().find(fn.op_type) : rules().end();
      if (it == rules().end()) {
        init.fail(cat("y depends on xs through node '", original, "' (", fn.op_type,
                      "), which Gradient cannot differentiate; it supports ", supported_list()));
      }
      steps_.push_back({&fn, it->second, original});
      for (const auto& out : fn.outputs) {
        if (!out.empty()) on_path.insert(out);
      }
    }
    for (size_t i = 0; i < forward_->outputs.size(); ++i) output_index_[forward_->outputs[i].name] = i;
    compiled_ = init.compile_graph(*forward_);
  }

  void compute(KernelContext& ctx) const override {
    std::vector<Value> in;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) in.push_back(ctx.input_value(i));
    const std::vector<Value> out = ctx.run_subgraph(*compiled_, in);
    auto value_of = [&](const std::string& name) -> const Tensor& {
      for (size_t i = 0; i < inputs_.size(); ++i) {
        if (inputs_[i] == name) return ctx.input(i);
      }
      auto it = output_index_.find(name);
      if (it == output_index_.end() || !out[it->second].is_tensor()) {
        ctx.fail(cat("the forward graph gave no tensor '", name.substr(std::string(kPrefix).size()), "'"));
      }
      return out[it->second].tensor();
    };
    std::unordered_map<std::string, std::vector<double>> numbers;  // float64 copies of forward values
    auto number_of = [&](const std::string& name) -> const std::vector<double>& {
      auto it = numbers.find(name);
      if (it != numbers.end()) return it->second;
      const Tensor& t = value_of(name);
      if (t.dtype() == DataType::String) ctx.fail(cat("cannot differentiate string tensor '", name, "'"));
      std::vector<double> v(static_cast<size_t>(t.numel()));
      convert_to_f64(t.dtype(), t.raw(), v.data(), t.numel());
      return numbers.emplace(name, std::move(v)).first->second;
    };
    std::unordered_map<std::string, std::vector<double>> grads;
    auto grad_of = [&](const std::string& name) -> std::vector<double>& {
      auto it = grads.find(name);
      if (it != grads.end()) return it->second;
      return grads.emplace(name, std::vector<double>(static_cast<size_t>(value_of(name).numel()), 0.0)).first->second;
    };
    grad_of(y_).assign(static_cast<size_t>(value_of(y_).numel()), 1.0);

    for (auto s = steps_.rbegin(); s != steps_.rend(); ++s) {
      const Node& fn = *s->node;
      const std::string& out_name = fn.outputs.empty() ? std::string() : fn.outputs[0];
      auto g = grads.find(out_name);
      if (g == grads.end()) continue;  // y does not depend on this node's output
      const std::vector<double> dout = g->second;  // copy: grad_of below may rehash
      backward(ctx, *s, dout, value_of, number_of, grad_of);
    }

    for (size_t i = 0; i < ctx.num_outputs(); ++i) {
      if (!ctx.output_wanted(i)) continue;
      const Tensor& x = ctx.input(i);
      const DataType t = x.dtype();
      if (t != DataType::Float && t != DataType::Double && t != DataType::Float16) {
        ctx.fail(cat("x '", xs_[i].substr(std::string(kPrefix).size()), "' is ", x.describe(),
                     "; gradients are float16, float or double"));
      }
      Tensor& dx = ctx.allocate_output(i, t, x.shape());
      auto it = grads.find(xs_[i]);
      if (it != grads.end()) convert_from_f64(t, it->second.data(), dx.raw(), dx.numel());
    }
  }

 private:
  template <class ValueOf, class NumberOf, class GradOf>
  void backward(const KernelContext& ctx, const Step& s, const std::vector<double>& dout, ValueOf& value_of,
                NumberOf& number_of, GradOf& grad_of) const {
    const Node& fn = *s.node;
    auto needs = [&](size_t i) {
      return i < fn.inputs.size() && !fn.inputs[i].empty() && differentiable(fn.inputs[i]);
    };
    auto grad_ptr = [&](size_t i) { return needs(i) ? grad_of(fn.inputs[i]).data() : nullptr; };
    if (s.rule.rule == Rule::Unary) {
      if (!needs(0)) return;
      const std::vector<double>& x = number_of(fn.inputs[0]);
      const std::vector<double>& y = number_of(fn.outputs[0]);
      kernels::unary_backward(s.rule.unary, x.data(), y.data(), dout.data(), grad_of(fn.inputs[0]).data(),
                              static_cast<int64_t>(x.size()));
      return;
    }
    if (fn.inputs.size() != 2) ctx.fail(cat("node '", s.original_name, "' (", fn.op_type, ") needs two inputs"));
    const Tensor& a = value_of(fn.inputs[0]);
    const Tensor& b = value_of(fn.inputs[1]);
    const std::vector<double>& av = number_of(fn.inputs[0]);
    const std::vector<double>& bv = number_of(fn.inputs[1]);
    double* da = grad_ptr(0);
    double* db = grad_ptr(1);
    if (s.rule.rule == Rule::MatMul) {
      if (a.rank() != 2 || b.rank() != 2) {
        ctx.fail(cat("Gradient differentiates MatMul of 2-D operands only; node '", s.original_name, "' has ",
                     a.describe(), " and ", b.describe()));
      }
      kernels::matmul_backward(av.data(), bv.data(), dout.data(), da, db, a.dim(0), a.dim(1), b.dim(1));
      return;
    }
    const Shape out_shape = value_of(fn.outputs[0]).shape();
    kernels::binary_backward(s.rule.binary, av.data(), bv.data(), dout.data(), da, db, out_shape,
                             broadcast_strides(a.shape(), out_shape), broadcast_strides(b.shape(), out_shape));
  }

  bool differentiable(const std::string& name) const {
    for (const auto& x : xs_) {
      if (x == name) return true;
    }
    for (const Step& s : steps_) {
      for (const auto& o : s.node->outputs) {
        if (o == name) return true;
      }
    }
    return false;
  }

  std::shared_ptr<Graph> forward_;
  std::shared_ptr<const CompiledGraph> compiled_;
  std::vector<std::string> xs_;
  std::vector<std::string> inputs_;
  std::string y_;
  std::vector<Step> steps_;
  std::map<std::string, size_t> output_index_;
};

}  // namespace

void register_gradient(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "Gradient";
  def.since_version = 1;
  def.types = "float16, float, double";
  def.infer = [](InferContext& ctx) {
    for (size_t i = 0; i < ctx.node.outputs.size() && i < ctx.num_inputs(); ++i) {
      const TypeInfo& t = ctx.input(i);
      if (t.is_tensor()) ctx.set_output(i, t);
    }
  };
  def.create = [](const KernelInit& init) -> std::unique_ptr<Kernel> { return std::make_unique<GradientKernel>(init); };
  r.add(std::move(def));
}

}  // namespace onnxi::ops::training
