// Data-dependent selections: NonZero and Unique (output sizes known only at run time, so inference
// gives fresh symbols) and ReverseSequence.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "ops/tensor/tensor_ops.h"
#include "ops/tensor/tensor_util.h"

#include "onnxi/float_types.h"

namespace onnxi::ops::tensor {
namespace {

// ---- NonZero -------------------------------------------------------------------------------------
void run_non_zero(KernelContext& ctx) {
  const Tensor& x = ctx.input(0);
  const int64_t n = x.numel();
  std::vector<uint8_t> nz(static_cast<size_t>(n));
  if (x.dtype() == DataType::String) {
    for (int64_t i = 0; i < n; ++i) nz[static_cast<size_t>(i)] = !x.data<std::string>()[i].empty();
  } else {
    std::vector<double> v(static_cast<size_t>(n));
    convert_to_f64(x.dtype(), x.raw(), v.data(), n);
    for (int64_t i = 0; i < n; ++i) nz[static_cast<size_t>(i)] = v[static_cast<size_t>(i)] != 0.0;
  }
  const int64_t count = std::count(nz.begin(), nz.end(), uint8_t{1});
  // A scalar reports as a one-element vector would (numpy's behaviour).
  const Shape shape = x.rank() == 0 ? Shape{1} : x.shape();
  const auto rank = static_cast<int64_t>(shape.size());
  Tensor out(DataType::Int64, {rank, count});
  int64_t* o = out.data<int64_t>();
  std::vector<int64_t> idx(shape.size(), 0);
  int64_t col = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (nz[static_cast<size_t>(i)]) {
      for (int64_t k = 0; k < rank; ++k) o[k * count + col] = idx[static_cast<size_t>(k)];
      ++col;
    }
    for (size_t k = shape.size(); k-- > 0;) {
      if (++idx[k] < shape[k]) break;
      idx[k] = 0;
    }
  }
  ctx.set_output(0, Value(out));
}

void infer_non_zero(InferContext& ctx) {
  const std::vector<Dim>* in = known_dims(ctx, 0);
  Dim rank = in ? Dim::known(std::max<int64_t>(1, static_cast<int64_t>(in->size()))) : Dim{};
  ctx.set_output(0, TypeInfo::tensor(DataType::Int64, {rank, fresh(ctx, "nonzero")}));
}

// ---- ReverseSequence ------------------------------------------------------------------------------
void run_reverse_sequence(KernelContext& ctx) {
  const Tensor x = unpack_elements(ctx.input(0));
  const std::vector<int64_t> lens = int_input(ctx, 1);
  const int64_t time_axis = ctx.node().attr_int("time_axis", 0);
  const int64_t batch_axis = ctx.node().attr_int("batch_axis", 1);
  if (!((time_axis == 0 && batch_axis == 1) || (time_axis == 1 && batch_axis == 0))) {
    ctx.fail(cat("time_axis and batch_axis must be 0 and 1 in some order, got ", time_axis, " and ", batch_axis));
  }
  if (x.rank() < 2) ctx.fail(cat("input must have rank >= 2, got ", x.describe()));
  const int64_t steps = x.dim(time_axis), batch = x.dim(batch_axis);
  if (static_cast<int64_t>(lens.size()) != batch) ctx.fail(cat("sequence_lens has ", lens.size(), " entries; expected ", batch));
  const int64_t inner = x.numel() / std::max<int64_t>(1, steps * batch);
  // Offsets in output order of the [dim0, dim1] grid of inner blocks.
  std::vector<int64_t> offsets;
  offsets.reserve(static_cast<size_t>(steps * batch));
  for (int64_t a = 0; a < x.dim(0); ++a) {
    for (int64_t b = 0; b < x.dim(1); ++b) {
      const int64_t t = time_axis == 0 ? a : b, n = time_axis == 0 ? b : a;
      const int64_t len = lens[static_cast<size_t>(n)];
      if (len < 0 || len > steps) ctx.fail(cat("sequence length ", len, " is outside [0, ", steps, "]"));
      const int64_t src_t = t < len ? len - 1 - t : t;
      const int64_t src = time_axis == 0 ? src_t * x.dim(1) + n : n * x.dim(1) + src_t;
      offsets.push_back(src * inner);
    }
  }
  ctx.set_output(0, Value(pack_elements(gather_blocks(x, offsets, inner, x.shape()), ctx.input(0).dtype())));
}

// ---- Unique --------------------------------------------------------------------------------------
struct UniqueResult {
  std::vector<int64_t> first;    // per unique item: index of its first occurrence
  std::vector<int64_t> inverse;  // per item: its unique item
  std::vector<int64_t> counts;
};

// Orders NaN after every number and equal to itself, so sorting stays well defined.
template <class K>
bool key_less(const K& a, const K& b) {
  if constexpr (std::is_floating_point_v<K>) {
    if (std::isnan(a) || std::isnan(b)) return !std::isnan(a) && std::isnan(b);
  }
  return a < b;
}

template <class K>
bool key_equal(const K& a, const K& b) {
  if constexpr (std::is_floating_point_v<K>) {
    if (std::isnan(a) && std::isnan(b)) return true;
  }
  return a == b;
}

// Items are `n` keys of `len` values each (item i at keys[i*len ..]).
template <class K>
UniqueResult unique_items(const std::vector<K>& keys, int64_t n, int64_t len, bool sorted) {
  auto less = [&](int64_t a, int64_t b) {
    return std::lexicographical_compare(keys.begin() + a * len, keys.begin() + (a + 1) * len, keys.begin() + b * len,
                                        keys.begin() + (b + 1) * len, key_less<K>);
  };
  auto equal = [&](int64_t a, int64_t b) {
    return std::equal(keys.begin() + a * len, keys.begin() + (a + 1) * len, keys.begin() + b * len, key_equal<K>);
  };
  std::vector<int64_t> order(static_cast<size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), less);
  UniqueResult r;
  r.inverse.resize(static_cast<size_t>(n));
  for (size_t i = 0; i < order.size(); ++i) {
    if (i == 0 || !equal(order[i - 1], order[i])) {
      r.first.push_back(order[i]);  // stable sort: the group's first entry is its first occurrence
      r.counts.push_back(0);
    }
    r.inverse[static_cast<size_t>(order[i])] = static_cast<int64_t>(r.first.size()) - 1;
    ++r.counts.back();
  }
  if (!sorted) {
    // Renumber the groups by first occurrence.
    std::vector<int64_t> by_first(r.first.size());
    std::iota(by_first.begin(), by_first.end(), 0);
    std::sort(by_first.begin(), by_first.end(), [&](int64_t a, int64_t b) { return r.first[static_cast<size_t>(a)] < r.first[static_cast<size_t>(b)]; });
    std::vector<int64_t> rank(by_first.size());
    for (size_t i = 0; i < by_first.size(); ++i) rank[static_cast<size_t>(by_first[i])] = static_cast<int64_t>(i);
    UniqueResult u;
    for (int64_t g : by_first) {
      u.first.push_back(r.first[static_cast<size_t>(g)]);
      u.counts.push_back(r.counts[static_cast<size_t>(g)]);
    }
    for (int64_t v : r.inverse) u.inverse.push_back(rank[static_cast<size_t>(v)]);
    return u;
  }
  return r;
}

