// ops/text/extra: text ops with a heavy dependency (RE2), built into libonnxi_extras.so.
#pragma once

#include "onnxi/registry.h"

namespace onnxi::ops {

void register_regex_full_match(Registry& r);  // regex_full_match.cpp: RegexFullMatch (RE2)

}  // namespace onnxi::ops
