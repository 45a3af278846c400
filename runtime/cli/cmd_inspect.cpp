// `onnxi inspect MODEL`: what a model holds and which of its ops onnxi lacks. Works from the loaded
// IR alone (no Session), so it also explains models that fail to create a session.
// `onnxi inspect --passes MODEL [--level L]`: what each graph pass changed, as a session would run
// them (functions inlined, graph validated), and the node counts per op before and after.
#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <tuple>

#include "onnxi/loader.h"
#include "onnxi/registry.h"
#include "ops/training/gradient.h"
#include "runtime/cli/cli.h"
#include "runtime/graph/prepare.h"
#include "runtime/passes/passes.h"

namespace onnxi::cli {
namespace {

std::string domain_label(const std::string& domain) { return domain.empty() ? "ai.onnx" : domain; }

std::string op_label(const Node& n) {
  std::string d = canonical_domain(n.domain);
  return d.empty() ? n.op_type : d + "::" + n.op_type;
}

std::string human_bytes(size_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

struct Unsupported {
  std::vector<std::string> nodes;
  std::string why;
};

struct Census {
  Census(const Model& m, const Registry& r) : model(m), registry(r) {}

  const Model& model;
  const Registry& registry;
  std::map<std::string, int64_t> histogram;
  int64_t main_nodes = 0;
  int64_t subgraph_nodes = 0;
  int64_t subgraphs = 0;
  // (domain, op, opset) -> nodes
  std::map<std::tuple<std::string, std::string, int64_t>, Unsupported> unsupported;

  bool is_local_function(const Node& n) const {
    return std::any_of(model.functions.begin(), model.functions.end(), [&](const FunctionDef& f) {
      return canonical_domain(f.domain) == canonical_domain(n.domain) && f.name == n.op_type;
    });
  }

  void visit(const Graph& g, int depth) {
    for (const Node& n : g.nodes) {
      (depth == 0 ? main_nodes : subgraph_nodes)++;
      histogram[op_label(n)]++;
      check(n);
      for (const Attribute& a : n.attributes) {
        if (a.g) {
          ++subgraphs;
          visit(*a.g, depth + 1);
        }
        for (const auto& sg : a.graphs) {
          if (!sg) continue;
          ++subgraphs;
          visit(*sg, depth + 1);
        }
      }
    }
  }

  void check(const Node& n) {
    std::string domain = canonical_domain(n.domain);
    int64_t opset = n.opset != 0 ? n.opset : model.opset_for(domain);
    if (is_local_function(n)) return;
    std::string why;
    if (opset == 0) {
      why = "domain '" + domain_label(domain) + "' is not in the model's opset imports";
    } else if (registry.find(domain, n.op_type, opset) == nullptr) {
      auto versions = registry.versions(domain, n.op_type);
      if (versions.empty()) {
        why = "not implemented";
      } else {
        why = "implemented for opsets";
        for (const OpDef* d : versions) {
          why += " " + std::to_string(d->since_version);
          why += d->last_version == kLatestOpset ? "+" : d->last_version == d->since_version ? "" : "-" + std::to_string(d->last_version);
        }
        why += " only";
      }
    } else {
      return;
    }
    Unsupported& u = unsupported[{domain, n.op_type, opset}];
    u.nodes.push_back(n.name.empty() ? std::string("(unnamed)") : n.name);
    u.why = why;
  }
};

void print_io(const char* title, const std::vector<ValueInfo>& list, const Graph& g) {
  std::vector<const ValueInfo*> shown;
  size_t with_default = 0;
  for (const ValueInfo& v : list) {
    if (g.initializers.count(v.name)) ++with_default;
    else shown.push_back(&v);
  }
  std::cout << title << " (" << shown.size() << "):\n";
  for (const ValueInfo* v : shown) std::cout << "  " << v->name << ": " << v->type.str() << "\n";
  if (with_default > 0)
    std::cout << "  (+" << with_default << " inputs that have initializer defaults)\n";
}

int inspect_model(const std::string& path) {
  Model model = load_model_file(path);
  const Graph& g = model.graph;
  std::cout << "model: " << path << "\n";
  std::cout << "ir version: " << model.ir_version << "\n";
  std::string producer = model.producer_name;
  if (!model.producer_version.empty()) producer += " " + model.producer_version;
  std::cout << "producer: " << (producer.empty() ? "(not set)" : producer) << "\n";
  std::cout << "opset imports:";
  const char* sep = " ";
  for (const auto& [domain, version] : model.opset_imports) {
    std::cout << sep << domain_label(domain) << " " << version;
    sep = ", ";
  }
  std::cout << "\n";
  if (!g.name.empty()) std::cout << "graph: " << g.name << "\n";
  for (const auto& [key, value] : model.metadata) std::cout << "metadata: " << key << " = " << value.substr(0, 100) << "\n";

  print_io("inputs", g.inputs, g);
  print_io("outputs", g.outputs, Graph{});

  size_t init_bytes = 0;
  for (const auto& [name, t] : g.initializers) init_bytes += t.nbytes();
  std::cout << "initializers: " << g.initializers.size() << " (" << init_bytes << " bytes";
  if (init_bytes >= 1024) std::cout << ", " << human_bytes(init_bytes);
  std::cout << ")\n";

  Census census(model, Registry::standard());
  census.visit(g, 0);
  std::cout << "nodes: " << census.main_nodes;
  if (census.subgraphs > 0)
    std::cout << " (+" << census.subgraph_nodes << " in " << census.subgraphs << " subgraphs)";
  std::cout << "\n";
  if (!model.functions.empty()) std::cout << "local functions: " << model.functions.size() << "\n";

  std::vector<std::pair<std::string, int64_t>> ops(census.histogram.begin(), census.histogram.end());
  std::stable_sort(ops.begin(), ops.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  std::cout << "ops (" << ops.size() << " kinds):\n";
  for (const auto& [op, count] : ops) std::cout << "  " << op << " " << count << "\n";

  if (census.unsupported.empty()) {
    std::cout << "unsupported ops: none\n";
    return 0;
  }
  std::cout << "unsupported ops (" << census.unsupported.size() << "):\n";
  for (const auto& [key, u] : census.unsupported) {
    const auto& [domain, op, opset] = key;
    std::cout << "  " << op << " (domain " << domain_label(domain) << ", opset " << opset << "): " << u.why << "; "
              << u.nodes.size() << (u.nodes.size() == 1 ? " node: " : " nodes: ");
    for (size_t i = 0; i < u.nodes.size() && i < 5; ++i) std::cout << (i ? ", " : "") << u.nodes[i];
    if (u.nodes.size() > 5) std::cout << ", ... (" << u.nodes.size() - 5 << " more)";
    std::cout << "\n";
  }
  return 0;
}

size_t initializer_bytes(const Graph& g) {
  size_t bytes = 0;
  for (const auto& [name, t] : g.initializers) bytes += t.nbytes();
  return bytes;
}

std::string signed_count(int v) { return (v > 0 ? "+" : "") + std::to_string(v); }

int inspect_passes(const std::string& path, const std::string& level) {
  passes::check_level(level);
  Model model = load_model_file(path);
  // The steps Session::from_model takes before its passes, so the counts are what a session sees.
  graph::inline_functions(model);
  ops::training::attach_gradient_graphs(model.graph);
  graph::validate_graph(model.graph, {}, model, nullptr, Registry::standard());
  const std::map<std::string, int> before = passes::op_histogram(model.graph);
  const size_t nodes_before = model.graph.nodes.size(), inits_before = model.graph.initializers.size();
  const size_t bytes_before = initializer_bytes(model.graph);
  std::vector<passes::PassStat> report;
  const auto start = std::chrono::steady_clock::now();
  const int total = passes::run_passes(model, level, &report);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  const std::map<std::string, int> after = passes::op_histogram(model.graph);

  std::cout << "model: " << path << "\n";
  std::cout << "level: " << level << " (" << total << " changes in " << std::fixed << std::setprecision(1) << ms
            << " ms)\n";
  std::cout << "passes (rewrites, time, node count change per op):\n";
  for (const passes::PassStat& s : report) {
    std::cout << "  " << std::left << std::setw(34) << s.pass << std::right << std::setw(6) << s.changes
              << std::setw(9) << s.ms << " ms";
    const char* sep = "  ";
    for (const auto& [op, d] : s.op_delta) {
      std::cout << sep << op << " " << signed_count(d);
      sep = ", ";
    }
    std::cout << "\n";
  }
  std::cout << "nodes: " << nodes_before << " -> " << model.graph.nodes.size() << "\n";
  std::cout << "initializers: " << inits_before << " (" << human_bytes(bytes_before) << ") -> "
            << model.graph.initializers.size() << " (" << human_bytes(initializer_bytes(model.graph)) << ")\n";
  std::set<std::string> ops;
  for (const auto& [op, c] : before) ops.insert(op);
  for (const auto& [op, c] : after) ops.insert(op);
  std::cout << "ops (before -> after):\n";
  for (const std::string& op : ops) {
    const int b = before.count(op) ? before.at(op) : 0, a = after.count(op) ? after.at(op) : 0;
    std::cout << "  " << std::left << std::setw(34) << op << std::right << std::setw(6) << b << " -> " << std::setw(6)
              << a << "\n";
  }
  return 0;
}

}  // namespace

Command add_inspect_command(CLI::App& app) {
  auto path = std::make_shared<std::string>();
  auto show_passes = std::make_shared<bool>(false);
  auto level = std::make_shared<std::string>("all");
  CLI::App* sub = app.add_subcommand("inspect", "Show a model's inputs, outputs, ops and the ops onnxi lacks");
  sub->add_option("model", *path, "the .onnx model")->required()->check(CLI::ExistingFile);
  sub->add_flag("--passes", *show_passes, "show what each graph pass changes, and node counts before/after");
  sub->add_option("--level", *level, "with --passes: none, basic, extended or all (default all)")
      ->check(CLI::IsMember({"none", "basic", "extended", "all"}));
  return {sub, [path, show_passes, level] {
            return *show_passes ? inspect_passes(*path, *level) : inspect_model(*path);
          }};
}

}  // namespace onnxi::cli
