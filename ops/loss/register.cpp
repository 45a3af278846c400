#include "ops/families.h"
#include "ops/loss/loss.h"

namespace onnxi::ops {

void register_loss(Registry& r) {
  loss::register_nll_loss(r);
  loss::register_softmax_cross_entropy_loss(r);
}

}  // namespace onnxi::ops
