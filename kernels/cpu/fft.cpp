#include "kernels/cpu/fft.h"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

bool is_pow2(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

void conjugate(Complex* data, int64_t n) {
  for (int64_t i = 0; i < n; ++i) data[i] = std::conj(data[i]);
}

// Lines per parallel task: enough that a task does some thousands of butterflies.
int64_t line_grain(int64_t n) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(n, 1)); }

}  // namespace

FftPlan::FftPlan(int64_t n) : n_(n), pow2_(is_pow2(n)) {
  constexpr double kPi = std::numbers::pi;
  if (pow2_) {
    twiddle_.resize(static_cast<size_t>(n / 2));
    for (int64_t k = 0; k < n / 2; ++k) {
      const double a = -2.0 * kPi * static_cast<double>(k) / static_cast<double>(n);
      twiddle_[static_cast<size_t>(k)] = Complex(std::cos(a), std::sin(a));
    }
    return;
  }
  // Bluestein: j k = (j^2 + k^2 - (k - j)^2) / 2 turns the transform into a convolution with the
  // chirp exp(pi i l^2 / n), evaluated by a power-of-two FFT of length m >= 2n - 1.
  int64_t m = 1;
  while (m < 2 * n - 1) m <<= 1;
  inner_ = std::make_unique<FftPlan>(m);
  chirp_.resize(static_cast<size_t>(n));
  for (int64_t k = 0; k < n; ++k) {
    // k^2 mod 2n keeps the angle small, so large k lose no precision.
    const int64_t k2 = (k * k) % (2 * n);
    const double a = -kPi * static_cast<double>(k2) / static_cast<double>(n);
    chirp_[static_cast<size_t>(k)] = Complex(std::cos(a), std::sin(a));
  }
  filter_.assign(static_cast<size_t>(m), Complex(0, 0));
  filter_[0] = std::conj(chirp_[0]);
  for (int64_t l = 1; l < n; ++l) {
    filter_[static_cast<size_t>(l)] = std::conj(chirp_[static_cast<size_t>(l)]);
    filter_[static_cast<size_t>(m - l)] = std::conj(chirp_[static_cast<size_t>(l)]);
  }
  inner_->radix2(filter_.data());
}

FftPlan::~FftPlan() = default;

void FftPlan::execute(Complex* data, bool inverse, std::vector<Complex>& work) const {
  if (n_ <= 1) return;
  // The inverse transform is the conjugate of the forward one of the conjugate.
  if (inverse) conjugate(data, n_);
  if (pow2_) {
    radix2(data);
  } else {
    bluestein(data, work);
  }
  if (inverse) conjugate(data, n_);
}

void FftPlan::radix2(Complex* a) const {
  const int64_t n = n_;
  for (int64_t i = 1, j = 0; i < n; ++i) {
    int64_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i], a[j]);
  }
  for (int64_t len = 2; len <= n; len <<= 1) {
    const int64_t half = len / 2;
    const int64_t stride = n / len;
    for (int64_t start = 0; start < n; start += len) {
      for (int64_t k = 0; k < half; ++k) {
        const Complex w = twiddle_[static_cast<size_t>(k * stride)];
        const Complex u = a[start + k];
        const Complex v = a[start + k + half] * w;
        a[start + k] = u + v;
        a[start + k + half] = u - v;
      }
    }
  }
}

void FftPlan::bluestein(Complex* data, std::vector<Complex>& work) const {
  const int64_t m = inner_->size();
  work.assign(static_cast<size_t>(m), Complex(0, 0));
  for (int64_t j = 0; j < n_; ++j) work[static_cast<size_t>(j)] = data[j] * chirp_[static_cast<size_t>(j)];
  inner_->radix2(work.data());
  for (int64_t i = 0; i < m; ++i) work[static_cast<size_t>(i)] *= filter_[static_cast<size_t>(i)];
  // Inverse FFT of length m by conjugation, scaled by 1/m.
  conjugate(work.data(), m);
  inner_->radix2(work.data());
  const double scale = 1.0 / static_cast<double>(m);
  for (int64_t k = 0; k < n_; ++k) {
    data[k] = std::conj(work[static_cast<size_t>(k)]) * scale * chirp_[static_cast<size_t>(k)];
  }
}

void dft_naive(const Complex* x, Complex* y, int64_t n, bool inverse) {
  const double sign = inverse ? 1.0 : -1.0;
  for (int64_t k = 0; k < n; ++k) {
    Complex acc(0, 0);
    for (int64_t j = 0; j < n; ++j) {
      // (j k) mod n keeps the angle in [0, 2 pi).
      const double a = sign * 2.0 * std::numbers::pi * static_cast<double>((j * k) % n) / static_cast<double>(n);
      acc += x[j] * Complex(std::cos(a), std::sin(a));
    }
    y[k] = acc;
  }
}

