// Normalization kernels. Statistics accumulate in double whatever T is, so float rows of any length
// keep their precision; results are rounded to T once.
#pragma once

#include <cstdint>
#include <vector>

namespace onnxi::kernels {

// y[n, c, s] = (x[n, c, s] - mean[c]) / sqrt(var[c] + epsilon) * scale[c] + bias[c].
template <class T>
void batch_norm(const T* x, const T* scale, const T* bias, const T* mean, const T* var, double epsilon, int64_t batch,
                int64_t channels, int64_t spatial, T* y);

// The vector float32 planes of batch_norm (norm_vec_impl.h, one template instantiated in
// norm__avx512.cpp and norm__avx2.cpp, picked once from active_isa()): y = x * a[c] + b[c] over
// planes [plane_begin, plane_end) of x[batch * channels, spatial], with a = scale / sqrt(var +
// epsilon) and b = bias - mean * a precomputed per channel (in double, rounded once).
void batch_norm_planes_f32__avx512(const float* x, const float* a, const float* b, int64_t plane_begin,
                                   int64_t plane_end, int64_t channels, int64_t spatial, float* y);
void batch_norm_planes_f32__avx2(const float* x, const float* a, const float* b, int64_t plane_begin,
                                 int64_t plane_end, int64_t channels, int64_t spatial, float* y);

// Per-channel mean and (population) variance of x[batch, channels, spatial]: the statistics a
// training-mode BatchNormalization uses.
template <class T>
void channel_moments(const T* x, int64_t batch, int64_t channels, int64_t spatial, T* mean, T* var);

// Standardizes each of `rows` contiguous rows of `cols` values: y = (x - mean) * inv_std_dev with
// inv_std_dev = 1 / sqrt(variance + epsilon). mean / inv_std_dev (one per row) are written when
// not null. y may alias x.
template <class T>
void standardize_rows(const T* x, T* y, int64_t rows, int64_t cols, double epsilon, T* mean, T* inv_std_dev);

// y = x / sqrt(mean(x^2) + epsilon) per row. y may alias x.
template <class T>
void rms_normalize_rows(const T* x, T* y, int64_t rows, int64_t cols, double epsilon);

// In place: y[r, c] = y[r, c] * scale[...] + bias[...] where scale/bias advance by `*_row_stride`
// per row (0: the same row of `cols` values for all rows; cols: one row each). bias may be null.
template <class T>
void affine_rows(T* y, int64_t rows, int64_t cols, const T* scale, int64_t scale_row_stride, const T* bias,
                 int64_t bias_row_stride);

// In place over y[batch, channels, spatial]: y = y * scale[c] + bias[c] (bias may be null).
template <class T>
void affine_channels(T* y, int64_t batch, int64_t channels, int64_t spatial, const T* scale, const T* bias);

// Local response normalization across channels of x[batch, channels, spatial]:
// y = x / (bias + alpha / size * sum of x^2 over channels [c - floor((size-1)/2), c + ceil((size-1)/2)])^beta
template <class T>
void lrn(const T* x, T* y, int64_t batch, int64_t channels, int64_t spatial, int64_t size, double alpha, double beta,
         double bias);

// Lp normalization (p = 1 or 2) along the middle axis of x viewed as [outer, n, inner]; a zero
// vector stays zero.
template <class T>
void lp_normalize(const T* x, T* y, int64_t outer, int64_t n, int64_t inner, int64_t p);

// y = (x - mean) / (sqrt(variance) + epsilon) with mean and (population) variance taken over the
// axes of `shape` flagged in `reduced`.
template <class T>
void mean_variance_normalize(const T* x, T* y, const std::vector<int64_t>& shape, const std::vector<bool>& reduced,
                             double epsilon);

}  // namespace onnxi::kernels
