#include "ops/families.h"

namespace onnxi::ops {

void register_training(Registry& r) { (void)r; }

}  // namespace onnxi::ops