void dft(const DftParams& p, const double* x, double* y) {
  const FftPlan plan(p.n);
  const int64_t in_comp = p.complex_input ? 2 : 1;
  const int64_t out_comp = p.hermitian_input ? 1 : 2;
  const int64_t copy_len = std::min(p.in_len, p.hermitian_input ? p.n / 2 + 1 : p.n);
  const double scale = p.inverse ? 1.0 / static_cast<double>(p.n) : 1.0;
  const int64_t lines = p.outer * p.inner;
  parallel_for(0, lines, line_grain(p.n), [&](int64_t begin, int64_t end) {
    std::vector<Complex> buf(static_cast<size_t>(p.n));
    std::vector<Complex> work;
    for (int64_t line = begin; line < end; ++line) {
      const int64_t o = line / p.inner, i = line % p.inner;
      const double* src = x + (o * p.in_len * p.inner + i) * in_comp;
      std::fill(buf.begin(), buf.end(), Complex(0, 0));
      for (int64_t j = 0; j < copy_len; ++j) {
        const double* e = src + j * p.inner * in_comp;
        buf[static_cast<size_t>(j)] = Complex(e[0], in_comp == 2 ? e[1] : 0.0);
      }
      if (p.hermitian_input) {
        // Complete the spectrum: X[n - k] = conj(X[k]).
        for (int64_t k = 1; k <= p.n / 2; ++k) {
          buf[static_cast<size_t>(p.n - k)] = std::conj(buf[static_cast<size_t>(k)]);
        }
      }
      plan.execute(buf.data(), p.inverse, work);
      double* dst = y + (o * p.out_len * p.inner + i) * out_comp;
      for (int64_t k = 0; k < p.out_len; ++k) {
        double* e = dst + k * p.inner * out_comp;
        const Complex v = buf[static_cast<size_t>(k)] * scale;
        e[0] = v.real();
        if (out_comp == 2) e[1] = v.imag();
      }
    }
  });
}

void stft(const StftParams& p, const double* signal, const double* window, double* y) {
  const FftPlan plan(p.frame_length);
  const int64_t comp = p.complex_input ? 2 : 1;
  parallel_for(0, p.batch * p.frames, line_grain(p.frame_length), [&](int64_t begin, int64_t end) {
    std::vector<Complex> buf(static_cast<size_t>(p.frame_length));
    std::vector<Complex> work;
    for (int64_t t = begin; t < end; ++t) {
      const int64_t b = t / p.frames, f = t % p.frames;
      const double* src = signal + (b * p.signal_len + f * p.step) * comp;
      for (int64_t j = 0; j < p.frame_length; ++j) {
        const double w = window ? window[j] : 1.0;
        buf[static_cast<size_t>(j)] = Complex(src[j * comp] * w, comp == 2 ? src[j * comp + 1] * w : 0.0);
      }
      plan.execute(buf.data(), false, work);
      double* dst = y + t * p.bins * 2;
      for (int64_t k = 0; k < p.bins; ++k) {
        dst[2 * k] = buf[static_cast<size_t>(k)].real();
        dst[2 * k + 1] = buf[static_cast<size_t>(k)].imag();
      }
    }
  });
}

void cosine_window(CosineWindow kind, int64_t size, bool periodic, double* out) {
  double a0 = 0.5, a1 = 0.5, a2 = 0.0;
  if (kind == CosineWindow::Hamming) {
    a0 = 25.0 / 46.0;
    a1 = 21.0 / 46.0;
  } else if (kind == CosineWindow::Blackman) {
    a0 = 0.42;
    a1 = 0.5;
    a2 = 0.08;
  }
  const int64_t period = periodic ? size : size - 1;
  if (period <= 0) {
    // A symmetric window of one point: the formula is 0/0; numpy's windows give 1.
    for (int64_t j = 0; j < size; ++j) out[j] = 1.0;
    return;
  }
  for (int64_t j = 0; j < size; ++j) {
    const double a = 2.0 * std::numbers::pi * static_cast<double>(j) / static_cast<double>(period);
    out[j] = a0 - a1 * std::cos(a) + a2 * std::cos(2.0 * a);
  }
}

std::vector<int64_t> mel_band_edges(int64_t num_mel_bins, int64_t dft_length, double sample_rate, double lower_hz,
                                    double upper_hz) {
  const auto hz_to_mel = [](double f) { return 2595.0 * std::log1p(f / 700.0) / std::numbers::ln10; };
  const auto mel_to_hz = [](double m) { return 700.0 * std::expm1(m / 2595.0 * std::numbers::ln10); };
  const double low = hz_to_mel(lower_hz);
  const double step = (hz_to_mel(upper_hz) - low) / static_cast<double>(num_mel_bins + 2);
  std::vector<int64_t> edges(static_cast<size_t>(num_mel_bins + 2));
  for (int64_t i = 0; i < num_mel_bins + 2; ++i) {
    const double f = mel_to_hz(static_cast<double>(i) * step + low);
    // Floor division as Python's float // does it (exact quotient, then floor), so an f that lands
    // on a bin boundary falls on the same side as in the reference.
    const double a = static_cast<double>(dft_length + 1) * f;
    const double rem = std::fmod(a, sample_rate);
    const double q = (a - rem) / sample_rate;
    double fl = std::floor(q);
    if (q - fl > 0.5) fl += 1.0;
    edges[static_cast<size_t>(i)] = static_cast<int64_t>(fl);
  }
  return edges;
}

void mel_weight_matrix(const std::vector<int64_t>& edges, int64_t spectrogram_bins, int64_t num_mel_bins,
                       double* out) {
  std::fill(out, out + spectrogram_bins * num_mel_bins, 0.0);
  for (int64_t i = 0; i < num_mel_bins; ++i) {
    const int64_t left = edges[static_cast<size_t>(i)];
    const int64_t center = edges[static_cast<size_t>(i + 1)];
    const int64_t right = edges[static_cast<size_t>(i + 2)];
    if (center == left) {
      out[center * num_mel_bins + i] = 1.0;
    } else {
      for (int64_t j = left; j <= center; ++j) {
        out[j * num_mel_bins + i] = static_cast<double>(j - left) / static_cast<double>(center - left);
      }
    }
    for (int64_t j = center; j < right; ++j) {
      out[j * num_mel_bins + i] = static_cast<double>(right - j) / static_cast<double>(right - center);
    }
  }
}

}  // namespace onnxi::kernels
