#include "ops/families.h"

namespace onnxi::ops {

void register_rnn(Registry& r) { (void)r; }

}  // namespace onnxi::ops
