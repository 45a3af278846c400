// What the tree-ensemble ops share (trees.cpp): checking a translated kernels::TreeEnsembleModel
// once at session creation, and running it on an input of any numeric type.
#pragma once

#include <vector>

#include "kernels/cpu/ml_trees.h"
#include "onnxi/registry.h"

namespace onnxi::ops::ml {

// Checks what the kernel assumes: child references and roots in range, no cycles, vote targets in
// [0, n_targets), member ranges inside `members`. Returns the number of features the trees read
// (the largest feature id + 1). Errors are InvalidModel errors naming the node.
int64_t validate_tree_model(const kernels::TreeEnsembleModel& m, const Node& node);

struct TreeScores {
  int64_t rows = 0;
  std::vector<double> scores;  // [rows, n_targets]
  std::vector<uint8_t> hits;   // [rows, n_targets]: 1 where a leaf voted
};

// X as [N, F] (or [F] as one row) of float16/float/double/int32/int64; F must cover the features
// the trees read.
TreeScores run_tree_model(const KernelContext& ctx, const kernels::TreeEnsembleModel& m, int64_t features_needed,
                          const Tensor& x);

// Sorts each member set and appends it to m.members; returns its [begin, end).
std::pair<int64_t, int64_t> add_member_set(kernels::TreeEnsembleModel& m, std::vector<double> set);

}  // namespace onnxi::ops::ml
