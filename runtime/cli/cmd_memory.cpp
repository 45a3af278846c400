// `onnxi memory MODEL -i NAME=FILE.npy`: resident-set growth from before session creation to after
// one run (the figure bench/memory.py compares with onnxruntime), creation time, and what the
// memory planner decided. Inputs are read before the first measurement, so they do not count.
#include <chrono>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>

#include "onnxi/session.h"
#include "runtime/cli/cli.h"
#include "runtime/cli/npy.h"

namespace onnxi::cli {
namespace {

struct MemoryArgs {
  std::string model;
  std::vector<std::string> inputs;
  int threads = 1;
  bool no_plan = false;
  bool keep_packed = false;
};

// VmRSS from /proc/self/status, in bytes (0 where there is no /proc).
size_t resident_bytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return static_cast<size_t>(std::stoull(line.substr(6))) * 1024;
  }
  return 0;
}

int run_memory(const MemoryArgs& args) {
  std::map<std::string, Value> feeds;
  for (const std::string& arg : args.inputs) {
    auto [name, path] = split_assignment(arg);
    ONNXI_CHECK(!name.empty(), ErrorCode::InvalidArgument, "--input ", arg, ": give NAME=FILE.npy");
    feeds[name] = read_npy(path);
  }
  const size_t rss0 = resident_bytes();
  SessionOptions options;
  options.threads = args.threads;
  options.plan_memory = !args.no_plan;
  options.release_packed_constants = !args.keep_packed;
  const auto t0 = std::chrono::steady_clock::now();
  Session session = Session::from_file(args.model, options);
  const double create_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  const size_t rss1 = resident_bytes();
  const size_t live_before_run = tensor_memory_stats().live_bytes;
  reset_tensor_memory_peak();
  std::vector<Value> outputs = session.run(feeds);
  const size_t run_peak = tensor_memory_stats().peak_bytes - live_before_run;
  const size_t rss2 = resident_bytes();
  const MemoryPlanInfo plan = session.memory_plan();
  auto mib = [](size_t b) { return static_cast<double>(b) / (1 << 20); };
  std::cout.setf(std::ios::fixed);
  std::cout.precision(1);
  std::cout << "create_ms " << create_ms << "\n"
            << "rss_create_mib " << mib(rss1 - rss0) << "\n"
            << "rss_growth_mib " << mib(rss2 - rss0) << "\n"
            << "run_tensor_peak_mib " << mib(run_peak) << "\n"
            << "arena_mib " << mib(plan.arena_bytes) << "\n"
            << "unshared_mib " << mib(plan.unshared_bytes) << "\n"
            << "planned_values " << plan.planned_values << "\n"
            << "in_place_nodes " << plan.in_place_nodes << "\n"
            << "released_constant_mib " << mib(plan.released_constant_bytes) << "\n";
  return 0;
}

}  // namespace

Command add_memory_command(CLI::App& app) {
  auto args = std::make_shared<MemoryArgs>();
  CLI::App* sub = app.add_subcommand("memory", "measure resident-set growth of session creation and one run");
  sub->add_option("model", args->model, "the .onnx model")->required()->check(CLI::ExistingFile);
  sub->add_option("-i,--input", args->inputs, "NAME=FILE.npy; repeatable (every input must be given)");
  sub->add_option("-t,--threads", args->threads, "intra-op threads (default 1)");
  sub->add_flag("--no-plan", args->no_plan, "no memory plan: every value from the caching allocator");
  sub->add_flag("--keep-packed", args->keep_packed, "keep packed constants' original tensors");
  return {sub, [args] { return run_memory(*args); }};
}

}  // namespace onnxi::cli
