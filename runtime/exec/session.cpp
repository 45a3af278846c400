#include "onnxi/session.h"

#include <sys/resource.h>

#include <cstdlib>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <iomanip>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>

#include "kernels/cpu/large_buffer.h"
#include "kernels/cpu/parallel.h"
#include "onnxi/error.h"
#include "onnxi/loader.h"
#include "ops/training/gradient.h"
#include "runtime/exec/device_cuda.h"
#include "runtime/exec/executor.h"
#include "runtime/graph/prepare.h"
#include "runtime/passes/passes.h"

namespace onnxi {

struct Session::Impl {
  SessionOptions options;
  Model model;
  std::vector<IoInfo> inputs;
  std::vector<IoInfo> outputs;
  std::shared_ptr<const CompiledGraph> main;
  std::unique_ptr<kernels::ThreadArena> arena;
};

namespace {

void warn_no_threads(int threads) {
  static std::once_flag once;
  std::call_once(once, [threads] {
    std::cerr << "onnxi: warning: built without oneTBB, runs are serial (threads=" << threads << " ignored)\n";
  });
}

// A fed tensor must match the declared element type, rank and known dims of its input.
void check_feed(const std::string& name, const Value& v, const TypeInfo& declared) {
  if (declared.kind == TypeInfo::Kind::Unknown) return;
  if (declared.kind == TypeInfo::Kind::Tensor) {
    ONNXI_CHECK(v.is_tensor(), ErrorCode::InvalidArgument, "input '", name, "' must be a tensor ", declared.str(),
                ", got ", v.describe());
    const Tensor& t = v.tensor();
    bool ok = declared.elem == DataType::Undefined || t.dtype() == declared.elem;
    if (ok && declared.has_shape) {
      ok = t.rank() == static_cast<int64_t>(declared.dims.size());
      for (size_t i = 0; ok && i < declared.dims.size(); ++i) {
        ok = !declared.dims[i].is_known() || declared.dims[i].value == t.shape()[i];
      }
    }
    ONNXI_CHECK(ok, ErrorCode::InvalidArgument, "input '", name, "' must be ", declared.str(), ", got ", t.describe());
  } else if (declared.kind == TypeInfo::Kind::Sequence) {
    ONNXI_CHECK(v.is_sequence(), ErrorCode::InvalidArgument, "input '", name, "' must be a sequence, got ", v.describe());
  } else if (declared.kind == TypeInfo::Kind::Optional) {
    // A bare tensor or sequence is accepted as an optional holding it (the executor wraps it).
    if (!v.is_optional() && !v.is_none() && declared.inner) check_feed(name, v, *declared.inner);
  }
}

bool env_off(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && std::string(v) == "0";
}

// ONNXI_CREATION_PROFILE=1: where session creation's time went, on stderr.
bool creation_profile_on() {
  const char* v = std::getenv("ONNXI_CREATION_PROFILE");
  return v != nullptr && *v != '\0' && std::string(v) != "0";
}

// Wall ms, process CPU ms and minor page faults per phase: on a loaded machine the CPU time and
// the faults say more than the wall time.
class CreationClock {
 public:
  explicit CreationClock(bool on) : on_(on) { if (on_) last_ = now(); }
  bool on() const noexcept { return on_; }
  void lap(const char* phase) {
    if (!on_) return;
    const Sample s = now();
    phases_.push_back({phase, s.wall - last_.wall, s.cpu - last_.cpu, s.faults - last_.faults});
    last_ = s;
  }
  void add(const char* phase, double wall, double cpu, long faults) {
    if (on_) phases_.push_back({phase, wall, cpu, faults});
  }
  void print(const exec::CompileTimes& times, int threads) const {
    if (!on_) return;
    Phase total{"total", 0, 0, 0};
    std::ostringstream out;
    out << std::fixed << std::setprecision(1) << "onnxi: session creation, " << threads << " thread"
        << (threads == 1 ? "" : "s") << " (wall ms / cpu ms / minor faults):\n";
    for (const Phase& p : phases_) {
      out << "  " << std::left << std::setw(9) << p.name << std::right << std::setw(9) << p.wall << std::setw(9) << p.cpu
          << std::setw(9) << p.faults << "\n";
      total.wall += p.wall, total.cpu += p.cpu, total.faults += p.faults;
    }
    out << "  " << std::left << std::setw(9) << total.name << std::right << std::setw(9) << total.wall << std::setw(9)
        << total.cpu << std::setw(9) << total.faults << "\n";
    out << "  compile: infer " << times.infer_ms << " ms, kernels " << times.create_ms << " ms\n";
    std::vector<std::pair<double, std::string>> nodes = times.nodes;
    std::stable_sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    double sum = 0;
    for (const auto& n : nodes) sum += n.first;
    out << "  kernel creation, " << nodes.size() << " kernels, " << sum << " ms summed; slowest:\n";
    for (size_t i = 0; i < nodes.size() && i < 8; ++i) out << "    " << nodes[i].first << " ms  " << nodes[i].second << "\n";
    std::cerr << out.str();
  }

