// Discrete Fourier transforms and the spectral helpers of the signal ops (DFT, STFT, the cosine
// windows, MelWeightMatrix). Everything computes in double: float inputs are widened by the op.
//
// FftPlan computes one length-n transform in O(n log n) for every n: an iterative radix-2 FFT for
// powers of two, Bluestein's chirp-z algorithm (a circular convolution done with power-of-two FFTs)
// for the rest. dft_naive is the O(n^2) definition, the oracle the tests hold the plan against.
#pragma once

#include <complex>
#include <cstdint>
#include <memory>
#include <vector>

namespace onnxi::kernels {

using Complex = std::complex<double>;

class FftPlan {
 public:
  explicit FftPlan(int64_t n);  // n >= 1
  ~FftPlan();
  FftPlan(const FftPlan&) = delete;
  FftPlan& operator=(const FftPlan&) = delete;

  int64_t size() const noexcept { return n_; }
  // In place: data[k] = sum_j data[j] * exp(-+2 pi i j k / n), the sign + when inverse. Unscaled:
  // the inverse transform's 1/n is the caller's. `work` is scratch, resized as needed (one per
  // thread), so a plan is shared read-only between threads.
  void execute(Complex* data, bool inverse, std::vector<Complex>& work) const;

 private:
  void radix2(Complex* data) const;  // forward only; inverse goes through conjugation
  void bluestein(Complex* data, std::vector<Complex>& work) const;

  int64_t n_;
  bool pow2_;
  std::vector<Complex> twiddle_;  // pow2: exp(-2 pi i k / n), k < n/2
  // Bluestein: chirp_[k] = exp(-pi i k^2 / n); filter_ is the FFT of the conjugate chirp laid out
  // circularly over the inner power-of-two length.
  std::vector<Complex> chirp_;
  std::vector<Complex> filter_;
  std::unique_ptr<FftPlan> inner_;
};

// y[k] = sum_j x[j] * exp(-+2 pi i j k / n) (the sign + when inverse), unscaled, O(n^2).
void dft_naive(const Complex* x, Complex* y, int64_t n, bool inverse);

// A batch of 1-D transforms along one axis of a tensor viewed as [outer][len][inner][components],
// components 1 (real) or 2 (real, imaginary interleaved). Each line takes its first min(in_len, n)
// values, zero-padded to n, and writes out_len values.
struct DftParams {
  int64_t outer = 1;
  int64_t inner = 1;
  int64_t in_len = 0;
  int64_t out_len = 0;   // n for a full transform, n/2 + 1 for onesided forward, n for IRFFT
  int64_t n = 0;         // the transform length (dft_length)
  bool complex_input = false;
  bool inverse = false;  // the inverse transform, scaled by 1/n
  // IRFFT: the input holds bins 0.. of a Hermitian spectrum (bins past n/2 are ignored, missing ones
  // are zero); the output is the real signal, one component. Needs inverse.
  bool hermitian_input = false;
};
// x: outer * in_len * inner * (complex_input ? 2 : 1) values; y: outer * out_len * inner * (2, or 1
// for hermitian_input) values.
void dft(const DftParams& p, const double* x, double* y);

// Short-time transform of a [batch][signal_len][components] signal: frame f starts at f * step and
// holds frame_length samples, multiplied by window (frame_length values; null: all ones). y is
// [batch][frames][bins][2] with the first `bins` values of each frame's transform.
struct StftParams {
  int64_t batch = 1;
  int64_t signal_len = 0;
  int64_t frames = 0;
  int64_t step = 1;
  int64_t frame_length = 0;
  int64_t bins = 0;
  bool complex_input = false;
};
void stft(const StftParams& p, const double* signal, const double* window, double* y);

// Generalized cosine windows: w[j] = a0 - a1 cos(2 pi j / N) + a2 cos(4 pi j / N), N = size when
// periodic, size - 1 when symmetric (a symmetric window of size 1 is [1]).
enum class CosineWindow { Hann, Hamming, Blackman };
void cosine_window(CosineWindow kind, int64_t size, bool periodic, double* out);

// The num_mel_bins + 2 band edges of MelWeightMatrix as spectrogram bin indices: points spaced
// evenly on the mel scale mel(f) = 2595 log10(1 + f / 700), from lower_hz in steps of
// (mel(upper_hz) - mel(lower_hz)) / (num_mel_bins + 2) (the ONNX reference's spacing), each mapped to
// floor((dft_length + 1) * f / sample_rate).
std::vector<int64_t> mel_band_edges(int64_t num_mel_bins, int64_t dft_length, double sample_rate, double lower_hz,
                                    double upper_hz);
// out: [spectrogram_bins][num_mel_bins], band i a triangle rising from edges[i] to a peak of 1 at
// edges[i+1] and falling to zero at edges[i+2]. Every edge must be below spectrogram_bins.
void mel_weight_matrix(const std::vector<int64_t>& edges, int64_t spectrogram_bins, int64_t num_mel_bins,
                       double* out);

}  // namespace onnxi::kernels
