// Lookup-table ops of ai.onnx.ml: each input element is found among `keys` and replaced by the
// value at the same position, or by a default.
//   LabelEncoder-1   string -> int64 (position in classes_strings, else default_int64) or
//                    int64 -> string (classes_strings[x], else default_string), by input type.
//   LabelEncoder-2   keys_{floats,int64s,strings} -> values_{floats,int64s,strings}, default_*.
//   LabelEncoder-4   adds keys_tensor / values_tensor / default_tensor (string, int64, int32, int16,
//                    float, double); float keys match by value and a NaN key matches any NaN.
//   CategoryMapper   cats_strings <-> cats_int64s, direction by input type, default_int64/_string.
// A repeated key maps to its last value, as the spec says.
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>

#include "onnxi/dtype.h"
#include "ops/ml/ml.h"

namespace onnxi::ops::ml {
namespace {

// Keys of one element type, values as a 1-D tensor of the output type with the default appended.
class LookupTable {
 public:
  LookupTable(const Tensor& keys, const Tensor& values, const Tensor& default_value, const Node& node) {
    const int64_t n = keys.numel();
    if (values.numel() != n) {
      fail(ErrorCode::InvalidModel, cat(node.label(), ": ", n, " keys but ", values.numel(), " values; they pair up"));
    }
    if (default_value.numel() != 1 || default_value.dtype() != values.dtype()) {
      fail(ErrorCode::InvalidModel, cat(node.label(), ": the default ", default_value.describe(),
                                        " must be a single ", dtype_name(values.dtype()), " like the values"));
    }
    key_type_ = keys.dtype();
    table_ = Tensor(values.dtype(), {n + 1});
    for (int64_t i = 0; i <= n; ++i) copy_element(i < n ? values : default_value, i < n ? i : 0, table_, i);
    for (int64_t i = 0; i < n; ++i) {
      switch (key_type_) {
        case DataType::String: by_string_[keys.data<std::string>()[i]] = i; break;
        case DataType::Int64: by_int_[keys.data<int64_t>()[i]] = i; break;
        case DataType::Int32: by_int_[keys.data<int32_t>()[i]] = i; break;
        case DataType::Int16: by_int_[keys.data<int16_t>()[i]] = i; break;
        case DataType::Float: add_float(keys.data<float>()[i], i); break;
        case DataType::Double: add_float(keys.data<double>()[i], i); break;
        default:
          fail(ErrorCode::InvalidModel, cat(node.label(), ": keys of type ", dtype_name(key_type_), " are not supported"));
      }
    }
  }

  DataType key_type() const { return key_type_; }
  DataType value_type() const { return table_.dtype(); }

  void apply(const KernelContext& ctx, const Tensor& x, Tensor& y) const {
    if (x.dtype() != key_type_) {
      ctx.fail(cat("input X has element type ", dtype_name(x.dtype()), "; the keys are ", dtype_name(key_type_)));
    }
    for (int64_t i = 0; i < x.numel(); ++i) copy_element(table_, find(x, i), y, i);
  }

 private:
  static void copy_element(const Tensor& src, int64_t si, Tensor& dst, int64_t di) {
    if (src.dtype() == DataType::String) {
      dst.data<std::string>()[di] = src.data<std::string>()[si];
      return;
    }
    const size_t es = storage_bytes(src.dtype(), 1);
    std::memcpy(static_cast<unsigned char*>(dst.raw()) + static_cast<size_t>(di) * es,
                static_cast<const unsigned char*>(src.raw()) + static_cast<size_t>(si) * es, es);
  }

  void add_float(double k, int64_t i) {
    if (std::isnan(k)) nan_index_ = i;
    else by_float_[k] = i;
  }

