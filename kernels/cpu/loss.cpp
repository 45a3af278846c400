#include "kernels/cpu/loss.h"

namespace onnxi::kernels {

template <class T, class I>
NllResult nll_loss(const NllParams& p, const T* logp, const I* target, const T* weight, T* loss) {
  NllResult r;
  for (int64_t n = 0; n < p.batch; ++n) {
    const T* sample = logp + n * p.classes * p.inner;
    for (int64_t d = 0; d < p.inner; ++d) {
      const int64_t i = n * p.inner + d;
      const int64_t c = static_cast<int64_t>(target[i]);
      if (p.has_ignore && c == p.ignore_index) {
        loss[i] = T(0);
        continue;
      }
      if (c < 0 || c >= p.classes) {
        r.bad_sample = i;
        return r;
      }
      const T w = weight ? weight[c] : T(1);
      loss[i] = -sample[c * p.inner + d] * w;
      r.weight_sum += static_cast<double>(w);
    }
  }
  return r;
}

template <class T>
double sum_f64(const T* x, int64_t n) {
  double s = 0;
  for (int64_t i = 0; i < n; ++i) s += static_cast<double>(x[i]);
  return s;
}

template NllResult nll_loss<float, int32_t>(const NllParams&, const float*, const int32_t*, const float*, float*);
template NllResult nll_loss<float, int64_t>(const NllParams&, const float*, const int64_t*, const float*, float*);
template NllResult nll_loss<double, int32_t>(const NllParams&, const double*, const int32_t*, const double*, double*);
template NllResult nll_loss<double, int64_t>(const NllParams&, const double*, const int64_t*, const double*, double*);
template double sum_f64<float>(const float*, int64_t);
template double sum_f64<double>(const double*, int64_t);

}  // namespace onnxi::kernels
