#include "ops/ml/trees.h"

#include <algorithm>

#include "ops/ml/ml.h"

namespace onnxi::ops::ml {

int64_t validate_tree_model(const kernels::TreeEnsembleModel& m, const Node& node) {
  const auto nodes = static_cast<int64_t>(m.nodes.size());
  const auto leaves = static_cast<int64_t>(m.leaf_votes_begin.size()) - 1;
  auto bad = [&](const std::string& what) { fail(ErrorCode::InvalidModel, cat(node.label(), ": ", what)); };
  if (leaves < 0) bad("the ensemble has no leaf table");
  if (m.n_targets <= 0) bad(cat("the ensemble has ", m.n_targets, " targets; it needs at least one"));
  auto check_ref = [&](kernels::TreeRef ref, const std::string& where) {
    if (ref >= nodes || (ref < 0 && ~ref >= leaves)) {
      bad(cat(where, " refers to ", ref >= 0 ? "node " : "leaf ", ref >= 0 ? ref : ~ref, ", outside the ",
              ref >= 0 ? nodes : leaves, ref >= 0 ? " nodes" : " leaves"));
    }
  };
  int64_t features = 0;
  for (int64_t i = 0; i < nodes; ++i) {
    const kernels::TreeNode& n = m.nodes[static_cast<size_t>(i)];
    check_ref(n.true_child, cat("node ", i, "'s true branch"));
    check_ref(n.false_child, cat("node ", i, "'s false branch"));
    if (n.feature < 0 || n.feature > (int64_t{1} << 40)) {
      bad(cat("node ", i, " reads feature ", n.feature, "; feature ids must be in [0, 2^40]"));
    }
    features = std::max(features, n.feature + 1);
    if (n.members_begin < 0 || n.members_end < n.members_begin ||
        n.members_end > static_cast<int64_t>(m.members.size())) {
      bad(cat("node ", i, " has a membership set outside membership_values"));
    }
  }
  for (size_t t = 0; t < m.roots.size(); ++t) check_ref(m.roots[t], cat("tree ", t, "'s root"));
  for (const kernels::TreeLeafVote& v : m.votes) {
    if (v.target < 0 || v.target >= m.n_targets) {
      bad(cat("a leaf votes for target ", v.target, ", outside [0, ", m.n_targets, ")"));
    }
  }
  // Cycle check: iterative three-colour depth-first search over the child edges.
  std::vector<uint8_t> colour(static_cast<size_t>(nodes), 0);  // 0 new, 1 on the path, 2 done
  std::vector<std::pair<int64_t, int>> stack;
  for (int64_t start = 0; start < nodes; ++start) {
    if (colour[static_cast<size_t>(start)] != 0) continue;
    stack.emplace_back(start, 0);
    colour[static_cast<size_t>(start)] = 1;
    while (!stack.empty()) {
      auto& [i, next] = stack.back();
      if (next == 2) {
        colour[static_cast<size_t>(i)] = 2;
        stack.pop_back();
        continue;
      }
      const kernels::TreeNode& n = m.nodes[static_cast<size_t>(i)];
      const kernels::TreeRef child = next++ == 0 ? n.true_child : n.false_child;
      if (child < 0) continue;
      uint8_t& c = colour[static_cast<size_t>(child)];
      if (c == 1) bad(cat("node ", i, " leads back to node ", child, ": the trees have a cycle"));
      if (c == 0) {
        c = 1;
        stack.emplace_back(child, 0);
      }
    }
  }
  return features;
}

TreeScores run_tree_model(const KernelContext& ctx, const kernels::TreeEnsembleModel& m, int64_t features_needed,
                          const Tensor& x) {
  const Rows shape = rows_of(ctx, x, "X");
  if (shape.features < features_needed) {
    ctx.fail(cat("input X ", x.describe(), " has ", shape.features, " features; the trees read feature ",
                 features_needed - 1));
  }
  TreeScores out;
  out.rows = shape.rows;
  const std::vector<double> values = to_f64(x);
  const auto n = static_cast<size_t>(shape.rows * m.n_targets);
  out.scores.assign(n, 0.0);
  out.hits.assign(n, 0);
  kernels::tree_ensemble_predict(m, values.data(), shape.rows, shape.features, out.scores.data(), out.hits.data());
  return out;
}

std::pair<int64_t, int64_t> add_member_set(kernels::TreeEnsembleModel& m, std::vector<double> set) {
  std::sort(set.begin(), set.end());
  const auto begin = static_cast<int64_t>(m.members.size());
  m.members.insert(m.members.end(), set.begin(), set.end());
  return {begin, static_cast<int64_t>(m.members.size())};
}

}  // namespace onnxi::ops::ml
