#include "ops/families.h"
#include "ops/nn/fused_norm.h"
#include "ops/nn/nn.h"

namespace onnxi::ops {

void register_nn(Registry& r) {
  nn::register_gemm(r);
  nn::register_matmul(r);
  nn::register_fused_matmul(r);
  nn::register_conv(r);
  nn::register_conv_nchwc(r);
  nn::register_conv_transpose(r);
  nn::register_pool(r);
  nn::register_global_pool(r);
  nn::register_batchnorm(r);
  nn::register_norms(r);
  nn::register_fused_norms(r);
  nn::register_norms_misc(r);
  nn::register_softmax(r);
  nn::register_dropout(r);
  nn::register_einsum(r);
  nn::register_det(r);
  nn::register_attention(r);
  nn::register_rotary_embedding(r);
}

}  // namespace onnxi::ops
