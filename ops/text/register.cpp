#include "ops/families.h"

namespace onnxi::ops {

void register_text(Registry& r) { (void)r; }

}  // namespace onnxi::ops
