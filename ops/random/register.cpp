#include "ops/families.h"

namespace onnxi::ops {

void register_random(Registry& r) { (void)r; }

}  // namespace onnxi::ops
