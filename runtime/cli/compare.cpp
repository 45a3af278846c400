#include "runtime/cli/compare.h"

#include <algorithm>
#include <cmath>
#include <complex>
#include <cstring>
#include <sstream>

#include "onnxi/error.h"
#include "onnxi/float_types.h"

namespace onnxi::cli {
namespace {

const char* kind_name(Value::Kind k) {
  switch (k) {
    case Value::Kind::None: return "no value";
    case Value::Kind::Tensor: return "a tensor";
    case Value::Kind::Sequence: return "a sequence";
    case Value::Kind::Optional: return "an optional";
    case Value::Kind::Map: return "a map";
  }
  return "?";
}

std::string format_double(double v, DataType dtype) {
  std::ostringstream os;
  os.precision(dtype == DataType::Double ? 17 : 9);
  os << v;
  return os.str();
}

std::string tolerance_str(const Tolerance& tol) {
  std::ostringstream os;
  os << "rtol " << tol.rtol << ", atol " << tol.atol;
  return os.str();
}

// Counts differing elements and remembers the first: the message shows both.
struct Mismatches {
  int64_t count = 0;
  int64_t first = -1;
  void add(int64_t i) {
    if (count++ == 0) first = i;
  }
};

Mismatches compare_floats(const Tensor& a, const Tensor& e, const Tolerance& tol) {
  std::vector<double> av = tensor_to_f64(a), ev = tensor_to_f64(e);
  Mismatches m;
  for (size_t i = 0; i < av.size(); ++i)
    if (!floats_close(av[i], ev[i], tol)) m.add(static_cast<int64_t>(i));
  return m;
}

template <class T>
Mismatches compare_complex(const Tensor& a, const Tensor& e, const Tolerance& tol) {
  const auto* ap = a.data<std::complex<T>>();
  const auto* ep = e.data<std::complex<T>>();
  auto is_nan = [](std::complex<double> c) { return std::isnan(c.real()) || std::isnan(c.imag()); };
  Mismatches m;
  for (int64_t i = 0; i < a.numel(); ++i) {
    std::complex<double> x(ap[i].real(), ap[i].imag()), y(ep[i].real(), ep[i].imag());
    bool ok;
    if (is_nan(x) || is_nan(y)) {
      ok = is_nan(x) && is_nan(y);
    } else if (!std::isfinite(std::abs(x)) || !std::isfinite(std::abs(y))) {
      ok = x == y;
    } else {
      ok = std::abs(x - y) <= tol.atol + tol.rtol * std::abs(y);
    }
    if (!ok) m.add(i);
  }
  return m;
}

// Integers, bools, packed sub-byte types: bit-exact per element.
Mismatches compare_exact(const Tensor& a, const Tensor& e) {
  Mismatches m;
  int bits = element_bits(a.dtype());
  const auto* ap = static_cast<const uint8_t*>(a.raw());
  const auto* ep = static_cast<const uint8_t*>(e.raw());
  if (bits < 8) {
    for (int64_t i = 0; i < a.numel(); ++i)
      if (packed_get(ap, i, bits) != packed_get(ep, i, bits)) m.add(i);
    return m;
  }
  size_t width = static_cast<size_t>(bits / 8);
  for (int64_t i = 0; i < a.numel(); ++i) {
    size_t off = static_cast<size_t>(i) * width;
    bool same = a.dtype() == DataType::Bool ? (ap[off] != 0) == (ep[off] != 0)
                                              : std::memcmp(ap + off, ep + off, width) == 0;
    if (!same) m.add(i);
  }
  return m;
}

Mismatches compare_strings(const Tensor& a, const Tensor& e) {
  Mismatches m;
  for (int64_t i = 0; i < a.numel(); ++i)
    if (a.data<std::string>()[i] != e.data<std::string>()[i]) m.add(i);
  return m;
}

}  // namespace

bool floats_close(double a, double e, const Tolerance& tol) noexcept {
  if (std::isnan(a) || std::isnan(e)) return std::isnan(a) && std::isnan(e);
  if (std::isinf(a) || std::isinf(e)) return a == e;
  return std::fabs(a - e) <= tol.atol + tol.rtol * std::fabs(e);
}

std::vector<double> tensor_to_f64(const Tensor& t) {
  ONNXI_CHECK(t.dtype() != DataType::String && !is_complex(t.dtype()), ErrorCode::InvalidArgument,
              "cannot read a ", t.describe(), " tensor as numbers");
  std::vector<double> out(static_cast<size_t>(t.numel()));
  if (out.empty()) return out;
  // float64 cannot carry every 64-bit integer, so these skip the generic converter.
  if (t.dtype() == DataType::Int64) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(t.data<int64_t>()[i]);
  } else if (t.dtype() == DataType::UInt64) {
    for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<double>(t.data<uint64_t>()[i]);
  } else {
    convert_to_f64(t.dtype(), t.raw(), out.data(), t.numel());
  }
  return out;
}

