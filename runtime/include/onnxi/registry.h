// The operator registry and the interface every op implements.
//
// An op is registered once per (domain, op_type, since_version, last_version) with
//   - infer:  type and shape inference, run once at session creation (symbolic dims allowed);
//   - create: a kernel factory, called once per node at session creation, so a kernel can read
//             attributes and pre-pack constant inputs (weights) before the first run;
// and the kernel's compute() runs on every inference. compute() is const: one kernel object serves
// concurrent runs, so per-run state lives on the stack or in the outputs.
#pragma once

#include <climits>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "onnxi/error.h"
#include "onnxi/ir.h"
#include "onnxi/value.h"

namespace onnxi {

class CompiledGraph;  // a graph ready to run (the executor's); subgraphs of If/Loop/Scan too
class Registry;

inline constexpr int kLatestOpset = INT_MAX;

struct InferContext {
  const Node& node;
  int64_t opset;
  std::vector<const TypeInfo*> input_types;     // null for absent inputs
  std::vector<const Tensor*> constant_inputs;   // value when known at load (initializer, Constant)
  std::vector<TypeInfo> output_types;           // infer fills these; they start Unknown
  std::vector<Tensor> output_constants;         // infer may set values known at load (e.g. Shape)
  std::function<Dim(const std::string&)> make_symbol;  // fresh symbol for data-dependent dims

  size_t num_inputs() const noexcept { return input_types.size(); }
  bool has_input(size_t i) const noexcept { return i < input_types.size() && input_types[i] != nullptr; }
  // The type of input i; an Unknown type when absent.
  const TypeInfo& input(size_t i) const;
  const Tensor* constant(size_t i) const noexcept {
    return i < constant_inputs.size() ? constant_inputs[i] : nullptr;
  }
  void set_output(size_t i, TypeInfo t);
  Dim fresh_dim(const std::string& hint = "d") const { return make_symbol(hint); }
  // InvalidModel error prefixed with the node's label.
  [[noreturn]] void fail(const std::string& message) const;
};

class KernelContext {
 public:
  virtual ~KernelContext() = default;
  virtual const Node& node() const noexcept = 0;
  virtual int64_t opset() const noexcept = 0;
  virtual size_t num_inputs() const noexcept = 0;
  virtual size_t num_outputs() const noexcept = 0;
  // None for an absent optional input.
  virtual const Value& input_value(size_t i) const = 0;
  // Output i is "" or nobody reads it: an op may skip computing it.
  virtual bool output_wanted(size_t i) const noexcept = 0;
  virtual void set_output(size_t i, Value v) = 0;
  // The value stored for output i (None until set).
  virtual Value& output_value(size_t i) = 0;
  // Runs a subgraph compiled at kernel creation; its outer-scope names resolve in this run.
  virtual std::vector<Value> run_subgraph(const CompiledGraph& graph, std::vector<Value> inputs) = 0;
  // Throws Cancelled when the run's deadline passed or it was cancelled (loops call this).
  virtual void check_cancelled() const = 0;

  bool has_input(size_t i) const { return i < num_inputs() && !input_value(i).is_none(); }
  // The tensor of input i; a Runtime error naming the node and input when absent or not a tensor.
  const Tensor& input(size_t i) const;
  // Allocates output i (zero-filled) and returns it for the kernel to write. The executor may
  // place it in the run's memory-plan arena; ops need not care.
  virtual Tensor& allocate_output(size_t i, DataType dtype, Shape shape);
  // The same without zeroing, for kernels that write every element. For the elementwise ops the
  // executor knows (Relu, Add, ...), the result may be the buffer of an input that dies at this
  // node (in-place execution): such a kernel reads element k of that input before writing element k.
  virtual Tensor& allocate_output_uninitialized(size_t i, DataType dtype, Shape shape);
  [[noreturn]] void fail(const std::string& message) const;  // Runtime error with the node label
};

class Kernel {
 public:
  virtual ~Kernel() = default;
  virtual void compute(KernelContext& ctx) const = 0;
};

// A kernel made from a callable `void(KernelContext&)`: for ops with nothing to pre-compute.
template <class F>
std::unique_ptr<Kernel> make_kernel(F fn) {
  struct FnKernel final : Kernel {
    explicit FnKernel(F f) : fn(std::move(f)) {}
    void compute(KernelContext& ctx) const override { fn(ctx); }
    F fn;
  };
  return std::make_unique<FnKernel>(std::move(fn));
}

struct KernelInit {
  const Node& node;
  int64_t opset;
  std::vector<const TypeInfo*> input_types;    // null for absent inputs
  std::vector<const Tensor*> constant_inputs;  // initializers: pack weights from these
  std::vector<const TypeInfo*> output_types;
  const Registry& registry;
  // Compiles a graph attribute of this node (If's branches, Loop's body); null when absent.
  std::function<std::shared_ptr<const CompiledGraph>(const Graph&)> compile_graph;

  // Called by the executor when the kernel declares a constant input consumed; may be empty.
  std::function<void(size_t)> on_consumed;

  const Tensor* constant(size_t i) const noexcept {
    return i < constant_inputs.size() ? constant_inputs[i] : nullptr;
  }
  // The kernel packed constant input i and will never read its elements again, so the session may
  // free the tensor once no other reader needs it (another node, a subgraph, a graph output). Runs
  // then give the kernel a shape-only stub (Tensor::shape_only) for input i: dtype, shape and the
  // original data address as an identity, never to be dereferenced.
  void consumed(size_t i) const {
    if (on_consumed && constant(i) != nullptr) on_consumed(i);
  }
  [[noreturn]] void fail(const std::string& message) const;  // InvalidModel with the node label
};

struct OpDef {
  using InferFn = std::function<void(InferContext&)>;
  using CreateFn = std::function<std::unique_ptr<Kernel>(const KernelInit&)>;

  std::string domain;  // "" for ai.onnx
  std::string op_type;
  int since_version = 1;
  int last_version = kLatestOpset;  // inclusive
  InferFn infer;                    // may be empty: outputs stay Unknown until run
  CreateFn create;
  std::string types;  // for docs/OPERATORS.md: "float, double, int32, ..."
};

class Registry {
 public:
  // Throws if the range overlaps one already registered for the same (domain, op_type).
  void add(OpDef def);
  // The newest implementation whose since_version <= opset and opset <= last_version; else null.
  const OpDef* find(const std::string& domain, const std::string& op_type, int64_t opset) const;
  std::vector<const OpDef*> versions(const std::string& domain, const std::string& op_type) const;
  std::vector<const OpDef*> all() const;
  bool empty() const noexcept { return ops_.empty(); }

  // Every built-in op (ops/register_all.cpp), built once, plus the ops of libonnxi_extras.so when it
  // sits beside libonnxi.so (set ONNXI_NO_EXTRAS=1 to leave it out).
  static const Registry& standard();
  // Ops that only the optional extras component provides (RegexFullMatch needs RE2, ...).
  static bool is_extra_op(const std::string& domain, const std::string& op_type);
  // Whether libonnxi_extras.so was found and registered its ops.
  static bool extras_loaded();

 private:
  std::map<std::pair<std::string, std::string>, std::vector<OpDef>> ops_;
};

// Fills `r` with every built-in op: one call per op family (ops/register_all.cpp).
void register_standard_ops(Registry& r);

}  // namespace onnxi
