#include "ops/families.h"
#include "ops/math/math.h"

namespace onnxi::ops {

void register_math(Registry& r) {
  math::register_unary(r);
  math::register_binary(r);
  math::register_logic(r);
  math::register_variadic(r);
  math::register_activations(r);
  math::register_clip_where(r);
}

}  // namespace onnxi::ops
