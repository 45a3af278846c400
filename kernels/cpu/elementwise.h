// Elementwise kernels: unary maps, binary maps with multidirectional broadcasting, comparisons,
// select (Where) and clamp. Plain functions on raw pointers and shapes; the caller checked types
// and shapes. One overload per element type; float16/bfloat16 callers widen to float first.
//
// Broadcasting runs over a BroadcastPlan: the output shape with adjacent dims merged wherever every
// operand is contiguous across them, so same-shape operands become one flat run and a scalar
// operand a stride-0 run. The innermost run is the unit of work; its operand strides are 0 or 1.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "kernels/cpu/cpu_features.h"

namespace onnxi::kernels {

struct BroadcastPlan {
  std::vector<int64_t> dims;                  // merged output dims, outermost first; never empty
  std::vector<std::vector<int64_t>> strides;  // per operand (inputs, then the output), per merged dim
  int64_t numel = 0;                          // output elements
};

// `inputs`: operand shapes, right-aligned against `out` (each dim equal to out's or 1).
BroadcastPlan plan_broadcast(const std::vector<std::vector<int64_t>>& inputs, const std::vector<int64_t>& out);

// Calls run(offsets, n) once per innermost run of n output elements; offsets[k] is the element
// offset of operand k (inputs first, output last) at the start of the run.
template <class Run>
void for_each_run(const BroadcastPlan& plan, Run&& run) {
  if (plan.numel == 0) return;
  const size_t ops = plan.strides.size();
  const size_t rank = plan.dims.size();
  const int64_t inner = plan.dims.back();
  std::vector<int64_t> offsets(ops, 0);
  if (rank == 1) {
    run(offsets.data(), inner);
    return;
  }
  std::vector<int64_t> index(rank - 1, 0);
  const int64_t runs = plan.numel / inner;
  for (int64_t r = 0; r < runs; ++r) {
    run(offsets.data(), inner);
    // Odometer over the outer dims; offsets move by the stride of the dim that ticks and rewind
    // the dims that wrap.
    for (size_t d = rank - 1; d-- > 0;) {
      if (++index[d] < plan.dims[d]) {
        for (size_t k = 0; k < ops; ++k) offsets[k] += plan.strides[k][d];
        break;
      }
      index[d] = 0;
      for (size_t k = 0; k < ops; ++k) offsets[k] -= plan.strides[k][d] * (plan.dims[d] - 1);
    }
  }
}

// Splits the plan's outermost dim into chunks of at least ~32K output elements and calls
// fn(sub_plan, offsets) for each, possibly concurrently; offsets[k] is where operand k's chunk starts.
void parallel_plan(const BroadcastPlan& plan,
                   const std::function<void(const BroadcastPlan& sub, const int64_t* offsets)>& fn);
// Calls fn(begin, end) over [0, n) in chunks of at least ~32K elements, possibly concurrently.
void parallel_elements(int64_t n, const std::function<void(int64_t begin, int64_t end)>& fn);

// ---- unary --------------------------------------------------------------------------------------

enum class UnaryOp {
  // float and double
  Reciprocal, Sqrt, Exp, Log, Floor, Ceil, Round, Erf, Sin, Cos, Tan, Asin, Acos, Atan, Sinh, Cosh,
  Asinh, Acosh, Atanh, Sigmoid, Tanh, LeakyRelu, Elu, Selu, Celu, Gelu, GeluTanh, HardSigmoid,
  HardSwish, Softplus, Softsign, Mish, Swish, ThresholdedRelu,
  // float, double and signed integers (unsigned: Abs, Sign and Relu too, Neg wraps)
  Abs, Neg, Sign, Relu, Shrink,
  // integers only
  BitwiseNot,
  // bool only
  Not,
};

// alpha/beta/gamma as the ONNX attributes of the same name; Shrink uses alpha = lambd, beta = bias.
struct UnaryParams {
  double alpha = 0.0;
  double beta = 0.0;
  double gamma = 0.0;
};

const char* unary_op_name(UnaryOp op) noexcept;
// Whether unary() implements `op` for floats / for integers (signed or not) / for bool.
bool unary_supports_float(UnaryOp op) noexcept;
bool unary_supports_integer(UnaryOp op) noexcept;

void unary(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p = {});
void unary(UnaryOp op, const double* x, double* y, int64_t n, const UnaryParams& p = {});
void unary(UnaryOp op, const int8_t* x, int8_t* y, int64_t n, const UnaryParams& p = {});
void unary(UnaryOp op, const int16_t* x, int16_t* y, int64_t n, const UnaryParams& p = {});
void unary(UnaryOp op, const int32_t* x, int32_t* y, int64_t n, const UnaryParams& p = {});
void unary(UnaryOp op, const int64_t* x, int64_t* y, int64_t n, const UnaryParams& p = {});
void unary(UnaryOp op, const uint8_t* x, uint8_t* y, int64_t n, const UnaryParams& p = {});
void unary(UnaryOp op, const uint16_t* x, uint16_t* y, int64_t n, const UnaryParams& p = {});
void unary(UnaryOp op, const uint32_t* x, uint32_t* y, int64_t n, const UnaryParams& p = {});
void unary(UnaryOp op, const uint64_t* x, uint64_t* y, int64_t n, const UnaryParams& p = {});
void unary(UnaryOp op, const bool* x, bool* y, int64_t n, const UnaryParams& p = {});

enum class ClassifyOp { IsNaN, IsPosInf, IsNegInf, IsInf };
void classify(ClassifyOp op, const float* x, bool* y, int64_t n);
void classify(ClassifyOp op, const double* x, bool* y, int64_t n);

// y = min(max(x, lo), hi): when lo > hi every element becomes hi; NaN stays NaN.
template <class T>
void clip(const T* x, T lo, T hi, T* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    T v = x[i] < lo ? lo : x[i];
    y[i] = v > hi ? hi : v;
  }
}

