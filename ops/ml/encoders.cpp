// Encoding ops of ai.onnx.ml (all opset 1):
//   OneHotEncoder      Y[..., c] = 1 where X's element equals category c (numbers are truncated to
//                      int64 and looked up in cats_int64s; strings in cats_strings). An unknown
//                      category gives a zero row with zeros=1 (the default), an error with zeros=0.
//   FeatureVectorizer  concatenates its inputs along axis 1 as float: input i is viewed as
//                      [N, rest] (1-D: one row) and cut or zero-padded to inputdimensions[i] columns.
//   ZipMap             turns each row of X [N, C] (or [C]) into a map {label_c: X[n, c]}; the output
//                      is a sequence of N maps whose keys are classlabels_strings or _int64s.
//                      A map value holds its keys tensor [C] and its values as one float tensor [C].
#include <algorithm>
#include <cmath>
#include <memory>
#include <unordered_map>

#include "ops/ml/ml.h"

namespace onnxi::ops::ml {
namespace {

// ---- OneHotEncoder ----

const TypeList kOneHotTypes = {DataType::String, DataType::Int64, DataType::Int32, DataType::Float, DataType::Double};

struct OneHotCategories {
  std::unordered_map<std::string, int64_t> strings;
  std::unordered_map<int64_t, int64_t> ints;
  bool by_string = false;
  int64_t count = 0;
  bool zeros = true;
};

void register_one_hot_encoder(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "OneHotEncoder";
  def.types = type_list_string(kOneHotTypes);
  def.infer = [](InferContext& ctx) {
    check_input_type(ctx, 0, "X", kOneHotTypes);
    const auto count = static_cast<int64_t>(std::max(ctx.node.attr_ints("cats_int64s").size(),
                                                     ctx.node.attr_strings("cats_strings").size()));
    const TypeInfo& x = ctx.input(0);
    if (!x.is_tensor() || !x.has_shape) {
      ctx.set_output(0, TypeInfo::tensor_unranked(DataType::Float));
      return;
    }
    std::vector<Dim> dims = x.dims;
    dims.push_back(Dim::known(count));
    ctx.set_output(0, TypeInfo::tensor(DataType::Float, std::move(dims)));
  };
  def.create = [](const KernelInit& init) {
    auto cats = std::make_shared<OneHotCategories>();
    const std::vector<int64_t> ints = init.node.attr_ints("cats_int64s");
    const std::vector<std::string> strings = init.node.attr_strings("cats_strings");
    if (ints.empty() == strings.empty()) init.fail("set exactly one of cats_int64s and cats_strings (non-empty)");
    cats->by_string = !strings.empty();
    cats->count = static_cast<int64_t>(cats->by_string ? strings.size() : ints.size());
    // The first occurrence of a repeated category wins.
    for (size_t i = 0; i < strings.size(); ++i) cats->strings.emplace(strings[i], static_cast<int64_t>(i));
    for (size_t i = 0; i < ints.size(); ++i) cats->ints.emplace(ints[i], static_cast<int64_t>(i));
    cats->zeros = init.node.attr_int("zeros", 1) != 0;
    return make_kernel([cats = std::shared_ptr<const OneHotCategories>(cats)](KernelContext& ctx) {
      const Tensor& x = typed_input(ctx, 0, "X", kOneHotTypes);
      const bool is_string = x.dtype() == DataType::String;
      if (is_string != cats->by_string) {
        ctx.fail(cat("input X ", x.describe(), " needs ", is_string ? "cats_strings" : "cats_int64s",
                     "; the node sets ", cats->by_string ? "cats_strings" : "cats_int64s"));
      }
      Shape shape = x.shape();
      shape.push_back(cats->count);
      Tensor& y = ctx.allocate_output(0, DataType::Float, shape);
      float* out = y.data<float>();
      std::vector<double> numbers;
      if (!is_string && x.dtype() != DataType::Int64) numbers = to_f64(x);
      for (int64_t i = 0; i < x.numel(); ++i) {
        int64_t c = -1;
        if (is_string) {
          auto it = cats->strings.find(x.data<std::string>()[i]);
          if (it != cats->strings.end()) c = it->second;
        } else {
          bool valid = true;
          int64_t key = 0;
          if (x.dtype() == DataType::Int64) {
            key = x.data<int64_t>()[i];
          } else {
            const double v = numbers[static_cast<size_t>(i)];
            valid = std::isfinite(v) && std::fabs(v) < 9.2e18;
            key = valid ? static_cast<int64_t>(v) : 0;
          }
          auto it = valid ? cats->ints.find(key) : cats->ints.end();
          if (it != cats->ints.end()) c = it->second;
        }
        if (c >= 0) {
          out[i * cats->count + c] = 1.f;
        } else if (!cats->zeros) {
          ctx.fail(cat("element ", i, " of input X is not among the categories and zeros = 0"));
        }
      }
    });
  };
  r.add(std::move(def));
}

// ---- FeatureVectorizer ----

void register_feature_vectorizer(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "FeatureVectorizer";
  def.types = type_list_string(numeric_types());
  def.infer = [](InferContext& ctx) {
    const std::vector<int64_t> widths = ctx.node.attr_ints("inputdimensions");
    Dim batch;
    for (size_t i = 0; i < ctx.num_inputs(); ++i) {
      check_input_type(ctx, i, "X", numeric_types());
      const TypeInfo& t = ctx.input(i);
      if (t.is_tensor() && t.has_shape && !t.dims.empty() && !batch.is_known()) {
        batch = t.dims.size() == 1 ? Dim::known(1) : t.dims[0];
      }
    }
    Dim total;
    if (widths.size() == ctx.num_inputs()) {
      int64_t sum = 0;
      for (int64_t w : widths) sum += w;
      total = Dim::known(sum);
    }
    ctx.set_output(0, TypeInfo::tensor(DataType::Float, {batch, total}));
  };
  def.create = [](const KernelInit& init) {
    const std::vector<int64_t> widths = init.node.attr_ints("inputdimensions");
    if (widths.size() != init.node.inputs.size()) {
      init.fail(cat("attribute inputdimensions has ", widths.size(), " values for ", init.node.inputs.size(),
                    " inputs; give one width per input"));
    }
    int64_t total = 0;
    for (int64_t w : widths) {
      if (w < 0) init.fail(cat("attribute inputdimensions holds ", w, "; widths must be >= 0"));
      total += w;
    }
    return make_kernel([widths, total](KernelContext& ctx) {
      int64_t rows = -1;
      for (size_t i = 0; i < ctx.num_inputs(); ++i) {
        const Tensor& t = typed_input(ctx, i, "X", numeric_types());
        if (t.rank() == 0) ctx.fail(cat("input ", i, " ", t.describe(), " must have at least one dimension"));
        const int64_t n = t.rank() == 1 ? 1 : t.dim(0);
        if (rows >= 0 && n != rows) {
          ctx.fail(cat("input ", i, " ", t.describe(), " has ", n, " rows; the inputs before it have ", rows));
        }
        rows = n;
      }
      if (rows < 0) rows = 0;
      Tensor& y = ctx.allocate_output(0, DataType::Float, {rows, total});
      float* out = y.data<float>();
      int64_t col = 0;
      for (size_t i = 0; i < ctx.num_inputs(); ++i) {
        const Tensor& t = ctx.input(i);
        const int64_t n = t.rank() == 1 ? 1 : t.dim(0);
        const int64_t width = n == 0 ? 0 : t.numel() / n;
        const std::vector<double> v = to_f64(t);
        const int64_t keep = std::min(width, widths[i]);
        for (int64_t r = 0; r < rows; ++r) {
          for (int64_t c = 0; c < keep; ++c) out[r * total + col + c] = static_cast<float>(v[static_cast<size_t>(r * width + c)]);
        }
        col += widths[i];
      }
    });
  };
  r.add(std::move(def));
}

// ---- ZipMap ----

void register_zipmap(Registry& r) {
  OpDef def;
  def.domain = kDomain;
  def.op_type = "ZipMap";
  def.types = "float";
  def.infer = [](InferContext& ctx) {
    check_input_type(ctx, 0, "X", {DataType::Float});
    const bool strings = ctx.node.has_attr("classlabels_strings");
    TypeInfo map;
    map.kind = TypeInfo::Kind::Map;
    map.elem = strings ? DataType::String : DataType::Int64;
    map.inner = std::make_shared<TypeInfo>(TypeInfo::tensor_unranked(DataType::Float));
    TypeInfo seq;
    seq.kind = TypeInfo::Kind::Sequence;
    seq.inner = std::make_shared<TypeInfo>(map);
    ctx.set_output(0, seq);
  };
  def.create = [](const KernelInit& init) {
    const std::vector<int64_t> ints = init.node.attr_ints("classlabels_int64s");
    const std::vector<std::string> strings = init.node.attr_strings("classlabels_strings");
    if (ints.empty() == strings.empty()) {
      init.fail("set exactly one of classlabels_strings and classlabels_int64s (non-empty)");
    }
    const Tensor keys = strings.empty() ? Tensor::from_vector(ints, {static_cast<int64_t>(ints.size())})
                                        : Tensor::from_vector(strings, {static_cast<int64_t>(strings.size())});
    return make_kernel([keys](KernelContext& ctx) {
      const Tensor& x = typed_input(ctx, 0, "X", {DataType::Float});
      const Rows shape = rows_of(ctx, x, "X");
      if (shape.features != keys.numel()) {
        ctx.fail(cat("input X ", x.describe(), " has ", shape.features, " columns for ", keys.numel(),
                     " class labels; they must match"));
      }
      std::vector<Value> maps;
      maps.reserve(static_cast<size_t>(shape.rows));
      const float* src = x.data<float>();
      for (int64_t r = 0; r < shape.rows; ++r) {
        Tensor values(DataType::Float, {shape.features});
        std::copy(src + r * shape.features, src + (r + 1) * shape.features, values.data<float>());
        maps.push_back(Value::map(keys, Value(values)));
      }
      ctx.set_output(0, Value::sequence(DataType::Undefined, std::move(maps)));
    });
  };
  r.add(std::move(def));
}

}  // namespace

void register_encoders(Registry& r) {
  register_one_hot_encoder(r);
  register_feature_vectorizer(r);
  register_zipmap(r);
}

}  // namespace onnxi::ops::ml
