// Einsum: parse the equation into integer labels, take diagonals of repeated labels, sum away
// labels only one operand uses, then contract operands pairwise (left to right) as batched GEMMs
// over permuted copies, and finally permute to the output's label order. Float types compute in
// float/double, integer types in int64 (wrapping, then narrowed back).
#include <algorithm>
#include <cctype>
#include <map>
#include <memory>
#include <set>

#include "kernels/cpu/gemm.h"
#include "ops/nn/nn.h"

namespace onnxi::ops::nn {
namespace {

// Letters get 0..51 in ASCII order (upper case first); ellipsis dims get kEllipsis + k.
constexpr int kEllipsis = 52;

struct Equation {
  std::vector<std::vector<int>> inputs;
  std::vector<int> output;
};

int letter_label(char c) { return c >= 'A' && c <= 'Z' ? c - 'A' : 26 + (c - 'a'); }

// One term's labels, its ellipsis expanded to the right-aligned share of `ellipsis_total` dims.
std::vector<int> parse_term(const std::string& term, int64_t rank, int64_t ellipsis_total, bool is_output,
                            const Node& node, bool& has_ellipsis) {
  std::vector<int> letters_before, letters_after;
  has_ellipsis = false;
  for (size_t i = 0; i < term.size(); ++i) {
    const char c = term[i];
    if (c == ' ') continue;
    if (c == '.') {
      if (has_ellipsis || term.compare(i, 3, "...") != 0) {
        fail(ErrorCode::InvalidModel, cat(node.label(), ": malformed ellipsis in equation term '", term, "'"));
      }
      has_ellipsis = true;
      i += 2;
      continue;
    }
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      fail(ErrorCode::InvalidModel, cat(node.label(), ": character '", c, "' in equation term '", term,
                                        "' is not a letter; use a-z, A-Z, '...', ',' and '->'"));
    }
    (has_ellipsis ? letters_after : letters_before).push_back(letter_label(c));
  }
  const int64_t letters = static_cast<int64_t>(letters_before.size() + letters_after.size());
  int64_t ell = 0;
  if (!is_output) {
    ell = rank - letters;
    if (ell < 0 || (!has_ellipsis && ell != 0)) {
      fail(ErrorCode::Runtime,
           cat(node.label(), ": equation term '", term, "' names ", letters, " axes but its operand has rank ", rank));
    }
  } else if (has_ellipsis) {
    ell = ellipsis_total;
  }
  std::vector<int> labels = letters_before;
  for (int64_t k = 0; k < ell; ++k) labels.push_back(static_cast<int>(kEllipsis + ellipsis_total - ell + k));
  labels.insert(labels.end(), letters_after.begin(), letters_after.end());
  return labels;
}

Equation parse(const std::string& equation, const std::vector<int64_t>& ranks, const Node& node) {
  const size_t arrow = equation.find("->");
  const std::string lhs = equation.substr(0, arrow);
  std::vector<std::string> terms;
  size_t start = 0;
  while (true) {
    const size_t comma = lhs.find(',', start);
    terms.push_back(lhs.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (terms.size() != ranks.size()) {
    fail(ErrorCode::Runtime, cat(node.label(), ": equation '", equation, "' has ", terms.size(), " operand terms but ",
                                 ranks.size(), " inputs were given"));
  }
  // Ellipsis width: the widest operand's (narrower ones broadcast, right-aligned).
  int64_t ellipsis_total = 0;
  for (size_t i = 0; i < terms.size(); ++i) {
    int64_t letters = 0;
    for (char c : terms[i]) letters += std::isalpha(static_cast<unsigned char>(c)) ? 1 : 0;
    if (terms[i].find("...") != std::string::npos) ellipsis_total = std::max(ellipsis_total, ranks[i] - letters);
  }
  Equation eq;
  bool has_ellipsis = false, any_ellipsis = false;
  for (size_t i = 0; i < terms.size(); ++i) {
    eq.inputs.push_back(parse_term(terms[i], ranks[i], ellipsis_total, false, node, has_ellipsis));
    any_ellipsis = any_ellipsis || has_ellipsis;
  }
  if (arrow != std::string::npos) {
    eq.output = parse_term(equation.substr(arrow + 2), 0, ellipsis_total, true, node, has_ellipsis);
    std::set<int> seen;
    for (int l : eq.output) {
      if (!seen.insert(l).second) {
        fail(ErrorCode::InvalidModel, cat(node.label(), ": equation '", equation, "' repeats an output label"));
      }
      bool found = false;
      for (const auto& in : eq.inputs) found = found || std::find(in.begin(), in.end(), l) != in.end();
      if (!found) {
        fail(ErrorCode::InvalidModel,
             cat(node.label(), ": equation '", equation, "' has an output label that no operand has"));
      }
    }
  } else {
    // Implicit output: the ellipsis dims, then letters used exactly once, in ASCII order.
    std::map<int, int> count;
    for (const auto& in : eq.inputs) {
      for (int l : in) ++count[l];
    }
    for (int64_t k = 0; k < ellipsis_total; ++k) eq.output.push_back(static_cast<int>(kEllipsis + k));
    for (const auto& [label, n] : count) {
      if (label < kEllipsis && n == 1) eq.output.push_back(label);
    }
  }
  return eq;
}

template <class T>
struct Labeled {
  std::vector<T> data;
  Shape shape;
  std::vector<int> labels;
};

int64_t numel(const Shape& s) {
  int64_t n = 1;
  for (int64_t d : s) n *= d;
  return n;
}

// Gathers out[pos] = in[sum pos[d] * strides[d]] over `out_shape` (row-major).
template <class T>
std::vector<T> gather(const std::vector<T>& in, const Shape& out_shape, const std::vector<int64_t>& strides) {
  std::vector<T> out(static_cast<size_t>(numel(out_shape)));
  std::vector<int64_t> pos(out_shape.size(), 0);
  for (size_t i = 0; i < out.size(); ++i) {
    int64_t at = 0;
    for (size_t d = 0; d < pos.size(); ++d) at += pos[d] * strides[d];
    out[i] = in[static_cast<size_t>(at)];
    for (int64_t d = static_cast<int64_t>(pos.size()) - 1; d >= 0; --d) {
      if (++pos[d] < out_shape[d]) break;
      pos[d] = 0;
    }
  }
  return out;
}

std::vector<int64_t> row_major_strides(const Shape& s) {
  std::vector<int64_t> st(s.size(), 1);
  for (int64_t d = static_cast<int64_t>(s.size()) - 2; d >= 0; --d) st[d] = st[d + 1] * s[d + 1];
  return st;
}

// Merges repeated labels into one axis (the diagonal).
template <class T>
void take_diagonals(Labeled<T>& t, const Node& node) {
  const auto strides = row_major_strides(t.shape);
  std::vector<int> labels;
  Shape shape;
  std::vector<int64_t> merged;
  for (size_t d = 0; d < t.labels.size(); ++d) {
    const auto it = std::find(labels.begin(), labels.end(), t.labels[d]);
    if (it == labels.end()) {
      labels.push_back(t.labels[d]);
      shape.push_back(t.shape[d]);
      merged.push_back(strides[d]);
      continue;
    }
    const size_t k = static_cast<size_t>(it - labels.begin());
    if (shape[k] != t.shape[d]) {
      fail(ErrorCode::Runtime,
           cat(node.label(), ": a repeated equation label spans axes of sizes ", shape[k], " and ", t.shape[d]));
    }
    merged[k] += strides[d];
  }
  if (labels.size() == t.labels.size()) return;
  t.data = gather(t.data, shape, merged);
  t.shape = shape;
  t.labels = labels;
}

template <class T>
void sum_axis(Labeled<T>& t, size_t axis) {
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < t.shape.size(); ++d) {
    if (d < axis) outer *= t.shape[d];
    if (d > axis) inner *= t.shape[d];
  }
  const int64_t n = t.shape[axis];
  std::vector<T> out(static_cast<size_t>(outer * inner), T(0));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t k = 0; k < n; ++k) {
      const T* src = t.data.data() + (o * n + k) * inner;
      T* dst = out.data() + o * inner;
      for (int64_t i = 0; i < inner; ++i) dst[i] += src[i];
    }
  }
  t.data = std::move(out);
  t.shape.erase(t.shape.begin() + static_cast<int64_t>(axis));
  t.labels.erase(t.labels.begin() + static_cast<int64_t>(axis));
}

