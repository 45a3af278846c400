// Helpers for op tests: build a one-node model in onnxi's IR and run it through a real Session.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "onnxi/error.h"
#include "onnxi/session.h"

namespace onnxi::test {

inline Attribute attr_int(std::string name, int64_t v) {
  Attribute a; a.name = std::move(name); a.type = Attribute::Type::Int; a.i = v; return a;
}
inline Attribute attr_float(std::string name, float v) {
  Attribute a; a.name = std::move(name); a.type = Attribute::Type::Float; a.f = v; return a;
}
inline Attribute attr_string(std::string name, std::string v) {
  Attribute a; a.name = std::move(name); a.type = Attribute::Type::String; a.s = std::move(v); return a;
}
inline Attribute attr_ints(std::string name, std::vector<int64_t> v) {
  Attribute a; a.name = std::move(name); a.type = Attribute::Type::Ints; a.ints = std::move(v); return a;
}
inline Attribute attr_floats(std::string name, std::vector<float> v) {
  Attribute a; a.name = std::move(name); a.type = Attribute::Type::Floats; a.floats = std::move(v); return a;
}
inline Attribute attr_strings(std::string name, std::vector<std::string> v) {
  Attribute a; a.name = std::move(name); a.type = Attribute::Type::Strings; a.strings = std::move(v); return a;
}
inline Attribute attr_tensor(std::string name, Tensor t) {
  Attribute a; a.name = std::move(name); a.type = Attribute::Type::Tensor; a.t = std::move(t); return a;
}

// Reproducible test values: n floats in [lo, hi) from a xorshift64 stream started at
// seed * 0x9E3779B97F4A7C15 + salt, each the stream value modulo `buckets` scaled into the range.
// (salt and buckets only keep the values each test file was written with.)
inline std::vector<float> xorshift_floats(size_t n, uint64_t seed, float lo, float hi, uint64_t salt,
                                          uint64_t buckets = 100000) {
  std::vector<float> v(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ULL + salt;
  for (float& x : v) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    x = lo + (hi - lo) * static_cast<float>(s % buckets) / static_cast<float>(buckets);
  }
  return v;
}
inline Tensor xorshift_tensor(Shape shape, uint64_t seed, float lo, float hi, uint64_t salt, uint64_t buckets = 100000) {
  Tensor t(DataType::Float, std::move(shape));
  const std::vector<float> v = xorshift_floats(static_cast<size_t>(t.numel()), seed, lo, hi, salt, buckets);
  std::copy(v.begin(), v.end(), t.data<float>());
  return t;
}

// A graph node named after its first output ("<out>_node"; the op type when it has none), as the
// graph-pass tests build models in onnxi's IR directly.
inline Node graph_node(std::string op, std::vector<std::string> inputs, std::vector<std::string> outputs,
                       std::vector<Attribute> attrs = {}, std::string domain = "") {
  Node n;
  n.name = outputs.empty() ? op : outputs[0] + "_node";
  n.op_type = std::move(op);
  n.domain = std::move(domain);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attributes = std::move(attrs);
  return n;
}

struct NodeRun {
  std::string op_type;
  std::vector<Attribute> attributes;
  int64_t opset = 21;
  std::string domain;
  size_t num_outputs = 1;
};

// Inputs are graph inputs named in0, in1, ...; an absent Value() becomes the "" (missing) input.
// Outputs are out0, out1, ...
inline Model single_node_model(const NodeRun& spec, const std::vector<Value>& inputs) {
  Model m;
  m.ir_version = 10;
  m.opset_imports[""] = spec.domain.empty() ? spec.opset : 21;
  if (!spec.domain.empty()) m.opset_imports[spec.domain] = spec.opset;
  Node n;
  n.name = "node0";
  n.op_type = spec.op_type;
  n.domain = spec.domain;
  n.attributes = spec.attributes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].is_none()) {
      n.inputs.emplace_back();
      continue;
    }
    std::string name = "in" + std::to_string(i);
    n.inputs.push_back(name);
    ValueInfo vi;
    vi.name = name;
    if (inputs[i].is_tensor()) {
      vi.type = TypeInfo::tensor_of_shape(inputs[i].tensor().dtype(), inputs[i].tensor().shape());
    }
    m.graph.inputs.push_back(vi);
  }
  for (size_t i = 0; i < spec.num_outputs; ++i) {
    std::string name = "out" + std::to_string(i);
    n.outputs.push_back(name);
    m.graph.outputs.push_back(ValueInfo{name, {}, {}});
  }
  m.graph.nodes.push_back(n);
  return m;
}

inline std::vector<Value> run_node(const NodeRun& spec, const std::vector<Value>& inputs) {
  Session s = Session::from_model(single_node_model(spec, inputs));
  std::map<std::string, Value> feeds;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].is_none()) feeds["in" + std::to_string(i)] = inputs[i];
  }
  return s.run(feeds);
}

template <class T>
std::vector<T> values(const Tensor& t) {
  REQUIRE(t.dtype() == dtype_of<T>::value);
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

// Shape equality, then |a - e| <= atol + rtol * |e| elementwise (NaN equals NaN).
inline void check_close(const Tensor& actual, const Tensor& expected, double rtol = 1e-5, double atol = 1e-6) {
  REQUIRE(actual.dtype() == expected.dtype());
  REQUIRE(actual.shape() == expected.shape());
  for (int64_t i = 0; i < actual.numel(); ++i) {
    double a = actual.element_as_double(i), e = expected.element_as_double(i);
    if (std::isnan(e)) {
      CHECK_MESSAGE(std::isnan(a), "element ", i);
      continue;
    }
    if (std::isinf(e)) {
      CHECK_MESSAGE(a == e, "element ", i);
      continue;
    }
    CHECK_MESSAGE(std::fabs(a - e) <= atol + rtol * std::fabs(e), "element ", i, ": ", a, " vs ", e);
  }
}

// Runs fn and checks it throws an onnxi::Error of `code` whose message contains `needle`.
template <class F>
void expect_error(F fn, ErrorCode code, const std::string& needle) {
  try {
    fn();
    FAIL("expected an error containing: ", needle);
  } catch (const Error& e) {
    CHECK_MESSAGE(e.code() == code, e.what());
    CHECK_MESSAGE(std::string(e.what()).find(needle) != std::string::npos, e.what());
  }
}

// The message of the onnxi::Error fn throws; "" when it throws none.
inline std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace onnxi::test
