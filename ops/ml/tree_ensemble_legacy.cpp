// TreeEnsembleRegressor and TreeEnsembleClassifier (ai.onnx.ml 1 and 3; 3 adds the *_as_tensor
// double attributes; both are deprecated by TreeEnsemble at 5 but still accepted there). Nodes are
// (nodes_treeids, nodes_nodeids) tuples; children are node ids within the same tree; LEAF nodes
// carry the votes of target_* (regressor) or class_* (classifier) entries naming their
// (tree id, node id). X is float, double, int64 or int32 [N, F] (or [F]); scores are float.
//
// Regressor: Y[N, n_targets] aggregates votes (SUM, AVERAGE, MIN, MAX), adds base_values, then
// applies post_transform to each row. A target no vote reached is 0, without its base value, as in
// onnxruntime (skl2onnx models, checked against it, have every leaf vote for every target).
//
// Classifier: Y[N] labels (classlabels_int64s or _strings), Z[N, C] scores. Votes are summed per
// class and base_values added. When C = 2 and every vote is for one class, the summed score v is the
// positive class's: probabilities (all weights >= 0) under NONE or PROBIT give the pair [1 - v, v],
// otherwise (margins) the pair is [-v, v]; the label is the pair's argmax, and post_transform maps
// the pair. Otherwise the label is the argmax of the scores (first on ties) and Z their transform.
// This matches onnxruntime on the encodings skl2onnx emits (binary models vote for class 0 with the
// positive class's probability or margin) and differs from it on two others: votes for both of two
// classes take the argmax (onnxruntime answers label 1 whenever class 1 scores above 0), and votes
// all for class 1 give [1 - v, v] (onnxruntime leaves class 0's score at 0).
#include <algorithm>
#include <map>
#include <memory>

#include "ops/ml/ml.h"
#include "ops/ml/trees.h"