template <class T>
void permute(Labeled<T>& t, const std::vector<int>& order) {
  if (order == t.labels) return;
  const auto strides = row_major_strides(t.shape);
  Shape shape;
  std::vector<int64_t> perm_strides;
  for (int l : order) {
    const size_t d = static_cast<size_t>(std::find(t.labels.begin(), t.labels.end(), l) - t.labels.begin());
    shape.push_back(t.shape[d]);
    perm_strides.push_back(strides[d]);
  }
  t.data = gather(t.data, shape, perm_strides);
  t.shape = shape;
  t.labels = order;
}

template <class T>
void matmul(int64_t M, int64_t N, int64_t K, const T* a, const T* b, T* c) {
  if constexpr (std::is_same_v<T, int64_t>) {
    kernels::gemm_int(M, N, K, a, b, c);
  } else {
    kernels::gemm(false, false, M, N, K, T(1), a, K, b, N, T(0), c, N);
  }
}

bool has(const std::vector<int>& v, int l) { return std::find(v.begin(), v.end(), l) != v.end(); }

// a * b summed over their shared labels not in `keep`; the result's labels are
// [shared kept..., a's own..., b's own...].
template <class T>
Labeled<T> contract(Labeled<T> a, Labeled<T> b, const std::set<int>& keep) {
  for (size_t d = a.labels.size(); d-- > 0;) {
    if (!has(b.labels, a.labels[d]) && !keep.count(a.labels[d])) sum_axis(a, d);
  }
  for (size_t d = b.labels.size(); d-- > 0;) {
    if (!has(a.labels, b.labels[d]) && !keep.count(b.labels[d])) sum_axis(b, d);
  }
  std::vector<int> batch, m, k, n;
  int64_t bs = 1, ms = 1, ks = 1, ns = 1;
  for (size_t d = 0; d < a.labels.size(); ++d) {
    const int l = a.labels[d];
    if (has(b.labels, l)) {
      (keep.count(l) ? batch : k).push_back(l);
      (keep.count(l) ? bs : ks) *= a.shape[d];
    } else {
      m.push_back(l);
      ms *= a.shape[d];
    }
  }
  for (size_t d = 0; d < b.labels.size(); ++d) {
    if (!has(a.labels, b.labels[d])) {
      n.push_back(b.labels[d]);
      ns *= b.shape[d];
    }
  }
  std::vector<int> a_order = batch, b_order = batch;
  a_order.insert(a_order.end(), m.begin(), m.end());
  a_order.insert(a_order.end(), k.begin(), k.end());
  b_order.insert(b_order.end(), k.begin(), k.end());
  b_order.insert(b_order.end(), n.begin(), n.end());
  permute(a, a_order);
  permute(b, b_order);
  Labeled<T> out;
  out.labels = batch;
  out.labels.insert(out.labels.end(), m.begin(), m.end());
  out.labels.insert(out.labels.end(), n.begin(), n.end());
  out.shape.assign(a.shape.begin(), a.shape.begin() + static_cast<int64_t>(batch.size() + m.size()));
  out.shape.insert(out.shape.end(), b.shape.end() - static_cast<int64_t>(n.size()), b.shape.end());
  out.data.assign(static_cast<size_t>(bs * ms * ns), T(0));
  if (ks > 0) {
    for (int64_t i = 0; i < bs; ++i) {
      matmul(ms, ns, ks, a.data.data() + i * ms * ks, b.data.data() + i * ks * ns, out.data.data() + i * ms * ns);
    }
  }
  return out;
}

