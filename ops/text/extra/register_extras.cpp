// Entry point of libonnxi_extras.so: Registry::standard() dlopens the library and calls this once.
// One call per op family with extras; keep it a plain list.
#include "onnxi/registry.h"
#include "ops/text/extra/text_extra.h"

extern "C" __attribute__((visibility("default"))) void onnxi_register_extras(onnxi::Registry& r) {
  onnxi::ops::register_regex_full_match(r);
}
