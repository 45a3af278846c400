#include "ops/attention/attention.h"
#include "ops/families.h"

namespace onnxi::ops {

void register_attention(Registry& r) {
  attention::register_linear_attention(r);
  attention::register_causal_conv(r);
  attention::register_swiglu(r);
  attention::register_flex_attention(r);
}

}  // namespace onnxi::ops
