// `onnxi optimize IN.onnx OUT.onnx [--level L]`: the graph passes a session would run, saved as an
// ONNX file (fused nodes in com.onnxi), so a model can be optimized once and loaded many times.
// Weights totalling 2 GiB or more go to OUT.onnx.data next to it.
#include <iostream>
#include <memory>
#include <set>

#include "onnxi/loader.h"
#include "onnxi/registry.h"
#include "runtime/cli/cli.h"
#include "runtime/graph/prepare.h"
#include "runtime/passes/passes.h"

namespace onnxi::cli {
namespace {

struct OptimizeArgs {
  std::string input;
  std::string output;
  std::string level = "all";
};

size_t count_nodes(const Graph& g) {
  size_t n = g.nodes.size();
  for (const Node& node : g.nodes) {
    for (const Attribute& a : node.attributes) {
      if (a.g) n += count_nodes(*a.g);
      for (const auto& sub : a.graphs) n += count_nodes(*sub);
    }
  }
  return n;
}

// Folding leaves the weights it replaced behind (a session never reads them); the file need not.
size_t prune_unused_initializers(Graph& g) {
  std::set<std::string> used;
  for (const Node& n : g.nodes) {
    used.insert(n.inputs.begin(), n.inputs.end());
    for (const Attribute& a : n.attributes) {
      if (a.g) {
        for (const auto& name : graph::free_names(*a.g)) used.insert(name);
      }
      for (const auto& sub : a.graphs) {
        for (const auto& name : graph::free_names(*sub)) used.insert(name);
      }
    }
  }
  for (const auto& v : g.inputs) used.insert(v.name);
  for (const auto& v : g.outputs) used.insert(v.name);
  size_t removed = 0;
  for (auto it = g.initializers.begin(); it != g.initializers.end();) {
    if (used.count(it->first)) {
      ++it;
    } else {
      it = g.initializers.erase(it);
      ++removed;
    }
  }
  return removed;
}

int run_optimize(const OptimizeArgs& args) {
  passes::check_level(args.level);
  Model model = load_model_file(args.input);
  graph::inline_functions(model);
  const size_t before = count_nodes(model.graph);
  graph::validate_graph(model.graph, {}, model, nullptr, Registry::standard());
  const int changes = passes::run_passes(model, args.level);
  model.functions.clear();  // inlined: every call is gone from the graph
  const size_t pruned = prune_unused_initializers(model.graph);
  save_model_file(model, args.output);
  std::cout << args.output << ": " << before << " -> " << count_nodes(model.graph) << " nodes (" << changes
            << " rewrites at level " << args.level << "), " << pruned << " unused initializers dropped\n";
  return 0;
}

}  // namespace

Command add_optimize_command(CLI::App& app) {
  auto args = std::make_shared<OptimizeArgs>();
  CLI::App* sub = app.add_subcommand("optimize", "run the graph passes and save the result as an ONNX model");
  sub->add_option("input", args->input, "the .onnx model to optimize")->required()->check(CLI::ExistingFile);
  sub->add_option("output", args->output, "where to write the optimized .onnx")->required();
  sub->add_option("--level", args->level, "none | basic | extended | all (default all)");
  return {sub, [args] { return run_optimize(*args); }};
}

}  // namespace onnxi::cli
