#include "runtime/passes/passes.h"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <set>

#include "onnxi/error.h"
#include "runtime/graph/prepare.h"
#include "runtime/passes/pass_util.h"

namespace onnxi::passes {

namespace {

// The basic passes undo each other's leftovers (folding makes nodes dead, removing a no-op
// makes two nodes equal), so they repeat; each round must change something, and rounds are capped
// so a pair of passes that kept undoing each other could not loop forever.
constexpr int kMaxBasicRounds = 8;

class Runner {
 public:
  Runner(Model& model, std::vector<PassStat>* report) : model_(model), report_(report) {}

  int run(const std::string& name, const std::function<int()>& pass) {
    std::map<std::string, int> before;
    if (report_ != nullptr) before = op_histogram(model_.graph);
    const auto start = std::chrono::steady_clock::now();
    const int changes = pass();
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    total_ += changes;
    if (report_ == nullptr) return changes;
    PassStat* stat = nullptr;
    for (PassStat& s : *report_) {
      if (s.pass == name) stat = &s;
    }
    if (stat == nullptr) {
      report_->push_back(PassStat{name, 0, {}, 0});
      stat = &report_->back();
    }
    stat->changes += changes;
    stat->ms += ms;
    for (const auto& [op, count] : op_histogram(model_.graph)) before[op] -= count;
    for (const auto& [op, diff] : before) {
      if (diff == 0) continue;
      if ((stat->op_delta[op] -= diff) == 0) stat->op_delta.erase(op);
    }
    return changes;
  }
  int total() const { return total_; }
  void add(int changes) { total_ += changes; }
  std::vector<PassStat>* report() const { return report_; }

