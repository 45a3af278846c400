#include "runtime/passes/passes.h"

#include "onnxi/error.h"
#include "runtime/passes/pass_util.h"

namespace onnxi::passes {

void check_level(const std::string& level) {
  ONNXI_CHECK(level == "none" || level == "basic" || level == "extended" || level == "all", ErrorCode::InvalidArgument,
              "optimization level '", level, "' is not one of none, basic, extended, all");
}

int run_passes(Model& model, const std::string& level) {
  check_level(level);
  int changes = 0;
  if (level == "extended" || level == "all") {
    changes += fold_conv_batchnorm(model.graph);
    changes += fuse_conv_activation(model);
    changes += fuse_attention(model);
  }
  return changes;
}

}  // namespace onnxi::passes
