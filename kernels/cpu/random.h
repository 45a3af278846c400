// Random number generation for the random ops (RandomNormal, RandomUniform, Bernoulli,
// Multinomial) and Dropout's training mode.
//
// The generator is numpy.random.RandomState's: MT19937 seeded from a 32-bit integer with the
// reference initialisation (init_genrand), doubles with 53 random bits from two 32-bit draws, and
// numpy's legacy polar method for normals. A seeded op therefore draws exactly the stream the ONNX
// reference implementation draws (it creates RandomState(int(seed)) for each run), and so do the
// node tests that seed numpy before drawing (Dropout's training tests).
#pragma once

#include <cstdint>
#include <random>

namespace onnxi::kernels {

class NumpyRandom {
 public:
  explicit NumpyRandom(uint32_t seed) : mt_(seed) {}

  uint32_t next_u32() { return static_cast<uint32_t>(mt_()); }
  // Uniform on [0, 1) with 53 random bits (numpy's random_sample).
  double next_double();
  // Standard normal (numpy's legacy_gauss: polar Box-Muller, the second value of a pair cached).
  double next_gauss();

 private:
  std::mt19937 mt_;  // std::mt19937(seed) is init_genrand(seed), exactly as numpy seeds it
  bool has_gauss_ = false;
  double gauss_ = 0.0;
};

// A seed for unseeded ops: random_device mixed with a process-wide counter, so two calls in the
// same run differ even where random_device is deterministic.
uint32_t nondeterministic_seed();

// out[i] = low + (high - low) * u, u uniform on [0, 1) (RandomState.rand / uniform).
void random_uniform(NumpyRandom& rng, double low, double high, double* out, int64_t n);
// out[i] = mean + scale * g, g standard normal (RandomState.randn).
void random_normal(NumpyRandom& rng, double mean, double scale, double* out, int64_t n);
// out[i] = 1 with probability p[i], else 0, one uniform draw per element, decided as
// RandomState.binomial(1, p) decides it. Every p[i] must lie in [0, 1].
void bernoulli(NumpyRandom& rng, const double* p, double* out, int64_t n);
// keep[i] = (u >= ratio) for u = RandomState.uniform(0, 1): Dropout's mask.
void dropout_mask(NumpyRandom& rng, double ratio, bool* keep, int64_t n);
// Multinomial: for each of `batch` rows of `classes` unnormalized log-probabilities, `samples`
// class indices drawn with probability exp(logit) / sum(exp(logits)) (inverse-CDF on one uniform
// draw each). Rows must hold no NaN or +inf and at least one finite value.
void multinomial(NumpyRandom& rng, const double* logits, int64_t batch, int64_t classes, int64_t samples,
                 int64_t* out);

}  // namespace onnxi::kernels
