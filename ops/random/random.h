// The random family (ops/random/): RandomNormal, RandomUniform and their *Like forms, Bernoulli and
// Multinomial. The generator is numpy's RandomState stream (kernels/cpu/random.h): an op with a
// `seed` attribute starts a fresh generator from it on every run, as the ONNX reference does, so a
// seeded node gives the same values on every run and the same values as onnx.reference; without a
// seed every run draws from a fresh nondeterministic seed.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "onnxi/registry.h"
#include "ops/common.h"

namespace onnxi::ops::random {

void register_generators(Registry& r);   // generators.cpp: RandomNormal(Like), RandomUniform(Like)
void register_bernoulli(Registry& r);    // bernoulli.cpp: Bernoulli
void register_multinomial(Registry& r);  // multinomial.cpp: Multinomial

// float16, float, double (+ bfloat16 from opset 22): the float types of the random ops.
TypeList float_types(int since);

// The `seed` attribute (a float): truncated toward zero and reduced modulo 2^32, as
// RandomState(int(seed)) takes it. Absent or NaN: a fresh nondeterministic seed per run.
class Seed {
 public:
  // Fails (through `fail`) on an infinite seed.
  Seed(const Node& node, const std::function<void(const std::string&)>& fail);
  uint32_t for_run() const;

 private:
  bool fixed_ = false;
  uint32_t value_ = 0;
};

// The `dtype` attribute as a DataType from `allowed`; `fallback` when absent (or 0, where the spec
// means "absent"). Fails (through `fail`) naming the attribute when it is not allowed.
DataType dtype_attr(const Node& node, DataType fallback, const TypeList& allowed,
                    const std::function<void(const std::string&)>& fail);

}  // namespace onnxi::ops::random
