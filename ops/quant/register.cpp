#include "ops/families.h"
#include "ops/quant/quant.h"

namespace onnxi::ops {

void register_quant(Registry& r) {
  quant::register_quantize_linear(r);
  quant::register_dequantize_linear(r);
  quant::register_dynamic_quantize_linear(r);
  quant::register_quantized_matmul(r);
  quant::register_quantized_conv(r);
}

}  // namespace onnxi::ops