namespace onnxi::ops::ml {
namespace {

using kernels::ScoreTransform;

struct Votes {
  std::vector<int64_t> tree_ids, node_ids, target_ids;
  std::vector<double> weights;
};

kernels::TreeBranch parse_mode(const std::string& s, const KernelInit& init) {
  using kernels::TreeBranch;
  if (s == "BRANCH_LEQ") return TreeBranch::Leq;
  if (s == "BRANCH_LT") return TreeBranch::Lt;
  if (s == "BRANCH_GTE") return TreeBranch::Gte;
  if (s == "BRANCH_GT") return TreeBranch::Gt;
  if (s == "BRANCH_EQ") return TreeBranch::Eq;
  if (s == "BRANCH_NEQ") return TreeBranch::Neq;
  init.fail(cat("nodes_modes holds '", s, "'; modes are BRANCH_LEQ, BRANCH_LT, BRANCH_GTE, BRANCH_GT, BRANCH_EQ, ",
                "BRANCH_NEQ, LEAF"));
}

// Translates the node tuples and votes into the kernel's model. The roots are the first node of each
// tree id, trees in increasing id order.
kernels::TreeEnsembleModel build_model(const KernelInit& init, const Votes& votes, int64_t n_targets) {
  const Node& n = init.node;
  const std::vector<int64_t> tree_ids = n.attr_ints("nodes_treeids");
  const std::vector<int64_t> node_ids = n.attr_ints("nodes_nodeids");
  const std::vector<int64_t> features = n.attr_ints("nodes_featureids");
  const std::vector<std::string> modes = n.attr_strings("nodes_modes");
  const std::vector<double> values = floats_or_tensor(n, "nodes_values");
  const std::vector<int64_t> true_ids = n.attr_ints("nodes_truenodeids");
  const std::vector<int64_t> false_ids = n.attr_ints("nodes_falsenodeids");
  const std::vector<int64_t> missing = n.attr_ints("nodes_missing_value_tracks_true");
  const size_t count = tree_ids.size();
  if (count == 0) init.fail("the ensemble has no nodes (nodes_treeids is empty)");
  for (auto [name, size] : {std::pair{"nodes_nodeids", node_ids.size()}, {"nodes_featureids", features.size()},
                            {"nodes_modes", modes.size()}, {"nodes_truenodeids", true_ids.size()},
                            {"nodes_falsenodeids", false_ids.size()}}) {
    if (size != count) init.fail(cat("attribute ", name, " has ", size, " values; nodes_treeids has ", count));
  }
  if (!values.empty() && values.size() != count) {
    init.fail(cat("attribute nodes_values has ", values.size(), " values; nodes_treeids has ", count));
  }

  std::map<std::pair<int64_t, int64_t>, size_t> index;  // (tree, node id) -> position
  std::map<int64_t, size_t> first_of_tree;
  for (size_t i = 0; i < count; ++i) {
    if (!index.emplace(std::pair{tree_ids[i], node_ids[i]}, i).second) {
      init.fail(cat("node ", node_ids[i], " of tree ", tree_ids[i], " appears twice"));
    }
    first_of_tree.emplace(tree_ids[i], i);
  }
  // Leaves get consecutive leaf numbers; interior nodes keep node indices in the kernel model.
  std::vector<int64_t> leaf_of(count, -1), node_of(count, -1);
  int64_t leaves = 0, interior = 0;
  for (size_t i = 0; i < count; ++i) {
    if (modes[i] == "LEAF") leaf_of[i] = leaves++;
    else node_of[i] = interior++;
  }
  auto ref_of = [&](size_t i) { return leaf_of[i] >= 0 ? kernels::tree_leaf_ref(leaf_of[i]) : node_of[i]; };
  auto find = [&](int64_t tree, int64_t id, const char* what, int64_t from) {
    auto it = index.find({tree, id});
    if (it == index.end()) {
      init.fail(cat(what, " of node ", from, " in tree ", tree, " names node ", id, ", which the tree lacks"));
    }
    return it->second;
  };

  kernels::TreeEnsembleModel m;
  m.n_targets = n_targets;
  for (size_t i = 0; i < count; ++i) {
    if (leaf_of[i] >= 0) continue;
    kernels::TreeNode node;
    node.mode = parse_mode(modes[i], init);
    node.feature = features[i];
    node.threshold = values.empty() ? 0.0 : values[i];
    node.nan_goes_true = i < missing.size() && missing[i] != 0;
    node.true_child = ref_of(find(tree_ids[i], true_ids[i], "the true branch", node_ids[i]));
    node.false_child = ref_of(find(tree_ids[i], false_ids[i], "the false branch", node_ids[i]));
    m.nodes.push_back(node);
  }
  for (const auto& [tree, first] : first_of_tree) m.roots.push_back(ref_of(first));

  // Votes grouped by leaf, in attribute order within a leaf.
  std::vector<std::vector<kernels::TreeLeafVote>> by_leaf(static_cast<size_t>(leaves));
  for (size_t v = 0; v < votes.weights.size(); ++v) {
    const size_t at = find(votes.tree_ids[v], votes.node_ids[v], "a vote", votes.node_ids[v]);
    if (leaf_of[at] < 0) {
      init.fail(cat("a vote names node ", votes.node_ids[v], " of tree ", votes.tree_ids[v], ", which is not a LEAF"));
    }
    by_leaf[static_cast<size_t>(leaf_of[at])].push_back({votes.target_ids[v], votes.weights[v]});
  }
  for (const auto& list : by_leaf) {
    m.leaf_votes_begin.push_back(static_cast<int64_t>(m.votes.size()));
    m.votes.insert(m.votes.end(), list.begin(), list.end());
  }
  m.leaf_votes_begin.push_back(static_cast<int64_t>(m.votes.size()));
  return m;
}

Votes read_votes(const KernelInit& init, const std::string& prefix) {
  const Node& n = init.node;
  Votes v;
  v.tree_ids = n.attr_ints(prefix + "_treeids");
  v.node_ids = n.attr_ints(prefix + "_nodeids");
  v.target_ids = n.attr_ints(prefix + "_ids");
  v.weights = floats_or_tensor(n, prefix + "_weights");
  const size_t c = v.weights.size();
  if (v.tree_ids.size() != c || v.node_ids.size() != c || v.target_ids.size() != c) {
    init.fail(cat("attributes ", prefix, "_treeids, _nodeids, _ids and _weights have ", v.tree_ids.size(), ", ",
                  v.node_ids.size(), ", ", v.target_ids.size(), " and ", c, " values; they must pair up"));
  }
  return v;
}

// ---- TreeEnsembleRegressor ----

struct RegressorKernel final : Kernel {
  kernels::TreeEnsembleModel model;
  int64_t features = 0;
  std::vector<double> base;
  ScoreTransform transform = ScoreTransform::None;

