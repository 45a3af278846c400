#include "runtime/exec/executor.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <set>

#include "kernels/cpu/large_buffer.h"
#include "kernels/cpu/parallel.h"
#include "onnxi/error.h"
#include "runtime/graph/prepare.h"

namespace onnxi::exec {
namespace {

const Value kNone;

std::vector<const Graph*> subgraphs_of(const Node& n) {
  std::vector<const Graph*> out;
  for (const Attribute& a : n.attributes) {
    if (a.g) out.push_back(a.g.get());
    for (const auto& g : a.graphs) out.push_back(g.get());
  }
  return out;
}

// Elementwise ops whose kernels read element k of each same-shape input before writing element k
// of the output, through allocate_output_uninitialized: their output may take over an input that
// dies at the node (ops/math: compute_unary, compute_binary, compute_clip, Pow's fast path).
bool elementwise_in_place(const std::string& op_type) {
  static const std::set<std::string> ops = {
      "Relu", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus",
      "Softsign", "ThresholdedRelu", "Abs", "Neg", "Sign", "Reciprocal", "Sqrt", "Exp", "Log", "Floor",
      "Ceil", "Round", "Erf", "Sin", "Cos", "Add", "Sub", "Mul", "Div", "Pow", "Clip"};
  return ops.count(op_type) > 0;
}

// Ops whose outputs are views of an input or folded constants: planning a block for them would
// only leave a hole in the arena.
bool returns_view(const std::string& op_type) {
  static const std::set<std::string> ops = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity",
                                            "Constant", "Shape", "Size", "Optional", "OptionalGetElement"};
  return ops.count(op_type) > 0;
}

bool static_tensor_bytes(const TypeInfo& t, size_t& bytes) {
  if (t.kind != TypeInfo::Kind::Tensor || !t.has_shape || t.elem == DataType::Undefined || t.elem == DataType::String) {
    return false;
  }
  int64_t n = 1;
  for (const Dim& d : t.dims) {
    if (!d.is_known() || d.value < 0) return false;
    if (d.value != 0 && n > (int64_t{1} << 40) / d.value) return false;
    n *= d.value;
  }
  bytes = storage_bytes(t.elem, n);
  return true;
}

// A value handed back to the caller must not point into the run's arena, which the next run reuses.
Value detach_from_arena(const Value& v, const Arena& arena) {
  switch (v.kind()) {
    case Value::Kind::Tensor:
      return arena.contains(v.tensor().raw()) ? Value(v.tensor().clone()) : v;
    case Value::Kind::Sequence: {
      std::vector<Value> items;
      for (const Value& item : v.items()) items.push_back(detach_from_arena(item, arena));
      return Value::sequence(v.sequence_elem_type(), std::move(items));
    }
    case Value::Kind::Optional:
      return v.optional_has_value() ? Value::optional_of(detach_from_arena(v.optional_value(), arena)) : v;
    case Value::Kind::Map:
      return Value::map(detach_from_arena(v.items()[0], arena).tensor(), detach_from_arena(v.items()[1], arena));
    default:
      return v;
  }
}

class StepContext final : public KernelContext, public AllocationHook {
 public:
  StepContext(const Step& step, std::vector<Value>& values, const Frame& frame, const RunState& state,
              const std::shared_ptr<Arena>& arena, const MemoryPlan& plan)
      : step_(step), values_(values), frame_(frame), state_(state), arena_(arena), plan_(plan),
        scratch_(step.outputs.size()), taken_(step.outputs.size(), false) {}

  // Buffers a kernel allocates itself (Tensor::uninitialized, then set_output: Conv, Gemm, ...)
  // take a planned output block of their size: whatever they turn out to be, the live flags keep
  // the block from being shared while it is held.
  void* take(size_t bytes, std::shared_ptr<const void>& owner) override {
    const size_t rounded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
    for (size_t i = 0; i < step_.outputs.size(); ++i) {
      const int slot = step_.outputs[i];
      if (taken_[i] || !plan_.planned(slot) || plan_.bytes[static_cast<size_t>(slot)] != rounded) continue;
      if (void* p = arena_block(arena_, plan_, slot, bytes, owner)) {
        taken_[i] = true;
        return p;
      }
    }
    return nullptr;
  }