  int64_t find(const Tensor& x, int64_t i) const {
    const int64_t missing = table_.numel() - 1;
    auto in = [missing](const auto& map, const auto& key) {
      auto it = map.find(key);
      return it == map.end() ? missing : it->second;
    };
    switch (key_type_) {
      case DataType::String: return in(by_string_, x.data<std::string>()[i]);
      case DataType::Int64: return in(by_int_, x.data<int64_t>()[i]);
      case DataType::Int32: return in(by_int_, int64_t{x.data<int32_t>()[i]});
      case DataType::Int16: return in(by_int_, int64_t{x.data<int16_t>()[i]});
      case DataType::Float:
      case DataType::Double: {
        const double v = x.dtype() == DataType::Float ? x.data<float>()[i] : x.data<double>()[i];
        if (std::isnan(v)) return nan_index_ >= 0 ? nan_index_ : missing;
        return in(by_float_, v);
      }
      default: return missing;
    }
  }

  DataType key_type_ = DataType::Undefined;
  Tensor table_;
  std::unordered_map<std::string, int64_t> by_string_;
  std::unordered_map<int64_t, int64_t> by_int_;
  std::map<double, int64_t> by_float_;
  int64_t nan_index_ = -1;
};

Tensor ints_tensor(const std::vector<int64_t>& v) { return Tensor::from_vector(v, {static_cast<int64_t>(v.size())}); }
Tensor strings_tensor(const std::vector<std::string>& v) {
  return Tensor::from_vector(v, {static_cast<int64_t>(v.size())});
}
Tensor floats_tensor(const std::vector<float>& v) { return Tensor::from_vector(v, {static_cast<int64_t>(v.size())}); }
Tensor range_tensor(size_t n) {
  std::vector<int64_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<int64_t>(i);
  return ints_tensor(v);
}

// LabelEncoder-2/4: exactly one keys_* and one values_* attribute.
LookupTable make_label_encoder(const Node& n, int64_t opset) {
  const bool tensors = opset >= 4;
  std::vector<std::pair<const char*, Tensor>> keys, values;
  if (n.has_attr("keys_strings")) keys.emplace_back("keys_strings", strings_tensor(n.attr_strings("keys_strings")));
  if (n.has_attr("keys_int64s")) keys.emplace_back("keys_int64s", ints_tensor(n.attr_ints("keys_int64s")));
  if (n.has_attr("keys_floats")) keys.emplace_back("keys_floats", floats_tensor(n.attr_floats("keys_floats")));
  if (tensors && n.attr_tensor("keys_tensor")) keys.emplace_back("keys_tensor", *n.attr_tensor("keys_tensor"));
  if (n.has_attr("values_strings")) values.emplace_back("values_strings", strings_tensor(n.attr_strings("values_strings")));
  if (n.has_attr("values_int64s")) values.emplace_back("values_int64s", ints_tensor(n.attr_ints("values_int64s")));
  if (n.has_attr("values_floats")) values.emplace_back("values_floats", floats_tensor(n.attr_floats("values_floats")));
  if (tensors && n.attr_tensor("values_tensor")) values.emplace_back("values_tensor", *n.attr_tensor("values_tensor"));
  const char* key_names = tensors ? "keys_strings, keys_int64s, keys_floats, keys_tensor"
                                  : "keys_strings, keys_int64s, keys_floats";
  const char* value_names = tensors ? "values_strings, values_int64s, values_floats, values_tensor"
                                    : "values_strings, values_int64s, values_floats";
  if (keys.size() != 1) fail(ErrorCode::InvalidModel, cat(n.label(), ": set exactly one of ", key_names));
  if (values.size() != 1) fail(ErrorCode::InvalidModel, cat(n.label(), ": set exactly one of ", value_names));
  const DataType vt = values[0].second.dtype();
  Tensor def;
  const Tensor* dt = tensors ? n.attr_tensor("default_tensor") : nullptr;
  if (dt) {
    def = dt->numel() == 1 ? dt->reshaped({1}) : *dt;
  } else if (vt == DataType::String) {
    def = strings_tensor({n.attr_string("default_string", "_Unused")});
  } else if (vt == DataType::Float || vt == DataType::Double) {
    def = from_f64({static_cast<double>(n.attr_float("default_float", -0.f))}, vt, {1});
  } else {
    def = from_f64({static_cast<double>(n.attr_int("default_int64", -1))}, vt, {1});
  }
  return LookupTable(keys[0].second, values[0].second, def, n);
}

// LabelEncoder-1 and CategoryMapper: a string <-> int64 pair of tables, picked by the input type.
struct StringIntTables {
  std::shared_ptr<const LookupTable> to_int;     // string -> int64
  std::shared_ptr<const LookupTable> to_string;  // int64 -> string
};

void register_lookup(Registry& r, OpDef def, std::function<StringIntTables(const Node&)> make_pair,
                     std::function<LookupTable(const Node&, int64_t)> make_single) {
  def.domain = kDomain;
  def.infer = [make_pair, make_single](InferContext& ctx) {
    const TypeInfo& x = ctx.input(0);
    DataType out = DataType::Undefined;
    if (make_single) {
      out = make_single(ctx.node, ctx.opset).value_type();
    } else if (x.is_tensor() && x.elem != DataType::Undefined) {
      if (x.elem != DataType::String && x.elem != DataType::Int64) {
        ctx.fail(cat("input X has element type ", dtype_name(x.elem), "; ", ctx.node.op_type, " takes string or int64"));
      }
      out = x.elem == DataType::String ? DataType::Int64 : DataType::String;
    }
    if (!x.is_tensor()) {
      ctx.set_output(0, TypeInfo::tensor_unranked(out));
      return;
    }
    TypeInfo t = x;
    t.elem = out;
    ctx.set_output(0, t);
  };
  def.create = [make_pair, make_single](const KernelInit& init) -> std::unique_ptr<Kernel> {
    if (make_single) {
      auto table = std::make_shared<const LookupTable>(make_single(init.node, init.opset));
      return make_kernel([table](KernelContext& ctx) {
        const Tensor& x = ctx.input(0);
        Tensor& y = ctx.allocate_output(0, table->value_type(), x.shape());
        table->apply(ctx, x, y);
      });
    }
    StringIntTables tables = make_pair(init.node);
    return make_kernel([tables](KernelContext& ctx) {
      const Tensor& x = typed_input(ctx, 0, "X", {DataType::String, DataType::Int64});
      const LookupTable& t = x.dtype() == DataType::String ? *tables.to_int : *tables.to_string;
      Tensor& y = ctx.allocate_output(0, t.value_type(), x.shape());
      t.apply(ctx, x, y);
    });
  };
  r.add(std::move(def));
}

}  // namespace

void register_label_encoder(Registry& r) {
  const std::string label_types = "string, int64, int32, int16, float, double";
  OpDef v1;
  v1.op_type = "LabelEncoder";
  v1.since_version = 1;
  v1.last_version = 1;
  v1.types = "string, int64";
  register_lookup(r, v1, [](const Node& n) {
    const std::vector<std::string> classes = n.attr_strings("classes_strings");
    const Tensor labels = strings_tensor(classes), ids = range_tensor(classes.size());
    StringIntTables t;
    t.to_int = std::make_shared<const LookupTable>(labels, ids, ints_tensor({n.attr_int("default_int64", -1)}), n);
    t.to_string = std::make_shared<const LookupTable>(
        ids, labels, strings_tensor({n.attr_string("default_string", "_Unused")}), n);
    return t;
  }, nullptr);

  OpDef v2;
  v2.op_type = "LabelEncoder";
  v2.since_version = 2;
  v2.last_version = 3;
  v2.types = "string, int64, float";
  register_lookup(r, v2, nullptr, make_label_encoder);

  OpDef v4;
  v4.op_type = "LabelEncoder";
  v4.since_version = 4;
  v4.types = label_types;
  register_lookup(r, v4, nullptr, make_label_encoder);

  OpDef cm;
  cm.op_type = "CategoryMapper";
  cm.since_version = 1;
  cm.types = "string, int64";
  register_lookup(r, cm, [](const Node& n) {
    const Tensor strings = strings_tensor(n.attr_strings("cats_strings"));
    const Tensor ints = ints_tensor(n.attr_ints("cats_int64s"));
    StringIntTables t;
    t.to_int = std::make_shared<const LookupTable>(strings, ints, ints_tensor({n.attr_int("default_int64", -1)}), n);
    t.to_string = std::make_shared<const LookupTable>(
        ints, strings, strings_tensor({n.attr_string("default_string", "_Unused")}), n);
    return t;
  }, nullptr);
}

}  // namespace onnxi::ops::ml
