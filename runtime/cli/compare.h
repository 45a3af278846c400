// Comparing a computed value with an expected one, by the rules of onnx's backend test runner:
// same kind, dtype and shape; floats within |a - e| <= atol + rtol * |e| (NaN equals NaN, +-inf must
// match exactly); integers, bools and strings exactly; sequences item by item; optionals by presence,
// then value. `onnxi conformance` and the unit tests share this code.
#pragma once

#include <string>
#include <vector>

#include "onnxi/value.h"

namespace onnxi::cli {

struct Tolerance {
  double rtol = 1e-3;
  double atol = 1e-7;
};

// "" when they match; otherwise one line naming `what` and the first difference, e.g.
//   output 'y': 2 of 6 values differ, first at [1,0]: actual 0.5 vs expected 0.25 (rtol 0.001, atol 1e-07)
std::string compare_values(const Value& actual, const Value& expected, const Tolerance& tol,
                           const std::string& what);
std::string compare_tensors(const Tensor& actual, const Tensor& expected, const Tolerance& tol,
                            const std::string& what);

// True when a and e are equal under the float rule above.
bool floats_close(double a, double e, const Tolerance& tol) noexcept;

// Every element as float64 (int64 beyond 2^53 rounds). Strings and complex types throw.
std::vector<double> tensor_to_f64(const Tensor& t);
// Element i as text, exact for integers and strings ("3", "0.25", "\"abc\"", "(1+2j)").
std::string format_element(const Tensor& t, int64_t i);
// The multi-index of flat element `flat` in C order: "[0,2,1]" ("[]" for a scalar).
std::string index_str(const Shape& shape, int64_t flat);

}  // namespace onnxi::cli
