// TfIdfVectorizer (opset 9): counts the n-grams of a pool in each row of X, with skips, and
// writes the counts (TF), their presence (IDF) or counts times weights (TFIDF) at the output
// positions ngram_indexes gives.
//
// The pool is stored level by level: ngram_counts[k] is where the (k+1)-grams start in
// pool_int64s / pool_strings. N-grams are numbered in pool order across all levels (those outside
// [min_gram_length, max_gram_length] keep their numbers but are never counted), and n-gram j
// lands at output column ngram_indexes[j]. Weights scale by output column, as onnxruntime and the
// ONNX reference both apply them.
#include <algorithm>
#include <type_traits>
#include <unordered_map>

#include "ops/text/text.h"

namespace onnxi::ops {
namespace {

enum class Weighting { TF, IDF, TFIDF };

struct TfIdfAttrs {
  Weighting mode = Weighting::TF;
  int64_t min_gram = 1;
  int64_t max_gram = 1;
  int64_t max_skip = 0;
  std::vector<int64_t> ngram_counts;
  std::vector<int64_t> ngram_indexes;
  std::vector<int64_t> pool_ints;
  std::vector<std::string> pool_strings;
  std::vector<float> weights;
  int64_t output_size = 0;
};

[[noreturn]] void invalid(const Node& node, const std::string& message) {
  fail(ErrorCode::InvalidModel, cat(node.label(), ": ", message));
}

int64_t required_int(const Node& node, const char* name) {
  if (!node.has_attr(name)) invalid(node, cat("attribute ", name, " is required"));
  return node.attr_int(name, 0);
}

TfIdfAttrs read_tfidf_attrs(const Node& node) {
  TfIdfAttrs a;
  if (!node.has_attr("mode")) invalid(node, "attribute mode is required; use TF, IDF or TFIDF");
  const std::string mode = node.attr_string("mode", "");
  if (mode == "TF") {
    a.mode = Weighting::TF;
  } else if (mode == "IDF") {
    a.mode = Weighting::IDF;
  } else if (mode == "TFIDF") {
    a.mode = Weighting::TFIDF;
  } else {
    invalid(node, cat("attribute mode is '", mode, "'; use TF, IDF or TFIDF"));
  }
  a.min_gram = required_int(node, "min_gram_length");
  a.max_gram = required_int(node, "max_gram_length");
  a.max_skip = required_int(node, "max_skip_count");
  if (a.min_gram < 1 || a.max_gram < a.min_gram) {
    invalid(node, cat("min_gram_length = ", a.min_gram, " and max_gram_length = ", a.max_gram,
                      " must satisfy 1 <= min_gram_length <= max_gram_length"));
  }
  if (a.max_skip < 0) invalid(node, cat("max_skip_count = ", a.max_skip, " must be >= 0"));

  if (!node.has_attr("ngram_counts")) invalid(node, "attribute ngram_counts is required");
  if (!node.has_attr("ngram_indexes")) invalid(node, "attribute ngram_indexes is required");
  a.ngram_counts = node.attr_ints("ngram_counts");
  a.ngram_indexes = node.attr_ints("ngram_indexes");
  a.pool_ints = node.attr_ints("pool_int64s");
  a.pool_strings = node.attr_strings("pool_strings");
  a.weights = node.attr_floats("weights");
  if (a.pool_ints.empty() == a.pool_strings.empty()) {
    invalid(node, "set exactly one of the attributes pool_int64s and pool_strings (non-empty)");
  }
  const auto pool_size = static_cast<int64_t>(a.pool_ints.empty() ? a.pool_strings.size() : a.pool_ints.size());

  int64_t total_ngrams = 0;
  for (size_t k = 0; k < a.ngram_counts.size(); ++k) {
    const int64_t start = a.ngram_counts[k];
    const int64_t end = k + 1 < a.ngram_counts.size() ? a.ngram_counts[k + 1] : pool_size;
    if (start < 0 || start > end || end > pool_size) {
      invalid(node, cat("ngram_counts must be non-decreasing offsets into the pool of ", pool_size,
                        " items; entry ", k, " = ", start, " does not fit"));
    }
    total_ngrams += (end - start) / static_cast<int64_t>(k + 1);
  }
  if (a.ngram_indexes.empty()) invalid(node, "attribute ngram_indexes is empty; give one output index per n-gram");
  if (static_cast<int64_t>(a.ngram_indexes.size()) < total_ngrams) {
    invalid(node, cat("the pool holds ", total_ngrams, " n-grams but ngram_indexes has only ",
                      a.ngram_indexes.size(), " entries; give one output index per n-gram"));
  }
  for (int64_t index : a.ngram_indexes) {
    if (index < 0) invalid(node, cat("ngram_indexes holds ", index, "; output indexes must be >= 0"));
  }
  a.output_size = *std::max_element(a.ngram_indexes.begin(), a.ngram_indexes.end()) + 1;
  if (!a.weights.empty() && static_cast<int64_t>(a.weights.size()) < a.output_size) {
    invalid(node, cat("weights has ", a.weights.size(), " entries but the output has ", a.output_size,
                      " columns (max(ngram_indexes) + 1); give one weight per output column"));
  }
  return a;
}

// A trie of the pool's n-grams: a path of keys from the root spells an n-gram, and `id` (1-based
// n-gram number, 0 for none) marks where one ends.
template <class Key>
class NgramTrie {
 public:
  NgramTrie() : nodes_(1) {}

