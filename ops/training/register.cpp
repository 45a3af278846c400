#include "ops/families.h"
#include "ops/training/training.h"

namespace onnxi::ops {

void register_training(Registry& r) {
  training::register_optimizers(r);
  training::register_gradient(r);
}

}  // namespace onnxi::ops
