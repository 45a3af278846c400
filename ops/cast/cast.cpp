// Cast (opsets 1..25). The conversions themselves live in convert.cpp and strings.cpp; this file
// holds the attributes, the versions and the string <-> number glue.
#include <algorithm>
#include <cctype>
#include <vector>

#include "onnxi/float_types.h"
#include "ops/cast/cast.h"

namespace onnxi::ops {
namespace {

// Constants at most this large are cast during inference, so shape arithmetic that passes
// through Cast (Shape -> Cast -> Mul -> Reshape) stays static.
constexpr int64_t kFoldLimit = 4096;

bool integer_like(DataType t) noexcept { return t == DataType::Bool || is_integer(t); }

bool equals_ignore_case(const std::string& a, const char* b) {
  const std::string_view bv(b);
  return a.size() == bv.size() && std::equal(a.begin(), a.end(), bv.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == y;
         });
}

[[noreturn]] void fail_not_a_number(const Node& node, int64_t i, const std::string& text, DataType to) {
  const std::string shown = text.size() > 64 ? text.substr(0, 64) + "..." : text;
  fail(ErrorCode::Runtime,
       cat(node.label(), ": input element ", i, " is the string \"", shown, "\", which does not read as a ",
           dtype_name(to), "; Cast from string accepts decimal or scientific numbers, INF, -INF and NaN"));
}

void parse_strings(const Tensor& in, Tensor& out, const CastOptions& options, const Node& node) {
  const DataType to = out.dtype();
  const std::string* text = in.data<std::string>();
  const int64_t n = in.numel();
  if (to == DataType::Bool) {
    bool* d = out.data<bool>();
    for (int64_t i = 0; i < n; ++i) {
      ParsedNumber p;
      std::string trimmed = text[i];
      trimmed.erase(0, trimmed.find_first_not_of(" \t\n\r\f\v"));
      trimmed.erase(trimmed.find_last_not_of(" \t\n\r\f\v") + 1);
      if (equals_ignore_case(trimmed, "true")) {
        d[i] = true;
      } else if (equals_ignore_case(trimmed, "false")) {
        d[i] = false;
      } else if (parse_number(text[i], p)) {
        d[i] = p.kind == ParsedNumber::Kind::Float ? p.d != 0 : (p.i != 0 || p.u != 0);
      } else {
        fail_not_a_number(node, i, text[i], to);
      }
    }
    return;
  }
  if (integer_like(to)) {
    // Integers read exactly; "100.5" truncates like any float -> integer cast.
    std::vector<int64_t> bits(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      ParsedNumber p;
      if (!parse_number(text[i], p)) fail_not_a_number(node, i, text[i], to);
      switch (p.kind) {
        case ParsedNumber::Kind::Int: bits[static_cast<size_t>(i)] = p.i; break;
        case ParsedNumber::Kind::UInt: bits[static_cast<size_t>(i)] = static_cast<int64_t>(p.u); break;
        case ParsedNumber::Kind::Float: convert_from_f64(DataType::Int64, &p.d, &bits[static_cast<size_t>(i)], 1); break;
      }
    }
    convert_elements(DataType::Int64, bits.data(), to, out.raw(), n, options);
    return;
  }
  // Float targets read through double: exact for every decimal a float32 or narrower can tell
  // apart, and integers up to 2^53.
  std::vector<double> values(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    ParsedNumber p;
    if (!parse_number(text[i], p)) fail_not_a_number(node, i, text[i], to);
    values[static_cast<size_t>(i)] = p.kind == ParsedNumber::Kind::Int    ? static_cast<double>(p.i)
                                     : p.kind == ParsedNumber::Kind::UInt ? static_cast<double>(p.u)
                                                                          : p.d;
  }
  convert_elements(DataType::Double, values.data(), to, out.raw(), n, options);
}

DataType read_to(const Node& node) {
  const Attribute* a = node.find_attr("to");
  ONNXI_CHECK(a, ErrorCode::InvalidModel, node.label(), ": the required attribute 'to' is missing");
  DataType to = DataType::Undefined;
  if (a->type == Attribute::Type::String) {
    // Cast-1 names the type ("FLOAT", "INT64"); later versions use the TensorProto enum value.
    std::string lower = a->s;
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    auto parsed = parse_dtype(lower);
    ONNXI_CHECK(parsed, ErrorCode::InvalidModel, node.label(), ": attribute 'to' is \"", a->s,
                "\", which names no tensor element type");
    to = *parsed;
  } else {
    ONNXI_CHECK(a->type == Attribute::Type::Int, ErrorCode::InvalidModel, node.label(),
                ": attribute 'to' must be an int (a TensorProto.DataType value), not ",
                attribute_type_name(a->type));
    ONNXI_CHECK(is_valid_dtype(static_cast<int32_t>(a->i)) && a->i == static_cast<int32_t>(a->i),
                ErrorCode::InvalidModel, node.label(), ": attribute 'to' is ", a->i,
                ", which is not a TensorProto.DataType value");
    to = static_cast<DataType>(a->i);
  }
  ONNXI_CHECK(cast_supports(to), ErrorCode::InvalidModel, node.label(), ": Cast cannot produce ",
              dtype_name(to), " (complex and float6 types are not Cast targets)");
  return to;
}

struct CastVersion {
  int since;
  int last;
  const char* types;
};

constexpr const char* kTypes1 = "bool, float16, float, double, int8, int16, int32, int64, uint8, uint16, uint32, uint64";
constexpr const char* kTypes9 = "bool, float16, float, double, int8..int64, uint8..uint64, string";
constexpr const char* kTypes13 = "bool, float16, bfloat16, float, double, int8..int64, uint8..uint64, string";
constexpr const char* kTypes19 = "bool, float16, bfloat16, float, double, int8..int64, uint8..uint64, string, float8 (4 kinds)";
constexpr const char* kTypes21 = "bool, float16, bfloat16, float, double, int4..int64, uint4..uint64, string, float8 (4 kinds)";
constexpr const char* kTypes23 = "bool, float16, bfloat16, float, double, int4..int64, uint4..uint64, string, float8 (4 kinds), float4e2m1";
constexpr const char* kTypes24 = "bool, float16, bfloat16, float, double, int4..int64, uint4..uint64, string, float8 (5 kinds), float4e2m1";
constexpr const char* kTypes25 = "bool, float16, bfloat16, float, double, int2..int64, uint2..uint64, string, float8 (5 kinds), float4e2m1";

constexpr CastVersion kCastVersions[] = {
    {1, 5, kTypes1},     {6, 8, kTypes1},     {9, 12, kTypes9},  {13, 18, kTypes13}, {19, 20, kTypes19},
    {21, 22, kTypes21},  {23, 23, kTypes23},  {24, 24, kTypes24}, {25, kLatestOpset, kTypes25},
};

}  // namespace