  void compute(KernelContext& ctx) const override {
    const Tensor& x = typed_input(ctx, 0, "X", numeric_types());
    TreeScores s = run_tree_model(ctx, model, features, x);
    const auto t = static_cast<size_t>(model.n_targets);
    if (!base.empty()) {
      for (size_t i = 0; i < s.scores.size(); ++i) {
        if (s.hits[i]) s.scores[i] += base[i % t];
      }
    }
    kernels::ml_transform_scores(transform, s.scores.data(), s.rows, model.n_targets);
    ctx.set_output(0, from_f64(s.scores, DataType::Float, {s.rows, model.n_targets}));
  }
};

std::unique_ptr<Kernel> create_regressor(const KernelInit& init) {
  const Node& n = init.node;
  auto k = std::make_unique<RegressorKernel>();
  const int64_t n_targets = n.attr_int("n_targets", 1);
  const std::string agg = n.attr_string("aggregate_function", "SUM");
  k->model = build_model(init, read_votes(init, "target"), n_targets);
  if (agg == "SUM") k->model.aggregate = kernels::TreeAggregate::Sum;
  else if (agg == "AVERAGE") k->model.aggregate = kernels::TreeAggregate::Average;
  else if (agg == "MIN") k->model.aggregate = kernels::TreeAggregate::Min;
  else if (agg == "MAX") k->model.aggregate = kernels::TreeAggregate::Max;
  else init.fail(cat("attribute aggregate_function = '", agg, "' is not one of SUM, AVERAGE, MIN, MAX"));
  k->base = floats_or_tensor(n, "base_values");
  if (!k->base.empty() && static_cast<int64_t>(k->base.size()) != n_targets) {
    init.fail(cat("base_values has ", k->base.size(), " values for ", n_targets, " targets"));
  }
  k->transform = parse_transform(n.attr_string("post_transform", "NONE"), n);
  k->features = validate_tree_model(k->model, n);
  return k;
}

// ---- TreeEnsembleClassifier ----

struct ClassifierKernel final : Kernel {
  kernels::TreeEnsembleModel model;
  int64_t features = 0;
  std::vector<double> base;
  ScoreTransform transform = ScoreTransform::None;
  std::vector<int64_t> int_labels;
  std::vector<std::string> string_labels;
  int64_t binary_class = -1;  // C = 2 and every vote for this class
  bool probabilities = true;  // all vote weights >= 0

