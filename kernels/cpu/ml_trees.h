// Tree-ensemble evaluation for the ai.onnx.ml tree ops (TreeEnsemble, TreeEnsembleRegressor,
// TreeEnsembleClassifier). The ops translate their attribute encodings into one flat model; this
// file walks it. Features are read as float64, which holds float16/float32 inputs and thresholds
// exactly, so comparisons give the same branch as comparing in the input's own type.
#pragma once

#include <cstdint>
#include <vector>

namespace onnxi::kernels {

// Values are those of TreeEnsemble's nodes_modes.
enum class TreeBranch : uint8_t { Leq = 0, Lt = 1, Gte = 2, Gt = 3, Eq = 4, Neq = 5, Member = 6 };

enum class TreeAggregate : uint8_t { Average = 0, Sum = 1, Min = 2, Max = 3 };

// A reference to a tree element: >= 0 is an interior node index, < 0 is leaf ~ref.
using TreeRef = int64_t;
inline TreeRef tree_leaf_ref(int64_t leaf) { return ~leaf; }

struct TreeNode {
  TreeBranch mode = TreeBranch::Leq;
  bool nan_goes_true = false;  // a NaN feature also takes the true branch
  int64_t feature = 0;
  double threshold = 0;
  TreeRef true_child = 0;
  TreeRef false_child = 0;
  int64_t members_begin = 0;  // BRANCH_MEMBER: sorted set in TreeEnsembleModel::members
  int64_t members_end = 0;
};

struct TreeLeafVote {
  int64_t target = 0;
  double weight = 0;
};

struct TreeEnsembleModel {
  std::vector<TreeNode> nodes;
  std::vector<TreeRef> roots;  // one per tree
  std::vector<double> members;
  std::vector<int64_t> leaf_votes_begin;  // leaf l votes votes[begin[l] .. begin[l + 1]); size leaves + 1
  std::vector<TreeLeafVote> votes;
  int64_t n_targets = 1;
  TreeAggregate aggregate = TreeAggregate::Sum;
};

// For each of `rows` rows of x (row r at x + r * stride, features in [0, stride)), walks every
// tree to a leaf and aggregates the leaves' votes per target into scores[rows, n_targets]:
// Sum and Average add (Average then divides by the tree count), Min and Max keep the extreme.
// hits[rows, n_targets] (optional) is 1 where at least one vote landed; a target no vote reached
// scores 0. The model must be valid: children in range, acyclic, features < stride, targets in range.
void tree_ensemble_predict(const TreeEnsembleModel& m, const double* x, int64_t rows, int64_t stride, double* scores,
                           uint8_t* hits);

}  // namespace onnxi::kernels
