// Cast to and from string. ONNX's reference casts with numpy (`astype(np.str_)`), so numbers print
// the way numpy prints them: the shortest digits that read back as the same value of the source
// type, positional inside numpy's range for that type, scientific outside it.
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <string_view>

#include "onnxi/error.h"
#include "onnxi/float_types.h"
#include "ops/cast/convert.h"

namespace onnxi::ops {
namespace {

// Shortest decimal digits of a value: value = 0.d1d2d3... x 10^(exp10 + 1), i.e. d1.d2d3 x 10^exp10.
struct Digits {
  std::string digits;
  int exp10 = 0;
};

// Splits std::to_chars' scientific output "d.ddde+XX" into digits and exponent.
Digits split_scientific(std::string_view text) {
  Digits out;
  size_t e = text.find('e');
  for (size_t i = 0; i < e; ++i) {
    if (std::isdigit(static_cast<unsigned char>(text[i]))) out.digits.push_back(text[i]);
  }
  std::from_chars(text.data() + e + 1 + (text[e + 1] == '+' ? 1 : 0), text.data() + text.size(), out.exp10);
  while (out.digits.size() > 1 && out.digits.back() == '0') out.digits.pop_back();
  return out;
}

template <class F>
Digits shortest_native(F v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::scientific);
  return split_scientific(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
}

// Encodes |v| (v exactly representable in `type`) as that type's bits, rounding to nearest.
uint16_t encode_narrow(double v, DataType type) {
  if (type == DataType::Float8E8M0) {
    return f32_to_f8e8m0_rounded(static_cast<float>(v), true, E8M0Rounding::Nearest);
  }
  uint8_t encoded[2] = {0, 0};
  convert_from_f64(type, &v, encoded, 1, true);
  return static_cast<uint16_t>(encoded[0] | (encoded[1] << 8));
}

// The narrow float types have no library shortest-digits routine: try 1, 2, ... significant digits
// until a string reads back as the same element, keeping the closest such string. Besides the
// correctly rounded p-digit string, its neighbours one unit away are tried: at a power of two the
// rounding interval is lopsided (numpy prints float16 2^-6 as 0.01563; 0.01562 is closer but
// reads back as the next value down).
Digits shortest_narrow(double magnitude, DataType type) {
  const uint16_t target = encode_narrow(magnitude, type);
  for (int precision = 0; precision < 17; ++precision) {
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof(buf), magnitude, std::chars_format::scientific, precision);
    const Digits closest = split_scientific(std::string_view(buf, static_cast<size_t>(res.ptr - buf)));
    std::string padded = closest.digits;
    padded.append(static_cast<size_t>(precision + 1) - padded.size(), '0');
    uint64_t mantissa = 0;
    std::from_chars(padded.data(), padded.data() + padded.size(), mantissa);
    const int scale = closest.exp10 - precision;  // value = mantissa * 10^scale
    Digits best;
    double best_error = HUGE_VAL;
    for (int64_t step : {0, 1, -1}) {
      if (mantissa == 0 && step < 0) continue;
      const std::string candidate = std::to_string(mantissa + static_cast<uint64_t>(step));
      const std::string text = candidate + "e" + std::to_string(scale);
      double back = 0;
      std::from_chars(text.data(), text.data() + text.size(), back);
      if (back == 0 || encode_narrow(back, type) != target) continue;
      const double error = std::fabs(back - magnitude);
      if (error < best_error) {
        best_error = error;
        best.digits = candidate;
        best.exp10 = scale + static_cast<int>(candidate.size()) - 1;
        while (best.digits.size() > 1 && best.digits.back() == '0') best.digits.pop_back();
      }
    }
    if (best_error != HUGE_VAL) return best;
  }
  return shortest_native(magnitude);
}

// numpy's layout: positional when 1e-4 <= |v| < 10^positional_limit, else d.ddde+XX.
std::string layout(bool negative, const Digits& d, int positional_limit, double magnitude) {
  std::string out = negative ? "-" : "";
  const int n = static_cast<int>(d.digits.size());
  if (magnitude >= 1e-4 && magnitude < std::pow(10.0, positional_limit)) {
    if (d.exp10 < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-d.exp10 - 1), '0');
      out += d.digits;
    } else if (d.exp10 + 1 >= n) {
      out += d.digits;
      out.append(static_cast<size_t>(d.exp10 + 1 - n), '0');
      out += ".0";
    } else {
      out += d.digits.substr(0, static_cast<size_t>(d.exp10 + 1));
      out += '.';
      out += d.digits.substr(static_cast<size_t>(d.exp10 + 1));
    }
    return out;
  }
  out += d.digits[0];
  if (n > 1) {
    out += '.';
    out += d.digits.substr(1);
  }
  const int e = std::abs(d.exp10);
  out += d.exp10 < 0 ? "e-" : "e+";
  if (e < 10) out += '0';
  out += std::to_string(e);
  return out;
}

