#include "ops/families.h"
#include "ops/random/random.h"

namespace onnxi::ops {

void register_random(Registry& r) {
  random::register_generators(r);
  random::register_bernoulli(r);
  random::register_multinomial(r);
}

}  // namespace onnxi::ops
