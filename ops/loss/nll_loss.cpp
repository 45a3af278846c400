// NegativeLogLikelihoodLoss (opsets 12, 13, 22): loss[n, d1..dk] = -input[n, c, d1..dk] * weight[c]
// with c = target[n, d1..dk]; the versions differ only in that 22 adds bfloat16.
#include "ops/loss/loss.h"

namespace onnxi::ops::loss {

void register_nll_loss(Registry& r) {
  constexpr LossVersion kVersions[] = {{12, 12, false}, {13, 21, false}, {22, kLatestOpset, true}};
  for (const LossVersion& v : kVersions) {
    OpDef def;
    def.op_type = "NegativeLogLikelihoodLoss";
    def.since_version = v.since;
    def.last_version = v.last;
    def.types = loss_types_string(v);
    def.infer = [v](InferContext& ctx) {
      infer_loss(ctx, read_loss_attrs(ctx.node, v), "input", "target", "weight", false);
    };
    def.create = [v](const KernelInit& init) {
      LossAttrs attrs = read_loss_attrs(init.node, v);
      return make_kernel([attrs = std::move(attrs)](KernelContext& ctx) {
        compute_loss(ctx, attrs, "input", "target", "weight", false);
      });
    };
    r.add(std::move(def));
  }
}

}  // namespace onnxi::ops::loss
