// TreeEnsemble (ai.onnx.ml 5): Y[N, n_targets] from X[N, F] (float16, float, double; Y has X's type).
// Interior nodes are the nodes_* tuples; a branch goes to another node, or, when nodes_trueleafs /
// nodes_falseleafs says so, to a leaf (leaf_targetids, leaf_weights). BRANCH_MEMBER nodes test
// membership in their set of membership_values (NaN-separated sets, in the order of the member
// nodes). Leaves aggregate per target by aggregate_function (AVERAGE 0, SUM 1, MIN 2, MAX 3); as in
// the ONNX reference, a target no leaf reached is 0 for SUM/AVERAGE and the type's largest (MIN)
// or lowest (MAX) finite value. post_transform (NONE 0, SOFTMAX 1, LOGISTIC 2, SOFTMAX_ZERO 3,
// PROBIT 4) is then applied to each row.
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <tuple>

#include "onnxi/float_types.h"
#include "ops/ml/ml.h"
#include "ops/ml/trees.h"

namespace onnxi::ops::ml {
namespace {

const TypeList kTypes = {DataType::Float, DataType::Double, DataType::Float16};

struct TreeEnsembleKernel final : Kernel {
  kernels::TreeEnsembleModel model;
  int64_t features = 0;
  kernels::ScoreTransform transform = kernels::ScoreTransform::None;

