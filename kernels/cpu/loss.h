// Negative log likelihood over log-probabilities viewed as [batch, classes, inner] (row-major): the
// class axis has stride `inner`, and targets are [batch, inner]. SoftmaxCrossEntropyLoss is
// log_softmax (kernels/cpu/softmax.h) followed by this.
#pragma once

#include <cstdint>

namespace onnxi::kernels {

struct NllParams {
  int64_t batch = 0;
  int64_t classes = 0;
  int64_t inner = 1;          // product of the spatial dims d1..dk (1 when k = 0)
  bool has_ignore = false;    // ignore_index was given
  int64_t ignore_index = 0;
};

struct NllResult {
  int64_t bad_sample = -1;    // flat index of the first target outside [0, classes) that is not ignored
  double weight_sum = 0;      // sum of the counted samples' weights: the denominator of "mean"
};

// loss[n * inner + d] = -logp[n, c, d] * w[c] with c = target[n * inner + d] and w = weight (1 when
// weight is null). Ignored samples get loss 0 and weight 0. On a bad target the loop stops and
// the result says which sample; loss is then incomplete.
template <class T, class I>
NllResult nll_loss(const NllParams& p, const T* logp, const I* target, const T* weight, T* loss);

// Sum of n values, accumulated in double.
template <class T>
double sum_f64(const T* x, int64_t n);

}  // namespace onnxi::kernels
