// Graph passes run at session creation between validation and kernel creation. The pass manager
// (constant folding, fusions, layout) is the graph-optimizer issue's; this is its hook.
#pragma once

#include <string>

#include "onnxi/ir.h"

namespace onnxi::passes {

// Checks the level name ("none", "basic", "extended", "all"); an InvalidArgument error otherwise.
void check_level(const std::string& level);
// Rewrites the model's main graph at `level`. Returns the number of changes made.
int run_passes(Model& model, const std::string& level);

}  // namespace onnxi::passes