// dst[i] = float(double(src[i]) * s) for i in [0, n): a row of weights scaled in double and
// rounded once, as folding a BatchNormalization into a Conv does; src may be dst. Here, not in the
// pass, so that it is vectorized (the passes are compiled for size: ResNet-50's 25 M weights took
// 12-20 ms there).
void scale_f32_in_f64(const float* src, double s, float* dst, int64_t n);

// ---- binary -------------------------------------------------------------------------------------

enum class BinaryOp {
  // every numeric type
  Add, Sub, Mul, Div, Pow, Mod, FMod, Min, Max, PRelu,
  // integers only
  BitAnd, BitOr, BitXor, ShiftLeft, ShiftRight,
  // bool only
  And, Or, Xor,
};

const char* binary_op_name(BinaryOp op) noexcept;
bool binary_supports_float(BinaryOp op) noexcept;
bool binary_supports_integer(BinaryOp op) noexcept;

// Semantics where C++ leaves them open: integer Div truncates toward zero and gives 0 for a zero
// divisor; Mod follows the divisor's sign (Python), FMod the dividend's (C fmod), both 0 for a zero
// integer divisor; Min/Max propagate NaN; integer Pow is exact (wrapping) and a negative exponent
// gives the truncated real result (0 unless the base is 1 or -1); shifts by a negative amount or by
// the bit width or more give 0 (right shift of a negative signed value: -1); PRelu(x, slope) is
// x for x > 0, else x * slope.
void binary(BinaryOp op, const float* a, const float* b, float* out, const BroadcastPlan& plan);
void binary(BinaryOp op, const double* a, const double* b, double* out, const BroadcastPlan& plan);
void binary(BinaryOp op, const int8_t* a, const int8_t* b, int8_t* out, const BroadcastPlan& plan);
void binary(BinaryOp op, const int16_t* a, const int16_t* b, int16_t* out, const BroadcastPlan& plan);
void binary(BinaryOp op, const int32_t* a, const int32_t* b, int32_t* out, const BroadcastPlan& plan);
void binary(BinaryOp op, const int64_t* a, const int64_t* b, int64_t* out, const BroadcastPlan& plan);
void binary(BinaryOp op, const uint8_t* a, const uint8_t* b, uint8_t* out, const BroadcastPlan& plan);
void binary(BinaryOp op, const uint16_t* a, const uint16_t* b, uint16_t* out, const BroadcastPlan& plan);
void binary(BinaryOp op, const uint32_t* a, const uint32_t* b, uint32_t* out, const BroadcastPlan& plan);
void binary(BinaryOp op, const uint64_t* a, const uint64_t* b, uint64_t* out, const BroadcastPlan& plan);
void binary(BinaryOp op, const bool* a, const bool* b, bool* out, const BroadcastPlan& plan);

