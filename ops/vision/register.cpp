#include "ops/families.h"

namespace onnxi::ops {

void register_vision(Registry& r) { (void)r; }

}  // namespace onnxi::ops
