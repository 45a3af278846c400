#include "ops/families.h"
#include "ops/sequence/sequence.h"

namespace onnxi::ops {

void register_sequence(Registry& r) {
  sequence::register_sequence_basic(r);
  sequence::register_split_concat(r);
  sequence::register_sequence_map(r);
  sequence::register_optional(r);
}

}  // namespace onnxi::ops