  Tensor& allocate_output(size_t i, DataType dtype, Shape shape) override {
    if (Tensor* t = from_arena(i, dtype, shape, /*zero=*/true)) return *t;
    return KernelContext::allocate_output(i, dtype, std::move(shape));
  }
  Tensor& allocate_output_uninitialized(size_t i, DataType dtype, Shape shape) override {
    if (i < step_.inplace.size() && step_.inplace[i] >= 0) {
      Value& in = values_[static_cast<size_t>(step_.inputs[static_cast<size_t>(step_.inplace[i])])];
      // The slot must be the buffer's only holder: a view elsewhere (Reshape) would see the write.
      if (in.is_tensor() && in.tensor().dtype() == dtype && in.tensor().shape() == shape &&
          in.tensor().holds_buffer() && in.tensor().buffer_use_count() == 1 && dtype != DataType::String) {
        set_output(i, in);
        return output_value(i).tensor();
      }
    }
    if (Tensor* t = from_arena(i, dtype, shape, /*zero=*/false)) return *t;
    return KernelContext::allocate_output_uninitialized(i, dtype, std::move(shape));
  }

  const Node& node() const noexcept override { return *step_.node; }
  int64_t opset() const noexcept override { return step_.opset; }
  size_t num_inputs() const noexcept override { return step_.inputs.size(); }
  size_t num_outputs() const noexcept override { return step_.outputs.size(); }
  const Value& input_value(size_t i) const override {
    if (i >= step_.inputs.size() || step_.inputs[i] < 0) return kNone;
    return values_[static_cast<size_t>(step_.inputs[i])];
  }
  bool output_wanted(size_t i) const noexcept override { return i < step_.wanted.size() && step_.wanted[i]; }
  void set_output(size_t i, Value v) override { output_value(i) = std::move(v); }
  Value& output_value(size_t i) override {
    if (i >= step_.outputs.size()) fail(cat("has no output ", i, " (the node lists ", step_.outputs.size(), ")"));
    int slot = step_.outputs[i];
    return slot < 0 ? scratch_[i] : values_[static_cast<size_t>(slot)];
  }
  std::vector<Value> run_subgraph(const CompiledGraph& graph, std::vector<Value> inputs) override {
    return run(graph, std::move(inputs), &frame_, state_);
  }
  void check_cancelled() const override { state_.check(); }

 private:
  Tensor* from_arena(size_t i, DataType dtype, const Shape& shape, bool zero) {
    if (!arena_ || i >= step_.outputs.size() || step_.outputs[i] < 0 || taken_[i]) return nullptr;
    Tensor t = arena_tensor(arena_, plan_, step_.outputs[i], dtype, shape, zero);
    if (!t.defined()) return nullptr;
    taken_[i] = true;
    set_output(i, Value(std::move(t)));
    return &output_value(i).tensor();
  }

  const Step& step_;
  std::vector<Value>& values_;
  const Frame& frame_;
  const RunState& state_;
  const std::shared_ptr<Arena>& arena_;
  const MemoryPlan& plan_;
  std::vector<Value> scratch_;
  std::vector<bool> taken_;  // output blocks handed out during this step
};

[[noreturn]] void rethrow_with_node(const Node& node, const std::exception& e) {
  std::string label = node.label();
  if (const auto* err = dynamic_cast<const Error*>(&e)) {
    std::string msg = err->what();
    if (msg.find(label) != std::string::npos) throw *err;
    throw Error(err->code(), label + ": " + msg);
  }
  throw Error(ErrorCode::Runtime, label + ": internal error: " + e.what());
}

}  // namespace

void RunState::check() const {
  if (cancel && cancel->load(std::memory_order_relaxed)) fail(ErrorCode::Cancelled, "run cancelled");
  if (deadline != std::chrono::steady_clock::time_point::max() && std::chrono::steady_clock::now() > deadline) {
    fail(ErrorCode::Cancelled, "run stopped: its deadline passed");
  }
}

