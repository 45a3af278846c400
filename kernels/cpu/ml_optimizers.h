// One update step of the ai.onnx.preview.training optimizers (Adagrad, Adam, Momentum) over one
// tensor of n elements. The scalar factors (decayed or bias-corrected learning rates) are computed
// by the op; arithmetic is float64, stored as T (float or double).
#pragma once

#include <cstdint>

namespace onnxi::kernels {

struct AdagradStep {
  double lr = 0;  // R / (1 + T * decay_factor)
  double norm_coefficient = 0;
  double epsilon = 0;
};
// g' = norm * x + g; h_new = h + g'^2; x_new = x - lr * g' / (sqrt(h_new) + epsilon)
template <class T>
void adagrad_step(const AdagradStep& p, const T* x, const T* g, const T* h, T* x_new, T* h_new, int64_t n);

struct AdamStep {
  double lr = 0;  // R, bias-corrected when T > 0
  double alpha = 0;
  double beta = 0;
  double epsilon = 0;
  double norm_coefficient = 0;
  double norm_coefficient_post = 0;
};
// g' = norm * x + g; v_new = alpha v + (1 - alpha) g'; h_new = beta h + (1 - beta) g'^2;
// x_new = (1 - norm_post) * (x - lr * v_new / (sqrt(h_new) + epsilon))
template <class T>
void adam_step(const AdamStep& p, const T* x, const T* g, const T* v, const T* h, T* x_new, T* v_new, T* h_new,
               int64_t n);

struct MomentumStep {
  double lr = 0;
  double alpha = 0;
  double beta = 0;  // already 1 at the first iteration (T = 0)
  double norm_coefficient = 0;
  bool nesterov = false;
};
// g' = norm * x + g; v_new = alpha v + beta g';
// x_new = x - lr * v_new (standard) or x - lr * (g' + alpha v_new) (Nesterov)
template <class T>
void momentum_step(const MomentumStep& p, const T* x, const T* g, const T* v, T* x_new, T* v_new, int64_t n);

}  // namespace onnxi::kernels
