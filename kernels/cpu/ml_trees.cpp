#include "kernels/cpu/ml_trees.h"

#include <algorithm>
#include <cmath>

#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

bool takes_true_branch(const TreeEnsembleModel& m, const TreeNode& n, double v) {
  bool r = false;
  switch (n.mode) {
    case TreeBranch::Leq: r = v <= n.threshold; break;
    case TreeBranch::Lt: r = v < n.threshold; break;
    case TreeBranch::Gte: r = v >= n.threshold; break;
    case TreeBranch::Gt: r = v > n.threshold; break;
    case TreeBranch::Eq: r = v == n.threshold; break;
    case TreeBranch::Neq: r = v != n.threshold; break;
    case TreeBranch::Member: {
      const double* begin = m.members.data() + n.members_begin;
      const double* end = m.members.data() + n.members_end;
      r = !std::isnan(v) && std::binary_search(begin, end, v);  // NaN is no set's member
      break;
    }
  }
  return r || (n.nan_goes_true && std::isnan(v));
}

int64_t leaf_of(const TreeEnsembleModel& m, TreeRef ref, const double* row) {
  while (ref >= 0) {
    const TreeNode& n = m.nodes[static_cast<size_t>(ref)];
    ref = takes_true_branch(m, n, row[n.feature]) ? n.true_child : n.false_child;
  }
  return ~ref;
}

}  // namespace

void tree_ensemble_predict(const TreeEnsembleModel& m, const double* x, int64_t rows, int64_t stride, double* scores,
                           uint8_t* hits) {
  const int64_t targets = m.n_targets;
  const int64_t trees = static_cast<int64_t>(m.roots.size());
  // About a few thousand tree walks per task.
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, trees));
  parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    std::vector<uint8_t> seen(static_cast<size_t>(targets));
    for (int64_t r = begin; r < end; ++r) {
      const double* row = x + r * stride;
      double* out = scores + r * targets;
      std::fill(out, out + targets, 0.0);
      std::fill(seen.begin(), seen.end(), uint8_t{0});
      for (TreeRef root : m.roots) {
        const int64_t leaf = leaf_of(m, root, row);
        const auto vb = m.leaf_votes_begin[static_cast<size_t>(leaf)];
        const auto ve = m.leaf_votes_begin[static_cast<size_t>(leaf) + 1];
        for (int64_t k = vb; k < ve; ++k) {
          const TreeLeafVote& v = m.votes[static_cast<size_t>(k)];
          double& s = out[v.target];
          uint8_t& was = seen[static_cast<size_t>(v.target)];
          switch (m.aggregate) {
            case TreeAggregate::Sum:
            case TreeAggregate::Average: s += v.weight; break;
            case TreeAggregate::Min: s = was ? std::min(s, v.weight) : v.weight; break;
            case TreeAggregate::Max: s = was ? std::max(s, v.weight) : v.weight; break;
          }
          was = 1;
        }
      }
      if (m.aggregate == TreeAggregate::Average && trees > 0) {
        for (int64_t t = 0; t < targets; ++t) out[t] /= static_cast<double>(trees);
      }
      if (hits) std::copy(seen.begin(), seen.end(), hits + r * targets);
    }
  });
}

}  // namespace onnxi::kernels