const Value* Frame::lookup(const std::string& name) const {
  for (const Frame* f = this; f; f = f->parent) {
    auto it = f->graph->slot_of.find(name);
    if (it != f->graph->slot_of.end()) {
      const Value& v = (*f->values)[static_cast<size_t>(it->second)];
      if (!v.is_none()) return &v;
    }
  }
  return nullptr;
}

namespace {

// In-place candidates and arena offsets, once every step's types and last uses are known.
void plan_steps(CompiledGraph& cg, const CompileEnv& env, const std::set<std::string>& input_names,
                const std::vector<int>& last_use, const std::vector<bool>& keep) {
  const size_t nslots = cg.slot_names.size();
  std::vector<bool> outer(nslots, false);
  for (const auto& [slot, name] : cg.outer) outer[static_cast<size_t>(slot)] = true;
  auto dies_here = [&](int slot, size_t si) {
    const auto s = static_cast<size_t>(slot);
    return !keep[s] && !outer[s] && !input_names.count(cg.slot_names[s]) && cg.constants[s].is_none() &&
           last_use[s] == static_cast<int>(si);
  };
  std::vector<PlanRequest> requests;
  for (size_t si = 0; si < cg.steps.size(); ++si) {
    Step& st = cg.steps[si];
    st.inplace.assign(st.outputs.size(), -1);
    const bool standard_op = st.node->domain.empty() && env.standard->find("", st.node->op_type, st.opset) == st.op;
    if (standard_op && elementwise_in_place(st.node->op_type) && !st.outputs.empty() && st.outputs[0] >= 0 &&
        !keep[static_cast<size_t>(st.outputs[0])]) {
      const TypeInfo& out = cg.slot_types[static_cast<size_t>(st.outputs[0])];
      for (size_t j = 0; j < st.inputs.size() && j < 2 && st.inplace[0] < 0; ++j) {
        const int slot = st.inputs[j];
        if (slot < 0 || !dies_here(slot, si) || std::count(st.inputs.begin(), st.inputs.end(), slot) != 1) continue;
        const TypeInfo& in = cg.slot_types[static_cast<size_t>(slot)];
        // Prefer the input with the output's shape; with shapes unknown the run compares them.
        const bool same = in.kind == TypeInfo::Kind::Tensor && out.kind == TypeInfo::Kind::Tensor && in.has_shape &&
                          out.has_shape && in.elem == out.elem && in.dims == out.dims;
        const bool unknown = !in.has_shape || !out.has_shape;
        if (same || (unknown && j == 0)) st.inplace[0] = static_cast<int>(j);
      }
    }
    if (!env.plan_memory || returns_view(st.node->op_type)) continue;
    for (size_t oi = 0; oi < st.outputs.size(); ++oi) {
      const int slot = st.outputs[oi];
      if (slot < 0 || keep[static_cast<size_t>(slot)]) continue;
      PlanRequest r;
      if (!static_tensor_bytes(cg.slot_types[static_cast<size_t>(slot)], r.bytes)) continue;
      r.slot = slot;
      r.first_step = static_cast<int>(si);
      r.last_step = std::max(r.first_step, last_use[static_cast<size_t>(slot)]);
      r.inplace_of = st.inplace[oi] >= 0 ? st.inputs[static_cast<size_t>(st.inplace[oi])] : -1;
      requests.push_back(r);
    }
  }
  cg.memory_plan = plan_memory(nslots, requests);
}

}  // namespace