 private:
  Model& model_;
  std::vector<PassStat>* report_;
  int total_ = 0;
};

}  // namespace

std::string op_key(const Node& n) {
  const std::string d = canonical_domain(n.domain);
  return d.empty() ? n.op_type : d + "::" + n.op_type;
}

std::map<std::string, int> op_histogram(const Graph& g) {
  std::map<std::string, int> h;
  for (const Node& n : g.nodes) ++h[op_key(n)];
  return h;
}

void check_level(const std::string& level) {
  ONNXI_CHECK(level == "none" || level == "basic" || level == "extended" || level == "all", ErrorCode::InvalidArgument,
              "optimization level '", level, "' is not one of none, basic, extended, all");
}

namespace {

// Gives g a copy of its own of every subgraph below it: copies of a Graph share their bodies
// (shared_ptr), so a body rewritten in place would change the caller's model too.
void own_bodies(Graph& g) {
  for (Node& n : g.nodes) {
    for (Attribute& a : n.attributes) {
      if (a.g) {
        a.g = std::make_shared<Graph>(*a.g);
        own_bodies(*a.g);
      }
      for (auto& sub : a.graphs) {
        if (!sub) continue;
        sub = std::make_shared<Graph>(*sub);
        own_bodies(*sub);
      }
    }
  }
}

// The basic passes to a fixed point, then the extended ones, on model.graph. The NCHWc layout is
// left to the caller (main graph only).
void run_level(Model& model, const std::string& level, Runner& r, const Registry* custom, bool writable) {
  Graph& g = model.graph;
  for (int round = 0; round < kMaxBasicRounds; ++round) {
    int changes = 0;
    changes += r.run("eliminate_noops", [&] { return eliminate_noops(model, custom); });
    changes += r.run("collapse_reshape_chains", [&] { return collapse_reshape_chains(model, custom); });
    changes += r.run("fold_shapes", [&] { return fold_shapes(model, custom); });
    changes += r.run("fold_constants", [&] { return fold_constants(model, custom); });
    changes += r.run("eliminate_common_subexpressions", [&] { return eliminate_common_subexpressions(model, custom); });
    changes += r.run("eliminate_dead_nodes", [&] { return eliminate_dead_nodes(model, custom); });
    // Dropping an initializer nobody reads gives the passes above nothing new to do: alone, it
    // ends the rounds (ResNet-50's first round removes 265 of them and changes nothing else).
    r.run("remove_unused_initializers", [&] { return remove_unused_initializers(g); });
    if (changes == 0) break;
  }
  if (level == "extended" || level == "all") {
    r.run("fold_conv_batchnorm", [&] { return fold_conv_batchnorm(g, writable); });
    r.run("fold_conv_mul_add", [&] { return fold_conv_mul_add(g); });
    r.run("fuse_layernorm", [&] { return fuse_layernorm(model); });
    r.run("fuse_gelu", [&] { return fuse_gelu(model); });
    // Attention before the Transpose fold: the fold would eat the K transpose the pattern needs.
    r.run("fuse_attention", [&] { return fuse_attention(model); });
    r.run("fold_transpose_matmul", [&] { return fold_transpose_matmul(model); });
    r.run("fuse_matmul_bias", [&] { return fuse_matmul_bias(model); });
    r.run("fuse_conv_activation", [&] { return fuse_conv_activation(model); });
    // The folds above leave the original weights behind.
    r.run("remove_unused_initializers", [&] { return remove_unused_initializers(g); });
  }
}

// The constants g's bodies may read from outside: `outer` (what g itself sees) without the names
// g defines, plus g's initializers that no input of g overrides.
std::map<std::string, Tensor> constants_inside(const Graph& g, std::map<std::string, Tensor> outer) {
  for (const ValueInfo& v : g.inputs) outer.erase(v.name);
  for (const Node& n : g.nodes) {
    for (const std::string& o : n.outputs) outer.erase(o);
  }
  for (const auto& [name, t] : g.initializers) outer[name] = t;
  for (const ValueInfo& v : g.inputs) outer.erase(v.name);
  return outer;
}

// Runs the basic and extended passes on every If/Loop/Scan body below g, innermost first, each
// as a graph of its own: its inputs and outputs are its interface (kept, like a main graph's).
// An outer value it reads counts as a constant only when it is an initializer of an enclosing
// graph that no input overrides and no nearer scope shadows: the body then gets it as an
// initializer of its own (the same tensor, not a copy), so folds and fusions see it; any other
// outer value is an unknown non-constant to it. The outer graph's passes run afterwards and see
// what the bodies still read (GraphUses counts those reads).
void run_on_bodies(Model& model, Graph& g, const std::string& level, Runner& r, const Registry* custom,
                   const std::map<std::string, Tensor>& outer) {
  const std::map<std::string, Tensor> visible = constants_inside(g, outer);
  for (Node& n : g.nodes) {
    for (Attribute& a : n.attributes) {
      std::vector<std::shared_ptr<Graph>*> bodies;
      if (a.g) bodies.push_back(&a.g);
      for (auto& sub : a.graphs) {
        if (sub) bodies.push_back(&sub);
      }
      for (std::shared_ptr<Graph>* body : bodies) {
        Graph& b = **body;
        std::set<std::string> outputs;
        for (const ValueInfo& o : b.outputs) outputs.insert(o.name);
        for (const std::string& name : graph::free_names(b)) {
          auto it = visible.find(name);
          // A body output that is an outer name stays a read of it: it has no node to fold.
          if (it != visible.end() && !outputs.count(name)) b.initializers.emplace(name, it->second);
        }
        run_on_bodies(model, b, level, r, custom, visible);
        Model scope;
        scope.ir_version = model.ir_version;
        scope.opset_imports = model.opset_imports;
        scope.base_dir = model.base_dir;
        scope.graph = std::move(b);
        Runner inner(scope, r.report());
        run_level(scope, level, inner, custom, /*writable=*/false);
        r.add(inner.total());
        b = std::move(scope.graph);
        // A fusion imports com.onnxi for the ops it wrote: the model must import it too.
        for (const auto& [domain, version] : scope.opset_imports) model.opset_imports.emplace(domain, version);
      }
    }
  }
}

}  // namespace

int run_passes(Model& model, const std::string& level, std::vector<PassStat>* report, const Registry* custom,
               bool initializers_writable) {
  check_level(level);
  Runner r(model, report);
  if (level == "none") return 0;
  own_bodies(model.graph);
  run_on_bodies(model, model.graph, level, r, custom, {});
  run_level(model, level, r, custom, initializers_writable);
  if (level == "all") r.run("layout_nchwc", [&] { return layout_nchwc(model); });
  return r.total();
}

}  // namespace onnxi::passes
