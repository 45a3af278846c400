#include "ops/families.h"

namespace onnxi::ops {

void register_ml(Registry& r) { (void)r; }

}  // namespace onnxi::ops
