// StringSplit (opset 20): splits every element on `delimiter`, at most `maxsplit` times. Output Y
// is X's shape plus one axis as long as the longest split, padded with empty strings; output Z
// holds each element's number of pieces.
//
// The rules are Python's str.split, which the spec paraphrases: with a delimiter, consecutive
// delimiters delimit empty pieces ("a--b" -> a, "", b); without one (absent or ""), runs of
// whitespace separate, and leading and trailing whitespace yield no pieces. A negative maxsplit
// means no limit, as in Python.
#include <algorithm>
#include <limits>

#include "ops/text/text.h"

namespace onnxi::ops {
namespace {

struct SplitAttrs {
  std::string delimiter;  // "": split on whitespace runs
  int64_t maxsplit = -1;  // < 0: no limit
};

SplitAttrs read_split_attrs(const Node& node) {
  SplitAttrs a;
  a.delimiter = node.attr_string("delimiter", "");
  a.maxsplit = node.attr_int("maxsplit", -1);
  return a;
}

void split_on_delimiter(std::string_view s, const std::string& delimiter, int64_t splits_left,
                        std::vector<std::string_view>& pieces) {
  size_t start = 0;
  while (splits_left-- > 0) {
    const size_t found = s.find(delimiter, start);
    if (found == std::string_view::npos) break;
    pieces.push_back(s.substr(start, found - start));
    start = found + delimiter.size();
  }
  pieces.push_back(s.substr(start));
}

// Python's str.split() without a separator. Whitespace is judged per code point, so the Unicode
// spaces (U+00A0, U+3000, ...) separate too; bytes that are not valid UTF-8 never do.
void split_on_whitespace(std::string_view s, int64_t splits_left, std::vector<std::string_view>& pieces) {
  size_t i = 0;
  // Advances past whitespace from `pos`; returns the first non-space position.
  auto skip_space = [&s](size_t pos) {
    while (pos < s.size()) {
      size_t next = pos;
      if (!text_family::is_python_space(text_family::next_code_point(s, next))) break;
      pos = next;
    }
    return pos;
  };
  while (splits_left-- > 0) {
    i = skip_space(i);
    if (i == s.size()) break;
    const size_t start = i;
    while (i < s.size()) {
      size_t next = i;
      if (text_family::is_python_space(text_family::next_code_point(s, next))) break;
      i = next;
    }
    pieces.push_back(s.substr(start, i - start));
  }
  if (i < s.size()) {
    // The split limit was reached: the rest, less its leading whitespace, is the last piece.
    i = skip_space(i);
    if (i != s.size()) pieces.push_back(s.substr(i));
  }
}

void infer_string_split(InferContext& ctx) {
  text_family::require_string_type(ctx, 0);
  const TypeInfo& x = ctx.input(0);
  if (!x.is_tensor() || !x.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(DataType::String));
    ctx.set_output(1, TypeInfo::tensor_unranked(DataType::Int64));
    return;
  }
  std::vector<Dim> dims = x.dims;
  dims.push_back(ctx.make_symbol ? ctx.fresh_dim("pieces") : Dim{});
  ctx.set_output(0, TypeInfo::tensor(DataType::String, std::move(dims)));
  ctx.set_output(1, TypeInfo::tensor(DataType::Int64, x.dims));
}

void compute_string_split(KernelContext& ctx, const SplitAttrs& attrs) {
  const Tensor& x = ctx.input(0);
  text_family::require_string_input(ctx, x, 0);
  const int64_t n = x.numel();
  const int64_t limit = attrs.maxsplit < 0 ? std::numeric_limits<int64_t>::max() : attrs.maxsplit;
  const auto* in = x.data<std::string>();

  // Views into the input's strings, which outlive this call.
  std::vector<std::vector<std::string_view>> pieces(static_cast<size_t>(n));
  size_t widest = 0;
  for (int64_t i = 0; i < n; ++i) {
    auto& p = pieces[static_cast<size_t>(i)];
    if (attrs.delimiter.empty()) {
      split_on_whitespace(in[i], limit, p);
    } else {
      split_on_delimiter(in[i], attrs.delimiter, limit, p);
    }
    widest = std::max(widest, p.size());
  }

  Shape y_shape = x.shape();
  y_shape.push_back(static_cast<int64_t>(widest));
  Tensor y(DataType::String, y_shape);
  Tensor z(DataType::Int64, x.shape());
  auto* out = y.data<std::string>();
  auto* counts = z.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const auto& p = pieces[static_cast<size_t>(i)];
    counts[i] = static_cast<int64_t>(p.size());
    for (size_t k = 0; k < p.size(); ++k) out[static_cast<size_t>(i) * widest + k] = std::string(p[k]);
  }
  ctx.set_output(0, y);
  if (ctx.num_outputs() > 1 && ctx.output_wanted(1)) ctx.set_output(1, z);
}

}  // namespace

void register_string_split(Registry& r) {
  OpDef def;
  def.op_type = "StringSplit";
  def.since_version = 20;
  def.types = "string";
  def.infer = infer_string_split;
  def.create = [](const KernelInit& init) {
    const SplitAttrs attrs = read_split_attrs(init.node);
    return make_kernel([attrs](KernelContext& ctx) { compute_string_split(ctx, attrs); });
  };
  r.add(std::move(def));
}

}  // namespace onnxi::ops