  int32_t root() const { return 0; }
  bool has_children(int32_t node) const { return !nodes_[static_cast<size_t>(node)].children.empty(); }
  int64_t id(int32_t node) const { return nodes_[static_cast<size_t>(node)].id; }
  // The child reached by `key`, or -1.
  int32_t child(int32_t node, const Key& key) const {
    const auto& children = nodes_[static_cast<size_t>(node)].children;
    auto it = children.find(key);
    return it == children.end() ? -1 : it->second;
  }
  int32_t add_child(int32_t node, const Key& key) {
    auto found = nodes_[static_cast<size_t>(node)].children.find(key);
    if (found != nodes_[static_cast<size_t>(node)].children.end()) return found->second;
    const auto next = static_cast<int32_t>(nodes_.size());
    nodes_.emplace_back();  // may move the nodes: look `node` up again below
    nodes_[static_cast<size_t>(node)].children.emplace(key, next);
    return next;
  }
  void set_id(int32_t node, int64_t id) { nodes_[static_cast<size_t>(node)].id = id; }

 private:
  struct TrieNode {
    int64_t id = 0;
    std::unordered_map<Key, int32_t> children;
  };
  std::vector<TrieNode> nodes_;
};

template <class Key>
NgramTrie<Key> build_trie(const TfIdfAttrs& a, const std::vector<Key>& pool) {
  NgramTrie<Key> trie;
  const auto pool_size = static_cast<int64_t>(pool.size());
  int64_t next_id = 1;
  for (size_t k = 0; k < a.ngram_counts.size(); ++k) {
    const auto n = static_cast<int64_t>(k + 1);
    const int64_t start = a.ngram_counts[k];
    const int64_t end = k + 1 < a.ngram_counts.size() ? a.ngram_counts[k + 1] : pool_size;
    const int64_t count = (end - start) / n;
    if (n < a.min_gram || n > a.max_gram) {
      next_id += count;
      continue;
    }
    for (int64_t g = 0; g < count; ++g) {
      int32_t node = trie.root();
      for (int64_t j = 0; j < n; ++j) node = trie.add_child(node, pool[static_cast<size_t>(start + g * n + j)]);
      trie.set_id(node, next_id++);
    }
  }
  return trie;
}

// Adds the pool n-grams of one row (`length` keys from `row`) to `counts` (one per output
// column). Every skip distance 1..max_skip+1 is scanned; unigrams do not depend on the skip, so
// they are counted on the first pass only.
template <class Key, class Elem>
void count_row(const NgramTrie<Key>& trie, const TfIdfAttrs& a, const Elem* row, int64_t length, int64_t* counts) {
  int64_t min_size = a.min_gram;
  for (int64_t skip = 1; skip <= a.max_skip + 1; ++skip) {
    for (int64_t start = 0; start < length; ++start) {
      if (start + skip * (min_size - 1) >= length) break;
      int32_t node = trie.root();
      int64_t item = start;
      for (int64_t size = 1; size <= a.max_gram && item < length && trie.has_children(node); ++size) {
        if constexpr (std::is_same_v<Key, Elem>) {
          node = trie.child(node, row[item]);
        } else {
          node = trie.child(node, static_cast<Key>(row[item]));
        }
        if (node < 0) break;
        const int64_t id = trie.id(node);
        if (size >= min_size && id != 0) ++counts[a.ngram_indexes[static_cast<size_t>(id - 1)]];
        item += skip;
      }
    }
    if (min_size == 1) {
      ++min_size;
      if (min_size > a.max_gram) break;
    }
  }
}

class TfIdfKernel final : public Kernel {
 public:
  explicit TfIdfKernel(TfIdfAttrs attrs) : a_(std::move(attrs)) {
    if (a_.pool_strings.empty()) {
      int_trie_ = build_trie(a_, a_.pool_ints);
    } else {
      string_trie_ = build_trie(a_, a_.pool_strings);
    }
  }

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    check_type(ctx, x.dtype());
    if (x.rank() > 2) {
      ctx.fail(cat("input 0 is ", x.describe(), "; TfIdfVectorizer takes a [C] or [N, C] tensor"));
    }
    const bool batched = x.rank() == 2;
    const int64_t rows = batched ? x.dim(0) : 1;
    const int64_t length = batched ? x.dim(1) : x.numel();
    std::vector<int64_t> counts(static_cast<size_t>(rows * a_.output_size), 0);
    for (int64_t r = 0; r < rows; ++r) {
      int64_t* row_counts = counts.data() + r * a_.output_size;
      switch (x.dtype()) {
        case DataType::Int32: count_row(int_trie_, a_, x.data<int32_t>() + r * length, length, row_counts); break;
        case DataType::Int64: count_row(int_trie_, a_, x.data<int64_t>() + r * length, length, row_counts); break;
        default: count_row(string_trie_, a_, x.data<std::string>() + r * length, length, row_counts); break;
      }
    }
    Tensor& y = ctx.allocate_output(0, DataType::Float, batched ? Shape{rows, a_.output_size} : Shape{a_.output_size});
    write_weighted(counts, rows, y.data<float>());
  }

