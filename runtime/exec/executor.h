// The executor: a graph compiled into steps over value slots, and the loop that runs them.
// Compile = infer types and shapes, create kernels, compute each value's last use. Run = execute
// steps in topological order, releasing each intermediate after its last consumer.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "onnxi/registry.h"
#include "onnxi/session.h"
#include "runtime/exec/planner.h"

namespace onnxi::exec {

struct Step {
  const Node* node = nullptr;
  const OpDef* op = nullptr;
  int64_t opset = 0;
  std::unique_ptr<Kernel> kernel;
  std::vector<int> inputs;   // slot per input, -1 when absent
  std::vector<int> outputs;  // slot per output, -1 for ""
  std::vector<bool> wanted;  // output read by someone (or a graph output)
  std::vector<int> release;  // slots whose last use is this step
  std::vector<int> inplace;  // per output: the input it may overwrite (elementwise ops), -1 for none
};

}  // namespace onnxi::exec

namespace onnxi {

class CompiledGraph {
 public:
  std::shared_ptr<const Graph> graph;
  std::vector<std::string> slot_names;
  std::unordered_map<std::string, int> slot_of;
  std::vector<TypeInfo> slot_types;
  std::vector<Value> constants;                  // slot-indexed; None for non-constants
  std::vector<int> input_slots;                  // graph inputs in order
  std::vector<Value> input_defaults;             // initializer defaults for inputs (None: required)
  std::vector<int> output_slots;
  std::vector<std::pair<int, std::string>> outer;  // slots copied from enclosing frames
  std::vector<exec::Step> steps;
  exec::MemoryPlan memory_plan;     // arena offsets of the values with static sizes
  mutable exec::ArenaPool arenas;   // one arena per concurrent run
  // Constants a kernel packed and declared consumed, now shape-only stubs (the session drops them
  // from the model's initializers too), and the bytes that freed.
  std::vector<std::string> released_constants;
  size_t released_bytes = 0;

  size_t num_inputs() const noexcept { return input_slots.size(); }
  size_t num_outputs() const noexcept { return output_slots.size(); }
  const TypeInfo& output_type(size_t i) const { return slot_types[static_cast<size_t>(output_slots[i])]; }
  const TypeInfo& input_type(size_t i) const { return slot_types[static_cast<size_t>(input_slots[i])]; }
};

}  // namespace onnxi

namespace onnxi::exec {

// Where compile's time went (ONNXI_CREATION_PROFILE=1): inference and kernel creation (wall time
// of each batch), and each kernel's own creation time, subgraphs included.
struct CompileTimes {
  double infer_ms = 0, create_ms = 0;
  std::vector<std::pair<double, std::string>> nodes;
};

// What compile needs besides the graph: the model (opsets), the registries, and a symbol source.
struct CompileEnv {
  const Model* model = nullptr;
  const Registry* custom = nullptr;
  const Registry* standard = nullptr;
  std::shared_ptr<std::atomic<int>> symbol_counter = std::make_shared<std::atomic<int>>(0);
  bool plan_memory = true;     // arena offsets for static-size values (SessionOptions::plan_memory)
  bool release_packed = true;  // free constants kernels consumed (SessionOptions::release_packed_constants)
  CompileTimes* times = nullptr;  // filled when set
};

// Names and types visible from the enclosing graph when compiling a subgraph.
struct OuterScope {
  std::map<std::string, TypeInfo> types;
  std::map<std::string, const Tensor*> constants;
};

std::shared_ptr<const CompiledGraph> compile(std::shared_ptr<const Graph> graph, const CompileEnv& env,
                                             const OuterScope& outer);

struct RunState {
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* cancel = nullptr;
  RunProfile* profile = nullptr;  // top-level graph only
  void check() const;
};

// Values of a running graph; subgraph frames look outer names up through `parent`.
struct Frame {
  const CompiledGraph* graph = nullptr;
  std::vector<Value>* values = nullptr;
  const Frame* parent = nullptr;
  const Value* lookup(const std::string& name) const;
};

std::vector<Value> run(const CompiledGraph& g, std::vector<Value> inputs, const Frame* parent, const RunState& state);

}  // namespace onnxi::exec