// out = base ^ exponent computed in double and converted back to T (integers: truncated toward
// zero and saturated, NaN gives 0): Pow with an exponent type that differs from the base type.
void pow_f64_exponent(const float* base, const double* exponent, float* out, const BroadcastPlan& plan);
void pow_f64_exponent(const double* base, const double* exponent, double* out, const BroadcastPlan& plan);
void pow_f64_exponent(const int32_t* base, const double* exponent, int32_t* out, const BroadcastPlan& plan);
void pow_f64_exponent(const int64_t* base, const double* exponent, int64_t* out, const BroadcastPlan& plan);

// ---- comparisons --------------------------------------------------------------------------------

enum class CompareOp { Equal, Less, Greater, LessOrEqual, GreaterOrEqual };

void compare(CompareOp op, const float* a, const float* b, bool* out, const BroadcastPlan& plan);
void compare(CompareOp op, const double* a, const double* b, bool* out, const BroadcastPlan& plan);
void compare(CompareOp op, const int8_t* a, const int8_t* b, bool* out, const BroadcastPlan& plan);
void compare(CompareOp op, const int16_t* a, const int16_t* b, bool* out, const BroadcastPlan& plan);
void compare(CompareOp op, const int32_t* a, const int32_t* b, bool* out, const BroadcastPlan& plan);
void compare(CompareOp op, const int64_t* a, const int64_t* b, bool* out, const BroadcastPlan& plan);
void compare(CompareOp op, const uint8_t* a, const uint8_t* b, bool* out, const BroadcastPlan& plan);
void compare(CompareOp op, const uint16_t* a, const uint16_t* b, bool* out, const BroadcastPlan& plan);
void compare(CompareOp op, const uint32_t* a, const uint32_t* b, bool* out, const BroadcastPlan& plan);
void compare(CompareOp op, const uint64_t* a, const uint64_t* b, bool* out, const BroadcastPlan& plan);
void compare(CompareOp op, const bool* a, const bool* b, bool* out, const BroadcastPlan& plan);
void compare(CompareOp op, const std::string* a, const std::string* b, bool* out, const BroadcastPlan& plan);

// ---- select -------------------------------------------------------------------------------------

// out = cond ? x : y over three broadcast operands. Elements are moved as opaque words of their size.
struct Word128 {
  uint64_t lo, hi;
};
void select(const bool* cond, const uint8_t* x, const uint8_t* y, uint8_t* out, const BroadcastPlan& plan);
void select(const bool* cond, const uint16_t* x, const uint16_t* y, uint16_t* out, const BroadcastPlan& plan);
void select(const bool* cond, const uint32_t* x, const uint32_t* y, uint32_t* out, const BroadcastPlan& plan);
void select(const bool* cond, const uint64_t* x, const uint64_t* y, uint64_t* out, const BroadcastPlan& plan);
void select(const bool* cond, const Word128* x, const Word128* y, Word128* out, const BroadcastPlan& plan);
void select(const bool* cond, const std::string* x, const std::string* y, std::string* out,
            const BroadcastPlan& plan);

// ---- vectorized float maps ----------------------------------------------------------------------

// unary() and clip() for float run these when the CPU has the ISA (picked once from active_isa()):
// one template (elementwise_vec_impl.h over vec_math.h) instantiated per ISA. They return false,
// writing nothing, for ops without a vector form (the portable loop runs those). Their errors
// against double, in ulp: vec_math.h.
bool unary_f32__avx512(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p);
bool unary_f32__avx2(UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p);
void clip_f32__avx512(const float* x, float lo, float hi, float* y, int64_t n);
void clip_f32__avx2(const float* x, float lo, float hi, float* y, int64_t n);
// GELU (erf form) rows for the GEMM epilogue.
void gelu_f32__avx512(const float* x, float* y, int64_t n);
void gelu_f32__avx2(const float* x, float* y, int64_t n);

// Float clip through the vector kernels (the template above stays the portable reference).
void clip(const float* x, float lo, float hi, float* y, int64_t n);

// unary() / clip() for float with the kernels of one ISA (Isa::Scalar: the portable loops), for
// tests and benchmarks. An ISA the CPU lacks is an onnxi::Error, not an illegal instruction.
void unary_f32_isa(Isa isa, UnaryOp op, const float* x, float* y, int64_t n, const UnaryParams& p = {});
void clip_f32_isa(Isa isa, const float* x, float lo, float hi, float* y, int64_t n);

}  // namespace onnxi::kernels
