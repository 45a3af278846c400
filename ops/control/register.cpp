#include "ops/control/control.h"
#include "ops/families.h"

namespace onnxi::ops {

void register_control(Registry& r) {
  control::register_if(r);
  control::register_loop(r);
  control::register_scan(r);
}

}  // namespace onnxi::ops
