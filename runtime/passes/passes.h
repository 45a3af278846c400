// Graph passes run at session creation between validation and kernel creation, by level:
//   none: nothing; basic: (none yet); extended and all: Conv + BatchNormalization folding, then
//   Conv + Relu/Clip fused into com.onnxi FusedConv.
// Each pass is a file of its own (runtime/passes/*.cpp, declared in pass_util.h).
#pragma once

#include <string>

#include "onnxi/ir.h"

namespace onnxi::passes {

// Checks the level name ("none", "basic", "extended", "all"); an InvalidArgument error otherwise.
void check_level(const std::string& level);
// Rewrites the model's main graph at `level`. Returns the number of changes made.
int run_passes(Model& model, const std::string& level);

}  // namespace onnxi::passes
