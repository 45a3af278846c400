#include "ops/families.h"
#include "ops/rnn/rnn.h"

namespace onnxi::ops {

void register_rnn(Registry& r) { rnn::register_recurrent(r); }

}  // namespace onnxi::ops