  void compute(KernelContext& ctx) const override {
    const Tensor& x = typed_input(ctx, 0, "X", kTypes);
    TreeScores s = run_tree_model(ctx, model, features, x);
    if (model.aggregate == kernels::TreeAggregate::Min || model.aggregate == kernels::TreeAggregate::Max) {
      const bool half = x.dtype() == DataType::Float16;
      const double largest = half ? 65504.0
                             : x.dtype() == DataType::Float ? static_cast<double>(std::numeric_limits<float>::max())
                                                            : std::numeric_limits<double>::max();
      const double empty = model.aggregate == kernels::TreeAggregate::Min ? largest : -largest;
      for (size_t i = 0; i < s.scores.size(); ++i) {
        if (!s.hits[i]) s.scores[i] = empty;
      }
    }
    kernels::ml_transform_scores(transform, s.scores.data(), s.rows, model.n_targets);
    ctx.set_output(0, from_f64(s.scores, x.dtype(), {s.rows, model.n_targets}));
  }
};

std::vector<double> tensor_attr(const KernelInit& init, const char* name, bool required) {
  const Tensor* t = init.node.attr_tensor(name);
  if (!t) {
    if (required) init.fail(cat("attribute ", name, " is required"));
    return {};
  }
  if (t->dtype() == DataType::String) init.fail(cat("attribute ", name, " must be a numeric tensor"));
  return to_f64(*t);
}

std::unique_ptr<Kernel> create_tree_ensemble(const KernelInit& init) {
  const Node& n = init.node;
  auto k = std::make_unique<TreeEnsembleKernel>();
  kernels::TreeEnsembleModel& m = k->model;

  const std::vector<int64_t> features = n.attr_ints("nodes_featureids");
  const std::vector<double> modes = tensor_attr(init, "nodes_modes", true);
  const std::vector<double> splits = tensor_attr(init, "nodes_splits", true);
  const std::vector<int64_t> true_ids = n.attr_ints("nodes_truenodeids");
  const std::vector<int64_t> true_leafs = n.attr_ints("nodes_trueleafs");
  const std::vector<int64_t> false_ids = n.attr_ints("nodes_falsenodeids");
  const std::vector<int64_t> false_leafs = n.attr_ints("nodes_falseleafs");
  const std::vector<int64_t> missing = n.attr_ints("nodes_missing_value_tracks_true");
  const size_t count = features.size();
  for (auto [name, size] : {std::pair{"nodes_modes", modes.size()}, {"nodes_splits", splits.size()},
                            {"nodes_truenodeids", true_ids.size()}, {"nodes_trueleafs", true_leafs.size()},
                            {"nodes_falsenodeids", false_ids.size()}, {"nodes_falseleafs", false_leafs.size()}}) {
    if (size != count) init.fail(cat("attribute ", name, " has ", size, " values; nodes_featureids has ", count));
  }
  if (!missing.empty() && missing.size() != count) {
    init.fail(cat("attribute nodes_missing_value_tracks_true has ", missing.size(), " values for ", count, " nodes"));
  }
  if (count == 0) init.fail("the ensemble has no nodes (nodes_featureids is empty)");

  // Member sets, NaN-separated, in the order of the member nodes.
  std::vector<std::vector<double>> sets(1);
  for (double v : tensor_attr(init, "membership_values", false)) {
    if (std::isnan(v)) sets.emplace_back();
    else sets.back().push_back(v);
  }
  if (sets.back().empty()) sets.pop_back();
  size_t next_set = 0;

  auto child = [&](int64_t id, int64_t is_leaf) { return is_leaf ? kernels::tree_leaf_ref(id) : id; };
  for (size_t i = 0; i < count; ++i) {
    kernels::TreeNode node;
    const double mode = modes[i];
    if (!(mode >= 0 && mode <= 6)) init.fail(cat("nodes_modes[", i, "] = ", mode, " is not a mode in 0..6"));
    node.mode = static_cast<kernels::TreeBranch>(static_cast<int>(mode));
    node.feature = features[i];
    node.threshold = splits[i];
    node.nan_goes_true = !missing.empty() && missing[i] != 0;
    node.true_child = child(true_ids[i], true_leafs[i]);
    node.false_child = child(false_ids[i], false_leafs[i]);
    if (node.mode == kernels::TreeBranch::Member) {
      if (next_set >= sets.size()) {
        init.fail(cat("node ", i, " is a BRANCH_MEMBER node but membership_values has only ", sets.size(), " sets"));
      }
      std::tie(node.members_begin, node.members_end) = add_member_set(m, sets[next_set++]);
    }
    m.nodes.push_back(node);
  }
  if (next_set != sets.size()) {
    init.fail(cat("membership_values holds ", sets.size(), " sets for ", next_set, " BRANCH_MEMBER nodes"));
  }

  const std::vector<int64_t> targets = n.attr_ints("leaf_targetids");
  const std::vector<double> weights = tensor_attr(init, "leaf_weights", true);
  if (targets.size() != weights.size()) {
    init.fail(cat("leaf_targetids has ", targets.size(), " values and leaf_weights ", weights.size(), "; they pair up"));
  }
  for (size_t l = 0; l < targets.size(); ++l) {
    m.leaf_votes_begin.push_back(static_cast<int64_t>(l));
    m.votes.push_back({targets[l], weights[l]});
  }
  m.leaf_votes_begin.push_back(static_cast<int64_t>(targets.size()));

  const std::vector<int64_t> roots = n.attr_ints("tree_roots");
  if (roots.empty()) init.fail("attribute tree_roots is required (one root node per tree)");
  for (int64_t root : roots) {
    if (root < 0 || root >= static_cast<int64_t>(count)) {
      init.fail(cat("tree_roots holds ", root, ", outside the ", count, " nodes"));
    }
    m.roots.push_back(root);
  }
  int64_t n_targets = n.attr_int("n_targets", -1);
  if (n_targets < 0) {
    n_targets = 1;
    for (int64_t t : targets) n_targets = std::max(n_targets, t + 1);
  }
  m.n_targets = n_targets;
  const int64_t agg = n.attr_int("aggregate_function", 1);
  if (agg < 0 || agg > 3) init.fail(cat("attribute aggregate_function = ", agg, " is not one of 0..3"));
  m.aggregate = static_cast<kernels::TreeAggregate>(agg);
  const int64_t post = n.attr_int("post_transform", 0);
  if (post < 0 || post > 4) init.fail(cat("attribute post_transform = ", post, " is not one of 0..4"));
  k->transform = static_cast<kernels::ScoreTransform>(post);
  k->features = validate_tree_model(m, n);
  return k;
}

void infer_tree_ensemble(InferContext& ctx) {
  check_input_type(ctx, 0, "X", kTypes);
  const DataType elem = input_elem(ctx, 0);
  const int64_t n_targets = ctx.node.attr_int("n_targets", -1);
  ctx.set_output(0, TypeInfo::tensor(elem, {batch_dim(ctx, 0), n_targets >= 0 ? Dim::known(n_targets) : Dim{}}));
}

}  // namespace

void register_tree_ensemble(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "TreeEnsemble";
  def.since_version = 5;
  def.types = type_list_string(kTypes);
  def.infer = infer_tree_ensemble;
  def.create = create_tree_ensemble;
  r.add(std::move(def));
}

}  // namespace onnxi::ops::ml