template <class T>
Labeled<T> evaluate(std::vector<Labeled<T>> ops, const std::vector<int>& output, const Node& node) {
  // Each label's full size; operands whose axis has size 1 against a larger size broadcast.
  std::map<int, int64_t> size;
  for (auto& t : ops) {
    take_diagonals(t, node);
    for (size_t d = 0; d < t.labels.size(); ++d) {
      int64_t& s = size.try_emplace(t.labels[d], t.shape[d]).first->second;
      if (s == 1) s = t.shape[d];
      if (t.shape[d] != s && t.shape[d] != 1) {
        fail(ErrorCode::Runtime, cat(node.label(), ": an equation label spans axes of sizes ", s, " and ", t.shape[d],
                                     "; they must match (or be 1 to broadcast)"));
      }
    }
  }
  for (auto& t : ops) {
    for (size_t d = t.labels.size(); d-- > 0;) {
      if (t.shape[d] == 1 && size[t.labels[d]] != 1) sum_axis(t, d);
    }
  }
  Labeled<T> acc = std::move(ops[0]);
  for (size_t i = 1; i < ops.size(); ++i) {
    std::set<int> keep(output.begin(), output.end());
    for (size_t j = i + 1; j < ops.size(); ++j) keep.insert(ops[j].labels.begin(), ops[j].labels.end());
    acc = contract(std::move(acc), std::move(ops[i]), keep);
  }
  for (size_t d = acc.labels.size(); d-- > 0;) {
    if (!has(output, acc.labels[d])) sum_axis(acc, d);
  }
  // Output labels dropped as broadcast size-1 axes everywhere come back with size 1.
  for (int l : output) {
    if (!has(acc.labels, l)) {
      acc.labels.push_back(l);
      acc.shape.push_back(1);
    }
  }
  permute(acc, output);
  return acc;
}

bool is_einsum_int(DataType t) {
  return t == DataType::Int8 || t == DataType::Int16 || t == DataType::Int32 || t == DataType::Int64 ||
         t == DataType::UInt8 || t == DataType::UInt16 || t == DataType::UInt32 || t == DataType::UInt64;
}

