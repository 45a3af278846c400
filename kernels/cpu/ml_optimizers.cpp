#include "kernels/cpu/ml_optimizers.h"

#include <cmath>

namespace onnxi::kernels {

template <class T>
void adagrad_step(const AdagradStep& p, const T* x, const T* g, const T* h, T* x_new, T* h_new, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double gr = p.norm_coefficient * x[i] + g[i];
    const double hn = h[i] + gr * gr;
    h_new[i] = static_cast<T>(hn);
    x_new[i] = static_cast<T>(x[i] - p.lr * gr / (std::sqrt(hn) + p.epsilon));
  }
}

template <class T>
void adam_step(const AdamStep& p, const T* x, const T* g, const T* v, const T* h, T* x_new, T* v_new, T* h_new,
               int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double gr = p.norm_coefficient * x[i] + g[i];
    const double vn = p.alpha * v[i] + (1 - p.alpha) * gr;
    const double hn = p.beta * h[i] + (1 - p.beta) * gr * gr;
    v_new[i] = static_cast<T>(vn);
    h_new[i] = static_cast<T>(hn);
    const double xn = x[i] - p.lr * vn / (std::sqrt(hn) + p.epsilon);
    x_new[i] = static_cast<T>((1 - p.norm_coefficient_post) * xn);
  }
}

template <class T>
void momentum_step(const MomentumStep& p, const T* x, const T* g, const T* v, T* x_new, T* v_new, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const double gr = p.norm_coefficient * x[i] + g[i];
    const double vn = p.alpha * v[i] + p.beta * gr;
    v_new[i] = static_cast<T>(vn);
    x_new[i] = static_cast<T>(p.nesterov ? x[i] - p.lr * (gr + p.alpha * vn) : x[i] - p.lr * vn);
  }
}

template void adagrad_step<float>(const AdagradStep&, const float*, const float*, const float*, float*, float*, int64_t);
template void adagrad_step<double>(const AdagradStep&, const double*, const double*, const double*, double*, double*,
                                   int64_t);
template void adam_step<float>(const AdamStep&, const float*, const float*, const float*, const float*, float*, float*,
                               float*, int64_t);
template void adam_step<double>(const AdamStep&, const double*, const double*, const double*, const double*, double*,
                                double*, double*, int64_t);
template void momentum_step<float>(const MomentumStep&, const float*, const float*, const float*, float*, float*,
                                   int64_t);
template void momentum_step<double>(const MomentumStep&, const double*, const double*, const double*, double*, double*,
                                    int64_t);

}  // namespace onnxi::kernels
