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
  ops::register_loss(r);
  ops::register_quant(r);
  ops::register_rnn(r);
  ops::register_attention(r);
  ops::register_vision(r);
  ops::register_signal(r);
  ops::register_text(r);
  ops::register_ml(r);
  ops::register_training(r);
  ops::register_random(r);
}

}  // namespace onnxi