CastOptions read_cast_options(const Node& node, int64_t opset) {
  CastOptions options;
  if (opset >= 19) options.saturate = node.attr_int("saturate", 1) != 0;
  if (opset >= 24) {
    const std::string mode = node.attr_string("round_mode", "up");
    if (mode == "up") options.e8m0_rounding = E8M0Rounding::Up;
    else if (mode == "down") options.e8m0_rounding = E8M0Rounding::Down;
    else if (mode == "nearest") options.e8m0_rounding = E8M0Rounding::Nearest;
    else fail(ErrorCode::InvalidModel, cat(node.label(), ": round_mode is \"", mode, "\"; use \"up\", \"down\" or \"nearest\""));
  }
  return options;
}

void cast_tensor(const Tensor& in, Tensor& out, const CastOptions& options, const Node& node) {
  const DataType from = in.dtype();
  const DataType to = out.dtype();
  const int64_t n = in.numel();
  ONNXI_CHECK(cast_supports(from), ErrorCode::InvalidArgument, node.label(), ": input 0 is ", in.describe(),
              "; Cast reads numeric, bool and string tensors only");
  if (to == DataType::String) {
    std::string* d = out.data<std::string>();
    if (from == DataType::String) {
      std::copy(in.data<std::string>(), in.data<std::string>() + n, d);
    } else {
      for (int64_t i = 0; i < n; ++i) d[i] = format_element(from, in.raw(), i);
    }
    return;
  }
  if (from == DataType::String) return parse_strings(in, out, options, node);
  convert_elements(from, in.raw(), to, out.raw(), n, options);
}

void infer_cast_output(InferContext& ctx, DataType to) {
  const TypeInfo& in = ctx.input(0);
  if (in.kind == TypeInfo::Kind::Unknown) {
    ctx.set_output(0, TypeInfo::tensor_unranked(to));
    return;
  }
  if (!in.is_tensor()) ctx.fail(cat("input 0 is ", in.str(), "; Cast and CastLike take a tensor"));
  if (in.elem != DataType::Undefined && !cast_supports(in.elem)) {
    ctx.fail(cat("input 0 is ", in.str(), "; Cast reads numeric, bool and string tensors only"));
  }
  TypeInfo out = in;
  out.elem = to;
  ctx.set_output(0, std::move(out));
}

void register_cast_op(Registry& r) {
  for (const CastVersion& v : kCastVersions) {
    OpDef def;
    def.op_type = "Cast";
    def.since_version = v.since;
    def.last_version = v.last;
    def.types = v.types;
    def.infer = [](InferContext& ctx) {
      const DataType to = read_to(ctx.node);
      const CastOptions options = read_cast_options(ctx.node, ctx.opset);
      infer_cast_output(ctx, to);
      const Tensor* x = ctx.constant(0);
      if (x && x->numel() <= kFoldLimit && cast_supports(x->dtype()) && !ctx.output_constants.empty()) {
        // A string that does not parse is reported when the node runs, not at load.
        try {
          Tensor y(to, x->shape());
          cast_tensor(*x, y, options, ctx.node);
          ctx.output_constants[0] = std::move(y);
        } catch (const Error&) {
        }
      }
    };
    def.create = [](const KernelInit& init) -> std::unique_ptr<Kernel> {
      const DataType to = read_to(init.node);
      const CastOptions options = read_cast_options(init.node, init.opset);
      return make_kernel([to, options](KernelContext& ctx) {
        const Tensor& x = ctx.input(0);
        if (x.dtype() == to) {
          ctx.set_output(0, Value(x));  // same type: share the buffer, nothing to convert
          return;
        }
        Tensor& y = ctx.allocate_output(0, to, x.shape());
        cast_tensor(x, y, options, ctx.node());
      });
    };
    r.add(std::move(def));
  }
}

}  // namespace onnxi::ops