  struct Sample {
    double wall = 0, cpu = 0;
    long faults = 0;
  };
  static Sample now() {
    Sample s;
    s.wall = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    s.cpu = (u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e3 + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e3;
    s.faults = u.ru_minflt;
    return s;
  }

 private:
  struct Phase {
    const char* name;
    double wall, cpu;
    long faults;
  };
  bool on_;
  Sample last_;
  std::vector<Phase> phases_;
};

}  // namespace

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

namespace {

// `model_owned`: the model was loaded for this session and nobody else holds its tensors, so the
// passes may overwrite initializers in place (the loader's buffers are its own; the read-only
// mappings of external data it registers, and the fold leaves those alone).
// The session's worker pool (options.threads >= 0, checked by the caller).
std::unique_ptr<kernels::ThreadArena> make_arena(const SessionOptions& options) {
  int threads = options.threads > 0 ? options.threads : kernels::hardware_threads();
  if (threads > 1 && !kernels::threading_available()) {
    if (options.threads > 1) warn_no_threads(options.threads);
    threads = 1;
  }
  return std::make_unique<kernels::ThreadArena>(threads);
}

// Loads a model in the session's arena, so the loader's parallel copies use its threads.
Model load_in(kernels::ThreadArena& arena, const std::function<Model()>& load) {
  Model model;
  std::exception_ptr error;
  arena.execute([&] {
    try {
      model = load();
    } catch (...) {
      error = std::current_exception();
    }
  });
  if (error) std::rethrow_exception(error);
  return model;
}

std::unique_ptr<Session::Impl> create_session(Model model, const SessionOptions& options, bool model_owned,
                                              const CreationClock::Sample* load_start = nullptr,
                                              std::unique_ptr<kernels::ThreadArena> arena = nullptr) {
  CreationClock clock(creation_profile_on());
  if (clock.on() && load_start != nullptr) {
    const CreationClock::Sample s = CreationClock::now();
    clock.add("load", s.wall - load_start->wall, s.cpu - load_start->cpu, s.faults - load_start->faults);
  }
  auto impl = std::make_unique<Session::Impl>();
  impl->options = options;
  exec::require_device(options.device);
  passes::check_level(options.optimization_level);
  ONNXI_CHECK(options.threads >= 0, ErrorCode::InvalidArgument, "threads must be >= 0 (0: all cores), got ", options.threads);
  impl->arena = arena ? std::move(arena) : make_arena(options);
  const int threads = impl->arena->threads();
  clock.lap("arena");

  graph::inline_functions(model);
  // Gradient nodes (ai.onnx.preview.training) need the forward graph they differentiate: this
  // copies it into each one before validation, since a kernel otherwise only sees its own node.
  ops::training::attach_gradient_graphs(model.graph);
  const Registry& standard = Registry::standard();
  graph::validate_graph(model.graph, {}, model, options.custom_ops.get(), standard);
  clock.lap("validate");
  // In the arena: constant folding runs kernels, which should use the session's threads.
  impl->arena->execute([&] {
    passes::run_passes(model, options.optimization_level, nullptr, options.custom_ops.get(), model_owned);
  });
  impl->model = std::move(model);
  clock.lap("passes");

  exec::CompileTimes times;
  exec::CompileEnv env;
  if (clock.on()) env.times = &times;
  env.model = &impl->model;
  env.custom = options.custom_ops.get();
  env.standard = &standard;
  env.plan_memory = options.plan_memory && !env_off("ONNXI_MEMORY_PLAN");
  env.release_packed = options.release_packed_constants && !env_off("ONNXI_RELEASE_PACKED");
  // The compiled graph keeps its own copy of the (cheap to copy: tensors are shared) graph.
  auto graph = std::make_shared<Graph>(impl->model.graph);
  // Loaded weights that kernels pack and release give their pages to the next kernels' packing
  // (kernels/cpu/large_buffer.h); what is left of the pool goes back to the system at the end.
  std::optional<kernels::RecycleScope> recycle;
  if (env.release_packed) recycle.emplace();
  impl->arena->execute([&] { impl->main = exec::compile(graph, env, {}); });
  clock.lap("compile");
  // Packed constants live on in the kernels only: both graph copies let go of them.
  for (const std::string& name : impl->main->released_constants) {
    graph->initializers.erase(name);
    impl->model.graph.initializers.erase(name);
  }
  if (!impl->main->released_constants.empty()) {
    // Freed weights would otherwise sit in the malloc heap, still resident. The tensor buffer
    // cache is left alone (trimming it dropped other sessions' buffers too): the weights passes
    // fold, the ones kernels pack and release, come from the plain allocator.
#ifdef __GLIBC__
    malloc_trim(0);
#endif
  }
  recycle.reset();
  clock.lap("release");

  const CompiledGraph& cg = *impl->main;
  for (size_t i = 0; i < cg.num_inputs(); ++i) {
    if (!cg.input_defaults[i].is_none()) continue;
    impl->inputs.push_back({cg.slot_names[static_cast<size_t>(cg.input_slots[i])], cg.input_type(i)});
  }
  for (size_t i = 0; i < cg.num_outputs(); ++i) {
    impl->outputs.push_back({impl->model.graph.outputs[i].name, cg.output_type(i)});
  }
  clock.print(times, threads);
  return impl;
}

}  // namespace

Session Session::from_file(const std::string& path, const SessionOptions& options) {
  exec::require_device(options.device);  // before a possibly long load
  const bool profiled = creation_profile_on();
  const CreationClock::Sample start = profiled ? CreationClock::now() : CreationClock::Sample();
  if (options.threads < 0) return Session(create_session(load_model_file(path), options, true));  // fails there
  auto arena = make_arena(options);
  Model model = load_in(*arena, [&] { return load_model_file(path); });
  return Session(create_session(std::move(model), options, true, profiled ? &start : nullptr, std::move(arena)));
}

Session Session::from_bytes(const void* data, size_t size, const SessionOptions& options, const std::string& base_dir) {
  if (options.threads < 0) return Session(create_session(load_model_bytes(data, size, base_dir), options, true));
  auto arena = make_arena(options);
  Model model = load_in(*arena, [&] { return load_model_bytes(data, size, base_dir); });
  return Session(create_session(std::move(model), options, true, nullptr, std::move(arena)));
}

Session Session::from_model(Model model, const SessionOptions& options) {
  return Session(create_session(std::move(model), options, false));
}

const std::vector<IoInfo>& Session::inputs() const noexcept { return impl_->inputs; }
const std::vector<IoInfo>& Session::outputs() const noexcept { return impl_->outputs; }
const Model& Session::model() const noexcept { return impl_->model; }

MemoryPlanInfo Session::memory_plan() const {
  const CompiledGraph& cg = *impl_->main;
  MemoryPlanInfo info;
  info.arena_bytes = cg.memory_plan.arena_bytes;
  info.unshared_bytes = cg.memory_plan.unshared_bytes;
  info.planned_values = cg.memory_plan.num_planned;
  for (const exec::Step& st : cg.steps) {
    for (int j : st.inplace) info.in_place_nodes += j >= 0 ? 1 : 0;
  }
  info.released_constant_bytes = cg.released_bytes;
  info.released_constants = cg.released_constants;
  return info;
}
int Session::threads() const noexcept { return impl_->arena->threads(); }

std::vector<Value> Session::run(const std::map<std::string, Value>& feeds, const RunOptions& options) const {
  const CompiledGraph& cg = *impl_->main;
  std::vector<Value> inputs(cg.num_inputs());
  size_t used = 0;
  for (size_t i = 0; i < cg.num_inputs(); ++i) {
    const std::string& name = cg.slot_names[static_cast<size_t>(cg.input_slots[i])];
    auto it = feeds.find(name);
    if (it == feeds.end()) {
      ONNXI_CHECK(!cg.input_defaults[i].is_none(), ErrorCode::InvalidArgument, "input '", name,
                  "' was not fed; the model needs ", cg.input_type(i).str());
      continue;
    }
    check_feed(name, it->second, cg.input_type(i));
    inputs[i] = it->second;
    ++used;
  }
  if (used != feeds.size()) {
    for (const auto& [name, v] : feeds) {
      bool found = false;
      for (int s : cg.input_slots) found |= cg.slot_names[static_cast<size_t>(s)] == name;
      if (!found) {
        std::string names;
        for (const auto& io : impl_->inputs) names += (names.empty() ? "" : ", ") + io.name;
        fail(ErrorCode::InvalidArgument, cat("the model has no input '", name, "'; its inputs are: ", names));
      }
    }
  }
  exec::RunState state;
  state.deadline = options.deadline;
  state.cancel = options.cancel;
  state.profile = options.profile;
  std::vector<Value> outputs;
  std::exception_ptr error;
  impl_->arena->execute([&] {
    try {
      outputs = exec::run(cg, std::move(inputs), nullptr, state);
    } catch (...) {
      error = std::current_exception();
    }
  });
  if (error) std::rethrow_exception(error);
  return outputs;
}

}  // namespace onnxi