 private:
  void check_type(const KernelContext& ctx, DataType t) const {
    const bool ints = a_.pool_strings.empty();
    if (ints && (t == DataType::Int32 || t == DataType::Int64)) return;
    if (!ints && t == DataType::String) return;
    ctx.fail(cat("input 0 is ", dtype_name(t), " but the pool is ", ints ? "pool_int64s" : "pool_strings",
                 "; feed ", ints ? "an int32 or int64" : "a string", " tensor"));
  }

  void write_weighted(const std::vector<int64_t>& counts, int64_t rows, float* out) const {
    const bool weighted = !a_.weights.empty();
    for (int64_t r = 0; r < rows; ++r) {
      for (int64_t c = 0; c < a_.output_size; ++c) {
        const int64_t f = counts[static_cast<size_t>(r * a_.output_size + c)];
        const float w = weighted ? a_.weights[static_cast<size_t>(c)] : 1.f;
        float v = static_cast<float>(f);
        if (a_.mode == Weighting::IDF) {
          v = f > 0 ? w : 0.f;
        } else if (a_.mode == Weighting::TFIDF) {
          v = w * static_cast<float>(f);
        }
        out[r * a_.output_size + c] = v;
      }
    }
  }

  TfIdfAttrs a_;
  NgramTrie<int64_t> int_trie_;
  NgramTrie<std::string> string_trie_;
};

void infer_tfidf(InferContext& ctx) {
  const TfIdfAttrs a = read_tfidf_attrs(ctx.node);
  const TypeInfo& x = ctx.input(0);
  if (!x.is_tensor()) {
    ctx.set_output(0, TypeInfo::tensor_unranked(DataType::Float));
    return;
  }
  if (x.elem != DataType::Undefined) {
    const bool ints = a.pool_strings.empty();
    const bool ok = ints ? (x.elem == DataType::Int32 || x.elem == DataType::Int64) : x.elem == DataType::String;
    if (!ok) {
      ctx.fail(cat("input 0 is ", x.str(), " but the pool is ", ints ? "pool_int64s" : "pool_strings", "; feed ",
                   ints ? "an int32 or int64" : "a string", " tensor"));
    }
  }
  if (!x.has_shape) {
    ctx.set_output(0, TypeInfo::tensor_unranked(DataType::Float));
    return;
  }
  if (x.dims.size() > 2) ctx.fail(cat("input 0 is ", x.str(), "; TfIdfVectorizer takes a [C] or [N, C] tensor"));
  std::vector<Dim> dims;
  if (x.dims.size() == 2) dims.push_back(x.dims[0]);
  dims.push_back(Dim::known(a.output_size));
  ctx.set_output(0, TypeInfo::tensor(DataType::Float, std::move(dims)));
}

}  // namespace

void register_tfidf_vectorizer(Registry& r) {
  OpDef def;
  def.op_type = "TfIdfVectorizer";
  def.since_version = 9;
  def.types = "string, int32, int64";
  def.infer = infer_tfidf;
  def.create = [](const KernelInit& init) -> std::unique_ptr<Kernel> {
    return std::make_unique<TfIdfKernel>(read_tfidf_attrs(init.node));
  };
  r.add(std::move(def));
}

}  // namespace onnxi::ops