// Keys of item i: the elements of slice i along the axis, in [outer, inner] order.
template <class K, class Get>
std::vector<K> slice_keys(int64_t outer, int64_t n, int64_t inner, const Get& get) {
  std::vector<K> keys(static_cast<size_t>(outer * n * inner));
  size_t at = 0;
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t o = 0; o < outer; ++o) {
      for (int64_t in = 0; in < inner; ++in) keys[at++] = get((o * n + i) * inner + in);
    }
  }
  return keys;
}

void run_unique(KernelContext& ctx) {
  Tensor x = unpack_elements(ctx.input(0));
  const bool sorted = ctx.node().attr_int("sorted", 1) != 0;
  const bool has_axis = ctx.node().has_attr("axis");
  if (!has_axis) x = x.reshaped({x.numel()});
  const int64_t axis = has_axis ? normalize_axis(ctx.node().attr_int("axis", 0), x.rank(), ctx.node()) : 0;
  const auto a = static_cast<size_t>(axis);
  int64_t outer = 1, inner = 1;
  for (size_t k = 0; k < a; ++k) outer *= x.shape()[k];
  for (size_t k = a + 1; k < x.shape().size(); ++k) inner *= x.shape()[k];
  const int64_t n = x.shape()[a], len = outer * inner;
  UniqueResult r;
  if (x.dtype() == DataType::String) {
    const std::string* s = x.data<std::string>();
    r = unique_items(slice_keys<std::string>(outer, n, inner, [&](int64_t i) { return s[i]; }), n, len, sorted);
  } else if (x.dtype() == DataType::Int64 || x.dtype() == DataType::UInt64) {
    const int64_t* s = x.data<int64_t>();
    if (x.dtype() == DataType::Int64) {
      r = unique_items(slice_keys<int64_t>(outer, n, inner, [&](int64_t i) { return s[i]; }), n, len, sorted);
    } else {
      r = unique_items(slice_keys<uint64_t>(outer, n, inner, [&](int64_t i) { return static_cast<uint64_t>(s[i]); }), n, len, sorted);
    }
  } else {
    std::vector<double> v(static_cast<size_t>(x.numel()));
    convert_to_f64(x.dtype(), x.raw(), v.data(), x.numel());
    r = unique_items(slice_keys<double>(outer, n, inner, [&](int64_t i) { return v[static_cast<size_t>(i)]; }), n, len, sorted);
  }
  const auto m = static_cast<int64_t>(r.first.size());
  std::vector<int64_t> offsets;
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t f : r.first) offsets.push_back((o * n + f) * inner);
  }
  Shape y_shape = x.shape();
  y_shape[a] = m;
  ctx.set_output(0, Value(pack_elements(gather_blocks(x, offsets, inner, y_shape), ctx.input(0).dtype())));
  if (ctx.num_outputs() > 1) ctx.set_output(1, Value(Tensor::from_vector(r.first, {m})));
  if (ctx.num_outputs() > 2) ctx.set_output(2, Value(Tensor::from_vector(r.inverse, {n})));
  if (ctx.num_outputs() > 3) ctx.set_output(3, Value(Tensor::from_vector(r.counts, {m})));
}

