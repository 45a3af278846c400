// The C++ API: load a model once into a Session, then run it as often as needed, from as many threads
// as needed. Session creation does all checking (load, validate, infer types and shapes, create
// kernels, plan), so a model with an unsupported op fails here, naming the op and node.
#pragma once

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "onnxi/ir.h"
#include "onnxi/registry.h"
#include "onnxi/value.h"

namespace onnxi {

struct SessionOptions {
  int threads = 0;                         // intra-op threads; 0: all cores
  std::string device = "cpu";              // cpu | cuda (cuda: a clear error until graphs run there)
  std::string optimization_level = "all";  // none | basic | extended | all (passes hook)
  // Extra ops (a custom domain, or overrides), searched before the built-in ones.
  std::shared_ptr<const Registry> custom_ops;
  // Values whose size is known at creation get fixed offsets in one arena per run (reused by
  // lifetime); off, every value comes from the caching allocator. ONNXI_MEMORY_PLAN=0 turns it off too.
  bool plan_memory = true;
  // Free each constant a kernel packed (MatMul/Gemm/Conv weights) once nothing else reads it;
  // model() then lacks those initializers. ONNXI_RELEASE_PACKED=0 turns it off too.
  bool release_packed_constants = true;
};

// What the memory planner decided for the top-level graph (Session::memory_plan).
struct MemoryPlanInfo {
  size_t arena_bytes = 0;      // planned peak of the values it placed, per concurrent run
  size_t unshared_bytes = 0;   // what the same values take with no reuse between them
  size_t planned_values = 0;   // how many values have an arena offset
  size_t in_place_nodes = 0;   // elementwise nodes that may write over a dying input
  size_t released_constant_bytes = 0;  // packed constants freed after kernel creation
  std::vector<std::string> released_constants;
};

// Wall time of each top-level node of one or more runs (nodes inside If/Loop/Scan bodies count
// toward the node that runs them), in graph order. Pass one to RunOptions::profile; runs add to it.
struct RunProfile {
  struct NodeTime {
    std::string node;     // the node's label, as errors name it
    std::string op_type;
    double total_ms = 0;  // summed over the runs profiled
  };
  std::vector<NodeTime> nodes;
  int runs = 0;
};

struct RunOptions {
  // The run stops with a Cancelled error once this passes (checked between nodes and loop steps).
  std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max();
  const std::atomic<bool>* cancel = nullptr;  // set to true from another thread to stop the run
  RunProfile* profile = nullptr;  // when set, the run adds its per-node times here (not thread-safe: one per run)
};

struct IoInfo {
  std::string name;
  TypeInfo type;
};

class Session {
 public:
  static Session from_file(const std::string& path, const SessionOptions& options = {});
  // `base_dir` resolves external data; empty means the model may not use any.
  static Session from_bytes(const void* data, size_t size, const SessionOptions& options = {},
                            const std::string& base_dir = {});
  static Session from_model(Model model, const SessionOptions& options = {});

  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  const std::vector<IoInfo>& inputs() const noexcept;   // feedable inputs (not initializers)
  const std::vector<IoInfo>& outputs() const noexcept;  // with inferred types and shapes
  // After inlining, validation and passes. Initializers that kernels packed and released (see
  // SessionOptions::release_packed_constants, MemoryPlanInfo::released_constants) are absent.
  const Model& model() const noexcept;
  MemoryPlanInfo memory_plan() const;
  int threads() const noexcept;

  // Feeds by input name; every input without an initializer default must be fed. Returns the
  // graph outputs in outputs() order. Safe to call concurrently.
  std::vector<Value> run(const std::map<std::string, Value>& feeds, const RunOptions& options = {}) const;

  struct Impl;

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace onnxi
