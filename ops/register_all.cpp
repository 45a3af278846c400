#include "ops/families.h"

namespace onnxi {

void register_standard_ops(Registry& r) {
  ops::register_math(r);
  ops::register_tensor(r);
  ops::register_nn(r);
  ops::register_reduce(r);
  ops::register_cast(r);
  ops::register_control(r);
  ops::register_sequence(r);
}

}  // namespace onnxi
