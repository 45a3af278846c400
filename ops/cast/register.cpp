#include "ops/cast/cast.h"
#include "ops/families.h"

namespace onnxi::ops {

void register_bitcast_op(Registry& r);  // bitcast.cpp (declared here: cast.h belongs to Cast/CastLike)

void register_cast(Registry& r) {
  register_cast_op(r);
  register_castlike_op(r);
  register_bitcast_op(r);
}

}  // namespace onnxi::ops
