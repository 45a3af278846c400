#include "ops/families.h"

namespace onnxi::ops {

void register_control(Registry& r) { (void)r; }

}  // namespace onnxi::ops
