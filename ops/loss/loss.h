// The loss family (ops/loss/): NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss. Both pick one
// log-probability per sample from [N, C, d1..dk] by an integer class target [N, d1..dk], optionally
// weight it by class, skip ignore_index, and reduce (none / sum / mean). SoftmaxCrossEntropyLoss
// takes raw scores and runs log_softmax over the class axis first. The shared glue lives in
// loss_common.cpp, the numeric loops in kernels/cpu/loss.h.
#pragma once

#include <string>
#include <vector>

#include "onnxi/registry.h"

namespace onnxi::ops::loss {

void register_nll_loss(Registry& r);                    // nll_loss.cpp: NegativeLogLikelihoodLoss
void register_softmax_cross_entropy_loss(Registry& r);  // softmax_cross_entropy_loss.cpp

enum class Reduction { None, Sum, Mean };

struct LossAttrs {
  Reduction reduction = Reduction::Mean;
  bool has_ignore = false;  // ignore_index has no default: absent means no class is skipped
  int64_t ignore_index = 0;
  std::vector<DataType> types;  // the element types of the scores / log-probabilities and weights
};

// One opset range: its first version and whether it accepts bfloat16.
struct LossVersion {
  int since;
  int last;
  bool bfloat16;
};

// Reads reduction and ignore_index; InvalidModel naming the node for an unknown reduction.
LossAttrs read_loss_attrs(const Node& node, const LossVersion& v);
std::vector<DataType> loss_types(const LossVersion& v);  // float16, float, double (+ bfloat16)
std::string loss_types_string(const LossVersion& v);      // for OpDef::types

// Inference shared by both ops. Input 0 (named `x_name`) is [N, C, d1..dk], input 1 the target
// [N, d1..dk], input 2 the optional class weights [C]. Output 0 is the loss (target's shape for
// "none", else a scalar); with `log_prob_output`, output 1 has input 0's type.
void infer_loss(InferContext& ctx, const LossAttrs& a, const char* x_name, const char* target_name,
                const char* weight_name, bool log_prob_output);

// The run-time work of both ops: checks the inputs, then, for SoftmaxCrossEntropyLoss
// (`softmax_first`), computes log_softmax of input 0 over the class axis (output 1 when wanted),
// and sets output 0 to the reduced negative log likelihood.
void compute_loss(KernelContext& ctx, const LossAttrs& a, const char* x_name, const char* target_name,
                  const char* weight_name, bool softmax_first);

}  // namespace onnxi::ops::loss