std::string format_element(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DataType::String: return "\"" + t.data<std::string>()[i] + "\"";
    case DataType::Int64: return std::to_string(t.data<int64_t>()[i]);
    case DataType::UInt64: return std::to_string(t.data<uint64_t>()[i]);
    case DataType::Bool: return t.data<uint8_t>()[i] ? "true" : "false";
    case DataType::Complex64:
    case DataType::Complex128: {
      double re = t.dtype() == DataType::Complex64 ? t.data<float>()[2 * i] : t.data<double>()[2 * i];
      double im = t.dtype() == DataType::Complex64 ? t.data<float>()[2 * i + 1] : t.data<double>()[2 * i + 1];
      DataType part = t.dtype() == DataType::Complex64 ? DataType::Float : DataType::Double;
      return "(" + format_double(re, part) + (im < 0 ? "" : "+") + format_double(im, part) + "j)";
    }
    default:
      return format_double(t.element_as_double(i), t.dtype());
  }
}

std::string index_str(const Shape& shape, int64_t flat) {
  std::vector<int64_t> idx(shape.size());
  for (size_t k = shape.size(); k-- > 0;) {
    int64_t d = shape[k] > 0 ? shape[k] : 1;
    idx[k] = flat % d;
    flat /= d;
  }
  std::string s = "[";
  for (size_t k = 0; k < idx.size(); ++k) s += (k ? "," : "") + std::to_string(idx[k]);
  return s + "]";
}

std::string compare_tensors(const Tensor& actual, const Tensor& expected, const Tolerance& tol,
                            const std::string& what) {
  if (actual.dtype() != expected.dtype())
    return cat(what, ": dtype ", dtype_name(actual.dtype()), " vs expected ", dtype_name(expected.dtype()));
  if (actual.shape() != expected.shape())
    return cat(what, ": shape ", shape_str(actual.shape()), " vs expected ", shape_str(expected.shape()));

  DataType dt = actual.dtype();
  Tolerance used = tol;
  // bfloat16 keeps 8 significant bits; onnx's runner widens rtol to two bf16 ulps the same way.
  if (dt == DataType::BFloat16) used.rtol = std::max(tol.rtol, 1.0 / 64);
  Mismatches m;
  bool approximate = false;
  if (dt == DataType::String) {
    m = compare_strings(actual, expected);
  } else if (dt == DataType::Complex64) {
    m = compare_complex<float>(actual, expected, used);
    approximate = true;
  } else if (dt == DataType::Complex128) {
    m = compare_complex<double>(actual, expected, used);
    approximate = true;
  } else if (is_floating(dt)) {
    m = compare_floats(actual, expected, used);
    approximate = true;
  } else {
    m = compare_exact(actual, expected);
  }
  if (m.count == 0) return {};

  std::string where = actual.rank() == 0 ? std::string() : cat(", first at ", index_str(actual.shape(), m.first));
  std::string msg = cat(what, ": ", m.count, " of ", actual.numel(), " values differ", where, ": actual ",
                        format_element(actual, m.first), " vs expected ", format_element(expected, m.first));
  if (approximate) msg += " (" + tolerance_str(used) + ")";
  return msg;
}

std::string compare_values(const Value& actual, const Value& expected, const Tolerance& tol,
                           const std::string& what) {
  if (actual.kind() != expected.kind())
    return cat(what, ": got ", kind_name(actual.kind()), " (", actual.describe(), "), expected ",
               kind_name(expected.kind()), " (", expected.describe(), ")");
  switch (actual.kind()) {
    case Value::Kind::None:
      return {};
    case Value::Kind::Tensor:
      return compare_tensors(actual.tensor(), expected.tensor(), tol, what);
    case Value::Kind::Sequence: {
      const auto& a = actual.items();
      const auto& e = expected.items();
      if (a.size() != e.size())
        return cat(what, ": sequence of ", a.size(), " items vs expected ", e.size());
      for (size_t i = 0; i < a.size(); ++i) {
        std::string diff = compare_values(a[i], e[i], tol, cat(what, " item ", i));
        if (!diff.empty()) return diff;
      }
      return {};
    }
    case Value::Kind::Optional: {
      bool a_has = actual.optional_has_value(), e_has = expected.optional_has_value();
      if (a_has != e_has)
        return cat(what, ": optional is ", a_has ? "present" : "empty", ", expected it ",
                   e_has ? "present" : "empty");
      return a_has ? compare_values(actual.optional_value(), expected.optional_value(), tol, what)
                   : std::string();
    }
    case Value::Kind::Map: {
      const auto& a = actual.items();
      const auto& e = expected.items();
      std::string diff = compare_values(a.at(0), e.at(0), tol, what + " keys");
      return diff.empty() ? compare_values(a.at(1), e.at(1), tol, what + " values") : diff;
    }
  }
  return {};
}

}  // namespace onnxi::cli
