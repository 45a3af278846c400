#include "ops/families.h"
#include "ops/ml/ml.h"

namespace onnxi::ops {

void register_ml(Registry& r) {
  ml::register_array_feature_extractor(r);
  ml::register_feature_transforms(r);
  ml::register_label_encoder(r);
  ml::register_encoders(r);
  ml::register_tree_ensemble(r);
  ml::register_tree_ensemble_legacy(r);
  ml::register_linear(r);
  ml::register_svm(r);
}

}  // namespace onnxi::ops
