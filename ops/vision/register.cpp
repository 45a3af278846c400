#include "ops/families.h"
#include "ops/vision/vision.h"

namespace onnxi::ops {

void register_vision(Registry& r) {
  vision::register_grid_sample(r);
  vision::register_affine_grid(r);
  vision::register_roi(r);
  vision::register_nms(r);
  vision::register_deform_conv(r);
}

}  // namespace onnxi::ops