template <class T>
Labeled<T> load(const Tensor& t) {
  Labeled<T> l;
  l.shape = t.shape();
  if constexpr (std::is_same_v<T, int64_t>) {
    l.data = t.to_int64_vector();
  } else {
    const T* p = t.data<T>();
    l.data.assign(p, p + t.numel());
  }
  return l;
}

Tensor store_int(const std::vector<int64_t>& v, const Shape& shape, DataType dtype) {
  Tensor out(dtype, shape);
  auto write = [&](auto* dst) {
    using D = std::remove_pointer_t<decltype(dst)>;
    for (size_t i = 0; i < v.size(); ++i) dst[i] = static_cast<D>(static_cast<uint64_t>(v[i]));
  };
  switch (dtype) {
    case DataType::Int8:
      write(out.data<int8_t>());
      break;
    case DataType::Int16:
      write(out.data<int16_t>());
      break;
    case DataType::Int32:
      write(out.data<int32_t>());
      break;
    case DataType::Int64:
      write(out.data<int64_t>());
      break;
    case DataType::UInt8:
      write(out.data<uint8_t>());
      break;
    case DataType::UInt16:
      write(out.data<uint16_t>());
      break;
    case DataType::UInt32:
      write(out.data<uint32_t>());
      break;
    default:
      write(out.data<uint64_t>());
      break;
  }
  return out;
}

std::unique_ptr<Kernel> create_einsum(const KernelInit& init) {
  if (!init.node.has_attr("equation")) init.fail("attribute equation is required");
  const std::string equation = init.node.attr_string("equation", "");
  return make_kernel([equation](KernelContext& ctx) {
    if (ctx.num_inputs() == 0) ctx.fail("Einsum needs at least one input");
    const DataType dtype = ctx.input(0).dtype();
    if (!is_nn_float(dtype) && !is_einsum_int(dtype)) {
      ctx.fail(cat("element type ", dtype_name(dtype), " is not supported; Einsum takes float and integer types"));
    }
    std::vector<int64_t> ranks;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) ranks.push_back(input_of_type(ctx, i, dtype).rank());
    const Equation eq = parse(equation, ranks, ctx.node());
    auto run = [&](auto tag) {
      using T = decltype(tag);
      std::vector<Labeled<T>> ops;
      for (size_t i = 0; i < ctx.num_inputs(); ++i) {
        ops.push_back(load<T>(widen(ctx.input(i))));
        ops.back().labels = eq.inputs[i];
      }
      return evaluate(std::move(ops), eq.output, ctx.node());
    };
    if (is_einsum_int(dtype)) {
      const Labeled<int64_t> r = run(int64_t{});
      ctx.set_output(0, store_int(r.data, r.shape, dtype));
      return;
    }
    with_compute_type(compute_type(dtype), [&](auto tag) {
      using T = decltype(tag);
      const Labeled<T> r = run(T{});
      Tensor y = Tensor::from_vector(r.data, r.shape);
      ctx.set_output(0, narrow(y, dtype));
    });
  });
}

void infer_einsum(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  if (elem == DataType::Undefined) return;
  std::vector<int64_t> ranks;
  for (size_t i = 0; i < ctx.num_inputs(); ++i) {
    const TypeInfo& t = ctx.input(i);
    if (!t.is_tensor() || !t.has_shape) {
      ctx.set_output(0, TypeInfo::tensor_unranked(elem));
      return;
    }
    ranks.push_back(static_cast<int64_t>(t.dims.size()));
  }
  const Equation eq = parse(ctx.node.attr_string("equation", ""), ranks, ctx.node);
  std::vector<Dim> out;
  for (int l : eq.output) {
    Dim dim;
    for (size_t i = 0; i < eq.inputs.size(); ++i) {
      for (size_t d = 0; d < eq.inputs[i].size(); ++d) {
        const Dim& cand = ctx.input(i).dims[d];
        if (eq.inputs[i][d] == l && cand.is_known() && (!dim.is_known() || dim.value == 1)) dim = cand;
        if (eq.inputs[i][d] == l && !cand.is_known() && !dim.is_known() && dim.param.empty()) dim = cand;
      }
    }
    out.push_back(dim);
  }
  ctx.set_output(0, TypeInfo::tensor(elem, std::move(out)));
}

}  // namespace

void register_einsum(Registry& r) {
  r.add(make_def("Einsum", 12, 27, infer_einsum, create_einsum,
                 "float, double, float16, int8, int16, int32, int64, uint8, uint16, uint32, uint64"));
  r.add(make_def("Einsum", 28, kLatestOpset, infer_einsum, create_einsum,
                 "float, double, float16, bfloat16, int8, int16, int32, int64, uint8, uint16, uint32, uint64"));
}

}  // namespace onnxi::ops::nn