std::shared_ptr<const CompiledGraph> compile(std::shared_ptr<const Graph> graph, const CompileEnv& env,
                                             const OuterScope& outer) {
  auto cg = std::make_shared<CompiledGraph>();
  cg->graph = graph;
  const Graph& g = *graph;
  auto add_slot = [&](const std::string& name) -> int {
    auto it = cg->slot_of.find(name);
    if (it != cg->slot_of.end()) return it->second;
    int slot = static_cast<int>(cg->slot_names.size());
    cg->slot_names.push_back(name);
    cg->slot_of[name] = slot;
    return slot;
  };
  std::set<std::string> input_names;
  for (const auto& v : g.inputs) {
    add_slot(v.name);
    input_names.insert(v.name);
  }
  for (const auto& [name, t] : g.initializers) add_slot(name);
  std::set<std::string> free = graph::free_names(g);
  for (const auto& name : free) add_slot(name);
  for (const Node& n : g.nodes) {
    for (const auto& o : n.outputs) {
      if (!o.empty()) add_slot(o);
    }
  }
  const size_t nslots = cg->slot_names.size();
  cg->slot_types.resize(nslots);
  cg->constants.resize(nslots);
  std::vector<const Tensor*> known(nslots, nullptr);
  std::vector<Tensor> folded(nslots);  // values inference learned (Constant, static Shape)

  for (const auto& v : g.inputs) {
    int slot = cg->slot_of[v.name];
    cg->input_slots.push_back(slot);
    cg->slot_types[static_cast<size_t>(slot)] = v.type;
    auto it = g.initializers.find(v.name);
    cg->input_defaults.push_back(it == g.initializers.end() ? Value() : Value(it->second));
    if (it != g.initializers.end() && v.type.kind == TypeInfo::Kind::Unknown) {
      cg->slot_types[static_cast<size_t>(slot)] = TypeInfo::tensor_of_shape(it->second.dtype(), it->second.shape());
    }
  }
  for (const auto& [name, t] : g.initializers) {
    if (input_names.count(name)) continue;  // an overridable default, not a constant
    auto slot = static_cast<size_t>(cg->slot_of[name]);
    cg->constants[slot] = Value(t);
    cg->slot_types[slot] = TypeInfo::tensor_of_shape(t.dtype(), t.shape());
    known[slot] = &t;
  }
  for (const auto& name : free) {
    int slot = cg->slot_of[name];
    cg->outer.emplace_back(slot, name);
    auto ti = outer.types.find(name);
    if (ti != outer.types.end()) cg->slot_types[static_cast<size_t>(slot)] = ti->second;
    auto ci = outer.constants.find(name);
    if (ci != outer.constants.end()) known[static_cast<size_t>(slot)] = ci->second;
  }
  std::map<std::string, const TypeInfo*> declared;
  for (const auto& v : g.value_info) declared[v.name] = &v.type;
  for (const auto& v : g.outputs) declared[v.name] = &v.type;

  // Last use of each slot: explicit inputs, plus outer names read by a node's subgraphs.
  std::vector<int> last_use(nslots, -1);
  std::vector<int> readers(nslots, 0);
  for (size_t si = 0; si < g.nodes.size(); ++si) {
    const Node& n = g.nodes[si];
    for (const auto& in : n.inputs) {
      if (in.empty()) continue;
      auto s = static_cast<size_t>(cg->slot_of.at(in));
      last_use[s] = static_cast<int>(si);
      ++readers[s];
    }
    for (const Graph* sg : subgraphs_of(n)) {
      for (const auto& name : graph::free_names(*sg)) {
        auto it = cg->slot_of.find(name);
        if (it == cg->slot_of.end()) continue;
        last_use[static_cast<size_t>(it->second)] = static_cast<int>(si);
        ++readers[static_cast<size_t>(it->second)];
      }
    }
  }
  std::vector<bool> keep(nslots, false);
  for (const auto& v : g.outputs) {
    int slot = add_slot(v.name);
    cg->output_slots.push_back(slot);
    keep[static_cast<size_t>(slot)] = true;
  }
  for (size_t s = 0; s < nslots; ++s) {
    if (!cg->constants[s].is_none()) keep[s] = true;
  }

  const Registry& standard = *env.standard;
  // Kernels are created after their node's inference, in batches: nodes without subgraphs whose op
  // is a standard one wait in `pending` and are created together (packing weights in parallel on
  // the session's threads); a node with subgraphs (its compile reads every slot type known so far)
  // or a custom op (whose factory may not be thread-safe) first creates the batch, then itself.
  // Any error is the one a node-by-node compile would meet first: a batch reports its lowest
  // failing node, and an error at node k only after the nodes before k were created.
  struct PendingKernel {
    size_t step = 0;
    std::vector<const TypeInfo*> in_types;
    std::vector<const Tensor*> in_consts;
    std::vector<const TypeInfo*> out_types;
    std::vector<size_t> consumed;
    std::exception_ptr error;
    double ms = 0;
  };
  std::vector<PendingKernel> pending;
  const bool timed = env.times != nullptr;
  auto make_init = [&, graph](PendingKernel& pk) {
    const Node& n = *cg->steps[pk.step].node;
    return KernelInit{n, cg->steps[pk.step].opset, pk.in_types, pk.in_consts, pk.out_types, standard,
                      [&, graph](const Graph& sub) -> std::shared_ptr<const CompiledGraph> {
                        OuterScope scope = outer;
                        for (size_t s = 0; s < nslots; ++s) {
                          scope.types[cg->slot_names[s]] = cg->slot_types[s];
                          if (known[s]) scope.constants[cg->slot_names[s]] = known[s];
                          else scope.constants.erase(cg->slot_names[s]);
                        }
                        // Aliasing pointer: the subgraph lives as long as the graph that owns it.
                        return compile(std::shared_ptr<const Graph>(graph, &sub), env, scope);
                      },
                      env.release_packed
                          ? std::function<void(size_t)>([&pk](size_t i) { pk.consumed.push_back(i); })
                          : std::function<void(size_t)>()};
  };
  // A constant nobody else reads (no other node, subgraph or graph output): release_consumed drops
  // it once the batch is made.
  auto releasable = [&](const Step& st, size_t i) -> const Value* {
    if (i >= st.inputs.size() || st.inputs[i] < 0) return nullptr;
    const auto slot = static_cast<size_t>(st.inputs[i]);
    const Value& c = cg->constants[slot];
    bool graph_output = false;
    for (const auto& v : g.outputs) graph_output |= v.name == cg->slot_names[slot];
    return c.is_tensor() && c.tensor().holds_buffer() && readers[slot] == 1 && !graph_output ? &c : nullptr;
  };
  // Whether the constant's buffer is held by nothing but its slot and the graph copies' initializer
  // entries (no view, alias or caller's copy shares it): only then may its pages be donated.
  auto sole_holders = [&](const Value& c, const std::string& name) {
    long holders = 1;
    const Graph* model_graph = env.model != nullptr ? &env.model->graph : nullptr;
    for (const Graph* gr : {&g, model_graph == &g ? nullptr : model_graph}) {
      if (gr == nullptr) continue;
      auto it = gr->initializers.find(name);
      if (it != gr->initializers.end() && it->second.raw() == c.tensor().raw()) ++holders;
    }
    return c.tensor().buffer_use_count() == holders;
  };
  // Creates one kernel; an error is kept, labelled with the node, for create_pending to order.
  // The loaded weights it packed and released are donated at once to the creation's recycling
  // pool (kernels/cpu/large_buffer.h), so the next kernels pack into their pages.
  auto create_one = [&](PendingKernel& pk) {
    Step& st = cg->steps[pk.step];
    const auto start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    try {
      try {
        st.kernel = st.op->create(make_init(pk));
      } catch (const std::exception& e) {
        rethrow_with_node(*st.node, e);
      }
      ONNXI_CHECK(st.kernel, ErrorCode::Runtime, st.node->label(), ": the op's factory returned no kernel");
      for (size_t i : pk.consumed) {
        const Value* c = releasable(st, i);
        if (c != nullptr && sole_holders(*c, cg->slot_names[static_cast<size_t>(st.inputs[i])])) {
          kernels::donate_large(c->tensor().raw());
        }
      }
    } catch (...) {
      pk.error = std::current_exception();
    }
    if (timed) pk.ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  // A packed constant nobody else reads (no other node, subgraph or graph output) is dropped:
  // runs pass the kernel a shape-only stub, and the session drops the model's copy.
  auto release_consumed = [&](const PendingKernel& pk) {
    const Step& st = cg->steps[pk.step];
    for (size_t i : pk.consumed) {
      if (releasable(st, i) != nullptr) {
        const auto slot = static_cast<size_t>(st.inputs[i]);
        Value& c = cg->constants[slot];
        cg->released_bytes += c.tensor().nbytes();
        c = Value(c.tensor().shape_only());
        cg->released_constants.push_back(cg->slot_names[slot]);
      }
    }
  };
  auto create_pending = [&] {
    if (pending.empty()) return;
    const auto start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    kernels::parallel_for(0, static_cast<int64_t>(pending.size()), 1, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) create_one(pending[static_cast<size_t>(i)]);
    });
    if (timed) {
      env.times->create_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      for (const PendingKernel& pk : pending) env.times->nodes.emplace_back(pk.ms, cg->steps[pk.step].node->label());
    }
    for (PendingKernel& pk : pending) {
      if (pk.error) {
        std::exception_ptr error = pk.error;
        pending.clear();
        std::rethrow_exception(error);
      }
      release_consumed(pk);
    }
    pending.clear();
  };
  auto infer_start = std::chrono::steady_clock::time_point();
  for (size_t si = 0; si < g.nodes.size(); ++si) {
    const Node& n = g.nodes[si];
    if (timed) infer_start = std::chrono::steady_clock::now();
    Step st;
    st.node = &n;
    st.opset = graph::node_opset(n, *env.model);
    st.op = graph::resolve_op(n, *env.model, env.custom, standard);
    if (!st.op) create_pending();
    ONNXI_CHECK(st.op, ErrorCode::NotImplemented, n.label(), ": no implementation for opset ", st.opset);
    PendingKernel pk;
    pk.step = si;
    for (const auto& in : n.inputs) {
      if (in.empty()) {
        st.inputs.push_back(-1);
        pk.in_types.push_back(nullptr);
        pk.in_consts.push_back(nullptr);
        continue;
      }
      auto slot = static_cast<size_t>(cg->slot_of.at(in));
      st.inputs.push_back(static_cast<int>(slot));
      pk.in_types.push_back(&cg->slot_types[slot]);
      pk.in_consts.push_back(known[slot]);
    }
    InferContext ictx{n, st.opset, pk.in_types, pk.in_consts, std::vector<TypeInfo>(n.outputs.size()),
                      std::vector<Tensor>(n.outputs.size()),
                      [counter = env.symbol_counter](const std::string& hint) {
                        return Dim::symbol(cat(hint, "_", (*counter)++));
                      }};
    if (st.op->infer) {
      try {
        st.op->infer(ictx);
      } catch (const std::exception& e) {
        create_pending();
        rethrow_with_node(n, e);
      }
    }
    for (size_t oi = 0; oi < n.outputs.size(); ++oi) {
      const std::string& o = n.outputs[oi];
      if (o.empty()) {
        st.outputs.push_back(-1);
        st.wanted.push_back(false);
        continue;
      }
      auto slot = static_cast<size_t>(cg->slot_of.at(o));
      st.outputs.push_back(static_cast<int>(slot));
      st.wanted.push_back(readers[slot] > 0 || keep[slot]);
      TypeInfo t = oi < ictx.output_types.size() ? ictx.output_types[oi] : TypeInfo{};
      auto d = declared.find(o);
      if (d != declared.end() && (t.kind == TypeInfo::Kind::Unknown ||
                                  (t.kind == TypeInfo::Kind::Tensor && !t.has_shape && d->second->has_shape &&
                                   d->second->elem == t.elem))) {
        t = *d->second;
      }
      cg->slot_types[slot] = std::move(t);
      if (oi < ictx.output_constants.size() && ictx.output_constants[oi].defined()) {
        folded[slot] = ictx.output_constants[oi];
        known[slot] = &folded[slot];
      }
      if (last_use[slot] < 0 && !keep[slot]) st.release.push_back(static_cast<int>(slot));
    }
    for (int s : st.outputs) pk.out_types.push_back(s < 0 ? nullptr : &cg->slot_types[static_cast<size_t>(s)]);
    const bool batched = subgraphs_of(n).empty() && standard.find(n.domain, n.op_type, st.opset) == st.op;
    cg->steps.push_back(std::move(st));
    if (timed) env.times->infer_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - infer_start).count();
    pending.push_back(std::move(pk));
    if (!batched) {
      // Created alone, after the nodes before it, in the order a node-by-node compile would.
      PendingKernel self = std::move(pending.back());
      pending.pop_back();
      create_pending();
      create_one(self);
      if (timed) {
        env.times->create_ms += self.ms;
        env.times->nodes.emplace_back(self.ms, n.label());
      }
      if (self.error) std::rethrow_exception(self.error);
      release_consumed(self);
    }
  }
  create_pending();
  for (size_t s = 0; s < nslots; ++s) {
    if (last_use[s] >= 0 && !keep[s]) cg->steps[static_cast<size_t>(last_use[s])].release.push_back(static_cast<int>(s));
  }
  plan_steps(*cg, env, input_names, last_use, keep);
  return cg;
}

