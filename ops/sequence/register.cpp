#include "ops/families.h"

namespace onnxi::ops {

void register_sequence(Registry& r) { (void)r; }

}  // namespace onnxi::ops
