// Entry point of libonnxi_extras.so: Registry::standard() dlopens the library and calls this once.
// One call per op family with extras; keep it a plain list. ONNXI_WITH_<DEP> says which optional
// dependencies this build found (CMakeLists.txt, "optional extras").
#include "onnxi/registry.h"
#include "ops/text/extra/text_extra.h"
#include "ops/vision/extra/vision_extra.h"

extern "C" __attribute__((visibility("default"))) void onnxi_register_extras(onnxi::Registry& r) {
#if ONNXI_WITH_RE2
  onnxi::ops::register_regex_full_match(r);
#endif
  onnxi::ops::register_image_decoder(r);  // always: BMP and PNM need no library
}