namespace {

// The run's arena goes back to the graph's pool after the run's values are gone (declared before
// them, so it is destroyed after them), also when a kernel throws.
struct ArenaLease {
  ArenaPool* pool = nullptr;
  std::shared_ptr<Arena> arena;
  ArenaLease() = default;
  ArenaLease(const ArenaLease&) = delete;
  ArenaLease& operator=(const ArenaLease&) = delete;
  ~ArenaLease() {
    if (pool) pool->give(std::move(arena));
  }
};

}  // namespace

std::vector<Value> run(const CompiledGraph& g, std::vector<Value> inputs, const Frame* parent, const RunState& state) {
  ArenaLease lease;
  if (g.memory_plan.arena_bytes > 0) {
    lease.pool = &g.arenas;
    lease.arena = g.arenas.take(g.memory_plan.arena_bytes, g.slot_names.size());
  }
  std::vector<Value> values = g.constants;
  ONNXI_CHECK(inputs.size() <= g.input_slots.size(), ErrorCode::InvalidArgument, "graph '", g.graph->name, "' takes ",
              g.input_slots.size(), " inputs, got ", inputs.size());
  for (size_t i = 0; i < g.input_slots.size(); ++i) {
    Value v = i < inputs.size() ? std::move(inputs[i]) : Value();
    if (v.is_none()) v = g.input_defaults[i];
    // A value given where the graph declares an optional is that optional, holding it: a Loop
    // body's optional carried input receives the plain value its previous iteration produced.
    const int slot = g.input_slots[i];
    if (!v.is_none() && !v.is_optional() && g.slot_types[static_cast<size_t>(slot)].kind == TypeInfo::Kind::Optional) {
      v = Value::optional_of(std::move(v));
    }
    values[static_cast<size_t>(slot)] = std::move(v);
  }
  for (const auto& [slot, name] : g.outer) {
    const Value* v = parent ? parent->lookup(name) : nullptr;
    ONNXI_CHECK(v, ErrorCode::Runtime, "graph '", g.graph->name, "' reads '", name, "' from an enclosing scope, which has no such value");
    values[static_cast<size_t>(slot)] = *v;
  }
  Frame frame{&g, &values, parent};
  RunProfile* profile = parent == nullptr ? state.profile : nullptr;
  if (profile != nullptr) {
    if (profile->nodes.size() != g.steps.size()) {
      profile->nodes.clear();
      for (const Step& st : g.steps) profile->nodes.push_back({st.node->label(), st.node->op_type, 0.0});
    }
    ++profile->runs;
  }
  for (size_t step = 0; step < g.steps.size(); ++step) {
    const Step& st = g.steps[step];
    state.check();
    StepContext ctx(st, values, frame, state, lease.arena, g.memory_plan);
    const auto start = profile != nullptr ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
    try {
      ScopedAllocationHook hook(lease.arena ? &ctx : nullptr);
      st.kernel->compute(ctx);
    } catch (const std::exception& e) {
      rethrow_with_node(*st.node, e);
    }
    if (profile != nullptr) {
      profile->nodes[step].total_ms +=
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    }
    for (size_t i = 0; i < st.outputs.size(); ++i) {
      if (st.wanted[i] && values[static_cast<size_t>(st.outputs[i])].is_none()) {
        fail(ErrorCode::Runtime, cat(st.node->label(), ": produced no value for output ", i, " ('", st.node->outputs[i], "')"));
      }
    }
    for (int s : st.release) values[static_cast<size_t>(s)] = Value();
  }
  std::vector<Value> out;
  out.reserve(g.output_slots.size());
  for (int s : g.output_slots) {
    const Value& v = values[static_cast<size_t>(s)];
    out.push_back(lease.arena ? detach_from_arena(v, *lease.arena) : v);
  }
  values.clear();
  return out;
}

}  // namespace onnxi::exec
