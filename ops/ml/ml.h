// The ai.onnx.ml family (ops/ml/): classic-ML model ops as skl2onnx and friends emit them. One
// register function per op file; register.cpp calls them all. Tree walks live in
// kernels/cpu/ml_trees.h, score arithmetic (post transforms, linear and SVM scores) in
// kernels/cpu/ml_scores.h. Numeric inputs are computed in float64 and stored as each op's output type.
#pragma once

#include <string>
#include <vector>

#include "kernels/cpu/ml_scores.h"
#include "onnxi/registry.h"
#include "ops/common.h"

namespace onnxi::ops::ml {

inline constexpr const char* kDomain = "ai.onnx.ml";

void register_array_feature_extractor(Registry& r);  // array_feature_extractor.cpp
void register_feature_transforms(Registry& r);       // feature_transforms.cpp: Binarizer, Scaler, Normalizer, Imputer
void register_label_encoder(Registry& r);            // label_encoder.cpp: LabelEncoder, CategoryMapper
void register_encoders(Registry& r);                 // encoders.cpp: OneHotEncoder, FeatureVectorizer, ZipMap
void register_tree_ensemble(Registry& r);            // tree_ensemble.cpp: TreeEnsemble (opset 5)
void register_tree_ensemble_legacy(Registry& r);     // tree_ensemble_legacy.cpp: TreeEnsembleRegressor/Classifier
void register_linear(Registry& r);                   // linear.cpp: LinearClassifier, LinearRegressor
void register_svm(Registry& r);                      // svm.cpp: SVMClassifier, SVMRegressor

// ---- helpers of this family (ml_util.cpp) ----

// TypeList and type_list_string: ops/common.h.

// Numeric types most ml ops take: float, double, int64, int32.
const TypeList& numeric_types();

// input_elem, check_input_type, typed_input: ops/common.h.

// Any numeric tensor's values as float64.
std::vector<double> to_f64(const Tensor& t);
// float64 values stored as `dtype` (integers truncate toward zero), in a tensor of `shape`.
Tensor from_f64(const std::vector<double>& v, DataType dtype, Shape shape);

// An [N, F] view of an ml op's input: rank 1 is one row of F features, rank 2 is [N, F].
struct Rows {
  int64_t rows = 0;
  int64_t features = 0;
};
Rows rows_of(const KernelContext& ctx, const Tensor& x, const char* name);
// Inference dims of the batch dimension of an [N, F] or [F] input; unknown when the rank is.
Dim batch_dim(const InferContext& ctx, size_t i);

// post_transform as the string of the pre-opset-5 ops ("NONE", "SOFTMAX", ...); `fail` names the node.
kernels::ScoreTransform parse_transform(const std::string& name, const Node& node);
// A float list attribute, or the `_as_tensor` double tensor attribute standing for it.
std::vector<double> floats_or_tensor(const Node& node, const std::string& name);

}  // namespace onnxi::ops::ml
