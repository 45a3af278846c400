#include "runtime/passes/passes.h"

#include <chrono>
#include <functional>

#include "onnxi/error.h"
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

int run_passes(Model& model, const std::string& level, std::vector<PassStat>* report, const Registry* custom,
               bool initializers_writable) {
  check_level(level);
  Runner r(model, report);
  Graph& g = model.graph;
  if (level == "none") return 0;
  for (int round = 0; round < kMaxBasicRounds; ++round) {
    int changes = 0;
    changes += r.run("eliminate_noops", [&] { return eliminate_noops(model, custom); });
    changes += r.run("collapse_reshape_chains", [&] { return collapse_reshape_chains(model, custom); });
    changes += r.run("fold_shapes", [&] { return fold_shapes(model, custom); });
    changes += r.run("fold_constants", [&] { return fold_constants(model, custom); });
    changes += r.run("eliminate_common_subexpressions", [&] { return eliminate_common_subexpressions(model, custom); });
    changes += r.run("eliminate_dead_nodes", [&] { return eliminate_dead_nodes(model, custom); });
    changes += r.run("remove_unused_initializers", [&] { return remove_unused_initializers(g); });
    if (changes == 0) break;
  }
  if (level == "extended" || level == "all") {
    r.run("fold_conv_batchnorm", [&] { return fold_conv_batchnorm(g, initializers_writable); });
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
  if (level == "all") r.run("layout_nchwc", [&] { return layout_nchwc(model); });
  return r.total();
}

}  // namespace onnxi::passes