std::string format_floating(DataType type, double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v < 0 ? "-inf" : "inf";
  const bool negative = std::signbit(v);
  if (v == 0) return negative ? "-0.0" : "0.0";
  const double magnitude = std::fabs(v);
  switch (type) {
    case DataType::Double: return layout(negative, shortest_native(magnitude), 16, magnitude);
    case DataType::Float:
      return layout(negative, shortest_native(static_cast<float>(magnitude)), 6, magnitude);
    default: return layout(negative, shortest_narrow(magnitude, type), 3, magnitude);
  }
}

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string format_element(DataType from, const void* src, int64_t i) {
  const auto* bytes = static_cast<const uint8_t*>(src);
  switch (from) {
    case DataType::Bool: return static_cast<const bool*>(src)[i] ? "True" : "False";
    case DataType::Int8: return std::to_string(static_cast<const int8_t*>(src)[i]);
    case DataType::Int16: return std::to_string(static_cast<const int16_t*>(src)[i]);
    case DataType::Int32: return std::to_string(static_cast<const int32_t*>(src)[i]);
    case DataType::Int64: return std::to_string(static_cast<const int64_t*>(src)[i]);
    case DataType::UInt8: return std::to_string(static_cast<const uint8_t*>(src)[i]);
    case DataType::UInt16: return std::to_string(static_cast<const uint16_t*>(src)[i]);
    case DataType::UInt32: return std::to_string(static_cast<const uint32_t*>(src)[i]);
    case DataType::UInt64: return std::to_string(static_cast<const uint64_t*>(src)[i]);
    case DataType::Int4:
    case DataType::Int2: {
      const int w = element_bits(from);
      return std::to_string(sign_extend(packed_get(bytes, i, w), w));
    }
    case DataType::UInt4:
    case DataType::UInt2: return std::to_string(packed_get(bytes, i, element_bits(from)));
    case DataType::Float: return format_floating(from, static_cast<const float*>(src)[i]);
    case DataType::Double: return format_floating(from, static_cast<const double*>(src)[i]);
    default: break;
  }
  double v = 0;
  if (is_packed(from)) {
    v = f4e2m1_to_f32(packed_get(bytes, i, 4));
  } else {
    convert_to_f64(from, bytes + i * element_bits(from) / 8, &v, 1);
  }
  return format_floating(from, v);
}

bool parse_number(const std::string& text, ParsedNumber& out) {
  std::string_view s(text);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  bool negative = false;
  std::string_view body = s;
  if (!body.empty() && (body[0] == '+' || body[0] == '-')) {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body.empty()) return false;
  if (equals_ignore_case(body, "inf") || equals_ignore_case(body, "infinity")) {
    out.kind = ParsedNumber::Kind::Float;
    out.d = negative ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (equals_ignore_case(body, "nan")) {
    out.kind = ParsedNumber::Kind::Float;
    out.d = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  // from_chars takes no '+': parse the body and apply the sign ourselves.
  const char* first = body.data();
  const char* last = body.data() + body.size();
  uint64_t magnitude = 0;
  auto ir = std::from_chars(first, last, magnitude);
  if (ir.ec == std::errc() && ir.ptr == last) {
    if (!negative && magnitude > static_cast<uint64_t>(INT64_MAX)) {
      out.kind = ParsedNumber::Kind::UInt;
      out.u = magnitude;
      return true;
    }
    if (magnitude <= static_cast<uint64_t>(INT64_MAX) + (negative ? 1u : 0u)) {
      out.kind = ParsedNumber::Kind::Int;
      out.i = negative ? static_cast<int64_t>(0 - magnitude) : static_cast<int64_t>(magnitude);
      return true;
    }
  }
  double d = 0;
  auto fr = std::from_chars(first, last, d, std::chars_format::general);
  if (fr.ptr != last) return false;
  if (fr.ec == std::errc::result_out_of_range) {
    d = std::strtod(std::string(body).c_str(), nullptr);  // inf or 0 for 1e999 / 1e-999, as numpy
  } else if (fr.ec != std::errc()) {
    return false;
  }
  out.kind = ParsedNumber::Kind::Float;
  out.d = negative ? -d : d;
  return true;
}

}  // namespace onnxi::ops
