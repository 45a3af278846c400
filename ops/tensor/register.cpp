#include "ops/families.h"
#include "ops/tensor/tensor_ops.h"

namespace onnxi::ops {

void register_tensor(Registry& r) {
  tensor::register_reshape(r);
  tensor::register_shape(r);
  tensor::register_transpose(r);
  tensor::register_concat(r);
  tensor::register_expand(r);
  tensor::register_slice(r);
  tensor::register_gather(r);
  tensor::register_scatter(r);
  tensor::register_pad(r);
  tensor::register_resize(r);
  tensor::register_generate(r);
  tensor::register_select(r);
  tensor::register_col2im(r);
}

}  // namespace onnxi::ops