void infer_unique(InferContext& ctx) {
  const DataType elem = input_elem(ctx, 0);
  const Dim uniques = fresh(ctx, "unique");
  const std::vector<Dim>* in = known_dims(ctx, 0);
  const bool has_axis = ctx.node.has_attr("axis");
  Dim items{};
  if (!has_axis) {
    ctx.set_output(0, TypeInfo::tensor(elem, {uniques}));
    if (in) {
      int64_t total = 1;
      for (const Dim& d : *in) total = d.is_known() && total >= 0 ? total * d.value : -1;
      if (total >= 0) items = Dim::known(total);
    }
  } else if (in) {
    const int64_t axis = normalize_axis(ctx.node.attr_int("axis", 0), static_cast<int64_t>(in->size()), ctx.node);
    std::vector<Dim> y = *in;
    items = y[static_cast<size_t>(axis)];
    y[static_cast<size_t>(axis)] = uniques;
    ctx.set_output(0, TypeInfo::tensor(elem, std::move(y)));
  } else {
    ctx.set_output(0, TypeInfo::tensor_unranked(elem));
  }
  ctx.set_output(1, TypeInfo::tensor(DataType::Int64, {uniques}));
  ctx.set_output(2, TypeInfo::tensor(DataType::Int64, {items}));
  ctx.set_output(3, TypeInfo::tensor(DataType::Int64, {uniques}));
  ctx.output_types.resize(ctx.node.outputs.size());
}

}  // namespace

void register_select(Registry& r) {
  r.add({"", "NonZero", 9, kLatestOpset, infer_non_zero, kernel_of(run_non_zero), kAllTypes});
  r.add({"", "ReverseSequence", 10, kLatestOpset, [](InferContext& ctx) { infer_same_as_input(ctx); },
         kernel_of(run_reverse_sequence), kAllTypes});
  r.add({"", "Unique", 11, kLatestOpset, infer_unique, kernel_of(run_unique), kAllTypes});
}

}  // namespace onnxi::ops::tensor
