#include "ops/families.h"

namespace onnxi::ops {

void register_attention(Registry& r) { (void)r; }

}  // namespace onnxi::ops
