// SoftmaxCrossEntropyLoss (opsets 12, 13): NegativeLogLikelihoodLoss of log_softmax(scores) over
// the class axis (axis 1), with the log-probabilities as the optional second output. Opset 13 adds
// bfloat16.
#include "ops/loss/loss.h"

namespace onnxi::ops::loss {

void register_softmax_cross_entropy_loss(Registry& r) {
  constexpr LossVersion kVersions[] = {{12, 12, false}, {13, kLatestOpset, true}};
  for (const LossVersion& v : kVersions) {
    OpDef def;
    def.op_type = "SoftmaxCrossEntropyLoss";
    def.since_version = v.since;
    def.last_version = v.last;
    def.types = loss_types_string(v);
    def.infer = [v](InferContext& ctx) {
      infer_loss(ctx, read_loss_attrs(ctx.node, v), "scores", "labels", "weights", true);
    };
    def.create = [v](const KernelInit& init) {
      LossAttrs attrs = read_loss_attrs(init.node, v);
      return make_kernel([attrs = std::move(attrs)](KernelContext& ctx) {
        compute_loss(ctx, attrs, "scores", "labels", "weights", true);
      });
    };
    r.add(std::move(def));
  }
}

}  // namespace onnxi::ops::loss
