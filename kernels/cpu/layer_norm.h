// Float32 row normalizations for the LayerNormalization / RMSNormalization ops and their fused
// forms (com.onnxi SkipLayerNormalization): each of `rows` contiguous rows of `cols` values is
// normalized on its own, with the scale/shift applied in the same pass while the row is in L1.
//
// The portable versions accumulate in double and are the oracle; the AVX2 / AVX-512 variants
// (layer_norm__avx2.cpp, layer_norm__avx512.cpp, picked once from active_isa()) accumulate in
// float over several vector accumulators and use a corrected two-pass variance: the float mean m
// first, then the deviations d = s - m, whose sum corrects the mean (kept as two floats, m + lo)
// and whose squares give the variance sum(d^2)/n - lo^2 (no cancellation, unlike E[s^2] - E[s]^2).
// The row is re-read from L1 for the second and third passes, so they cost little. Measured
// against the double reference (tests/unit/test_layer_norm_kernels.cpp, all lengths 1..1000):
// at most 7.2e-7 absolute on the normalized output for rows in [-2, 2] and for rows in [98, 102]
// (4.8e-7 for RMSNorm); a single float mean would give 1.5e-5 on the offset rows.
#pragma once

#include <cstdint>

namespace onnxi::kernels {

struct LayerNormParams {
  float epsilon = 1e-5f;
  // Per-column scale and shift (cols values each); null means 1 and 0.
  const float* gamma = nullptr;
  const float* beta = nullptr;
  // Optional residual added before normalizing: row r reads skip + (r % skip_rows) * cols, so a
  // skip of fewer rows (e.g. [S, H] against [B, S, H]) repeats. Null: no skip.
  const float* skip = nullptr;
  int64_t skip_rows = 0;
  // Optional per-column bias added with the skip: s = (x + bias) + skip.
  const float* bias = nullptr;
  // When not null, receives s (rows x cols), the value that was normalized.
  float* sum = nullptr;
  // When not null, receive one value per row: the mean and 1 / sqrt(variance + epsilon).
  float* mean = nullptr;
  float* inv_std_dev = nullptr;
};

// y = (s - mean(s)) / sqrt(var(s) + epsilon) * gamma + beta per row, s = x (+ bias) (+ skip).
// y may alias x. Threads over rows.
void layer_norm_rows_f32(const float* x, float* y, int64_t rows, int64_t cols, const LayerNormParams& p);

// y = s / sqrt(mean(s^2) + epsilon) * gamma + beta per row (mean and skip fields as above; `mean`
// is not written: RMS has none).
void rms_norm_rows_f32(const float* x, float* y, int64_t rows, int64_t cols, const LayerNormParams& p);

// The portable (double-accumulating) versions, whatever the CPU: the oracle of the tests.
void layer_norm_rows_f32_reference(const float* x, float* y, int64_t rows, int64_t cols, const LayerNormParams& p);
void rms_norm_rows_f32_reference(const float* x, float* y, int64_t rows, int64_t cols, const LayerNormParams& p);

// One row, per ISA (the variant files define only these). `simplified` selects RMS.
void norm_row_f32__avx512(const float* x, float* y, int64_t cols, const float* skip, const LayerNormParams& p,
                          bool simplified, float* sum, float* mean, float* inv_std_dev);
void norm_row_f32__avx2(const float* x, float* y, int64_t cols, const float* skip, const LayerNormParams& p,
                        bool simplified, float* sum, float* mean, float* inv_std_dev);

}  // namespace onnxi::kernels
