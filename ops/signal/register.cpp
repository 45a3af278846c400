#include "ops/families.h"
#include "ops/signal/signal.h"

namespace onnxi::ops {

void register_signal(Registry& r) {
  signal::register_dft(r);
  signal::register_stft(r);
  signal::register_windows(r);
  signal::register_mel_weight_matrix(r);
}

}  // namespace onnxi::ops