  void compute(KernelContext& ctx) const override {
    const Tensor& x = typed_input(ctx, 0, "X", numeric_types());
    TreeScores s = run_tree_model(ctx, model, features, x);
    const int64_t c = model.n_targets, rows = s.rows;
    std::vector<int64_t> label(static_cast<size_t>(rows));
    double* sc = s.scores.data();
    if (binary_class >= 0) {
      const double b = base.empty() ? 0.0 : base.size() == 1 ? base[0] : base[static_cast<size_t>(binary_class)];
      const bool unit = probabilities && (transform == ScoreTransform::None || transform == ScoreTransform::Probit);
      for (int64_t r = 0; r < rows; ++r) {
        const double v = sc[r * 2 + binary_class] + b;
        sc[r * 2] = unit ? 1.0 - v : -v;
        sc[r * 2 + 1] = v;
        label[static_cast<size_t>(r)] = sc[r * 2 + 1] > sc[r * 2] ? 1 : 0;
      }
    } else {
      for (int64_t r = 0; r < rows; ++r) {
        double* row = sc + r * c;
        if (!base.empty()) {
          for (int64_t j = 0; j < c; ++j) row[j] += base[static_cast<size_t>(j)];
        }
        label[static_cast<size_t>(r)] = std::max_element(row, row + c) - row;
      }
    }
    kernels::ml_transform_scores(transform, sc, rows, c);
    if (ctx.output_wanted(0)) {
      if (string_labels.empty()) {
        Tensor& y = ctx.allocate_output(0, DataType::Int64, {rows});
        for (int64_t r = 0; r < rows; ++r) y.data<int64_t>()[r] = int_labels[static_cast<size_t>(label[r])];
      } else {
        Tensor& y = ctx.allocate_output(0, DataType::String, {rows});
        for (int64_t r = 0; r < rows; ++r) y.data<std::string>()[r] = string_labels[static_cast<size_t>(label[r])];
      }
    }
    ctx.set_output(1, from_f64(s.scores, DataType::Float, {rows, c}));
  }
};

std::unique_ptr<Kernel> create_classifier(const KernelInit& init) {
  const Node& n = init.node;
  auto k = std::make_unique<ClassifierKernel>();
  k->int_labels = n.attr_ints("classlabels_int64s");
  k->string_labels = n.attr_strings("classlabels_strings");
  if (k->int_labels.empty() == k->string_labels.empty()) {
    init.fail("set exactly one of classlabels_int64s and classlabels_strings (non-empty)");
  }
  const auto classes = static_cast<int64_t>(std::max(k->int_labels.size(), k->string_labels.size()));
  const Votes votes = read_votes(init, "class");
  k->model = build_model(init, votes, classes);
  k->model.aggregate = kernels::TreeAggregate::Sum;
  k->base = floats_or_tensor(n, "base_values");
  k->transform = parse_transform(n.attr_string("post_transform", "NONE"), n);
  k->features = validate_tree_model(k->model, n);
  for (double w : votes.weights) k->probabilities = k->probabilities && w >= 0;
  const bool one_class = !votes.target_ids.empty() &&
                         std::all_of(votes.target_ids.begin(), votes.target_ids.end(),
                                     [&](int64_t id) { return id == votes.target_ids[0]; });
  if (classes == 2 && one_class) k->binary_class = votes.target_ids[0];
  const auto nb = static_cast<int64_t>(k->base.size());
  if (nb != 0 && nb != classes && !(k->binary_class >= 0 && nb == 1)) {
    init.fail(cat("base_values has ", nb, " values for ", classes, " classes"));
  }
  return k;
}

void infer_legacy(InferContext& ctx, bool classifier) {
  check_input_type(ctx, 0, "X", numeric_types());
  const Dim n = batch_dim(ctx, 0);
  const Node& node = ctx.node;
  if (!classifier) {
    ctx.set_output(0, TypeInfo::tensor(DataType::Float, {n, Dim::known(node.attr_int("n_targets", 1))}));
    return;
  }
  const bool strings = node.has_attr("classlabels_strings");
  const auto classes = static_cast<int64_t>(
      std::max(node.attr_ints("classlabels_int64s").size(), node.attr_strings("classlabels_strings").size()));
  ctx.set_output(0, TypeInfo::tensor(strings ? DataType::String : DataType::Int64, {n}));
  if (ctx.node.outputs.size() > 1) ctx.set_output(1, TypeInfo::tensor(DataType::Float, {n, Dim::known(classes)}));
}

}  // namespace

void register_tree_ensemble_legacy(Registry& r) {
  for (int since : {1, 3}) {
    OpDef reg;
    reg.domain = kDomain;
    reg.op_type = "TreeEnsembleRegressor";
    reg.since_version = since;
    reg.last_version = since == 1 ? 2 : kLatestOpset;
    reg.types = type_list_string(numeric_types());
    reg.infer = [](InferContext& ctx) { infer_legacy(ctx, false); };
    reg.create = create_regressor;
    r.add(reg);

    OpDef cls = reg;
    cls.op_type = "TreeEnsembleClassifier";
    cls.infer = [](InferContext& ctx) { infer_legacy(ctx, true); };
    cls.create = create_classifier;
    r.add(std::move(cls));
  }
}

}  // namespace onnxi::ops::ml
