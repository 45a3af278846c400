// The executor and Session API: custom ops, feeds checking, concurrent runs, deadlines, registry.
#include <doctest/doctest.h>

#include <thread>

#include "onnxi/error.h"
#include "onnxi/session.h"
#include "tests/unit/op_test_util.h"
#include "tests/unit/test_ops_custom.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

ValueInfo float_input(const std::string& name, std::vector<Dim> dims) {
  return ValueInfo{name, TypeInfo::tensor(DataType::Float, std::move(dims)), {}};
}

Node add_one(const std::string& name, const std::string& in, const std::string& out, float amount = 1.f) {
  Node n;
  n.name = name;
  n.op_type = "AddOne";
  n.domain = kTestDomain;
  n.inputs = {in};
  n.outputs = {out};
  Attribute a;
  a.name = "amount";
  a.type = Attribute::Type::Float;
  a.f = amount;
  n.attributes.push_back(a);
  return n;
}

// A chain of `length` AddOne nodes: y = x + length.
Model chain_model(int length, const std::string& op = "AddOne") {
  Model m;
  m.opset_imports[""] = 17;
  m.opset_imports[kTestDomain] = 1;
  m.graph.name = "chain";
  m.graph.inputs.push_back(float_input("x", {Dim::symbol("N")}));
  std::string prev = "x";
  for (int i = 0; i < length; ++i) {
    std::string out = i + 1 == length ? "y" : "t" + std::to_string(i);
    Node n = add_one("n" + std::to_string(i), prev, out);
    n.op_type = op;
    m.graph.nodes.push_back(n);
    prev = out;
  }
  m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
  return m;
}

}  // namespace

TEST_CASE("executor: runs nodes in topological order whatever the file order") {
  Model m = chain_model(3);
  std::swap(m.graph.nodes[0], m.graph.nodes[2]);
  Session s = Session::from_model(m, test_options());
  auto out = s.run({{"x", Tensor::from_vector<float>({0.f, 10.f}, {2})}});
  CHECK(out[0].tensor().to_float_vector() == std::vector<float>{3.f, 13.f});
  CHECK(s.outputs()[0].type.str() == "float32[N]");  // inferred through the chain
}

TEST_CASE("executor: a graph output can be an input or an intermediate read by others") {
  Model m = chain_model(2);
  m.graph.outputs.push_back(ValueInfo{"t0", {}, {}});
  m.graph.outputs.push_back(ValueInfo{"x", {}, {}});
  auto out = Session::from_model(m, test_options()).run({{"x", Tensor::from_vector<float>({1.f}, {1})}});
  REQUIRE(out.size() == 3);
  CHECK(out[0].tensor().to_float_vector() == std::vector<float>{3.f});
  CHECK(out[1].tensor().to_float_vector() == std::vector<float>{2.f});
  CHECK(out[2].tensor().to_float_vector() == std::vector<float>{1.f});
}

TEST_CASE("executor: feeds are checked against the declared inputs") {
  Model m = chain_model(1);
  m.graph.inputs[0].type = TypeInfo::tensor(DataType::Float, {Dim::symbol("N"), Dim::known(3)});
  Session s = Session::from_model(m, test_options());
  expect_error([&] { s.run({}); }, ErrorCode::InvalidArgument, "input 'x' was not fed");
  expect_error([&] { s.run({{"x", Tensor::from_vector<int64_t>({1, 2, 3}, {1, 3})}}); }, ErrorCode::InvalidArgument,
               "input 'x' must be float32[N,3], got int64[1,3]");
  expect_error([&] { s.run({{"x", Tensor(DataType::Float, {2, 4})}}); }, ErrorCode::InvalidArgument, "got float32[2,4]");
  expect_error([&] { s.run({{"x", Tensor(DataType::Float, {2, 3})}, {"typo", Tensor(DataType::Float, {1})}}); },
               ErrorCode::InvalidArgument, "the model has no input 'typo'; its inputs are: x");
  CHECK(s.run({{"x", Tensor(DataType::Float, {5, 3})}})[0].tensor().shape() == Shape{5, 3});
}

TEST_CASE("executor: errors inside a kernel name the node") {
  Session s = Session::from_model(chain_model(1), test_options());
  Model m = chain_model(1);
  m.graph.inputs[0].type = TypeInfo{};  // no declared type: the kernel sees the int64 feed itself
  Session loose = Session::from_model(m, test_options());
  expect_error([&] { loose.run({{"x", Tensor(DataType::Int64, {2})}}); }, ErrorCode::Runtime,
               "node 'n0' (test.onnxi.AddOne): AddOne takes float32, got int64[2]");
}

TEST_CASE("executor: concurrent runs on one session give identical results") {
  Session s = Session::from_model(chain_model(20), test_options());
  std::vector<std::vector<float>> results(8);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep) {
        Tensor x = Tensor::from_vector<float>({static_cast<float>(t), 100.f}, {2});
        results[static_cast<size_t>(t)] = s.run({{"x", x}})[0].tensor().to_float_vector();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 8; ++t) CHECK(results[static_cast<size_t>(t)] == std::vector<float>{t + 20.f, 120.f});
}

TEST_CASE("executor: a run past its deadline stops and the session stays usable") {
  Session s = Session::from_model(chain_model(200, "Slow"), test_options());
  RunOptions opts;
  opts.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(20);
  expect_error([&] { s.run({{"x", Tensor(DataType::Float, {1})}}, opts); }, ErrorCode::Cancelled, "deadline");
  std::atomic<bool> cancel{true};
  RunOptions cancelled;
  cancelled.cancel = &cancel;
  expect_error([&] { s.run({{"x", Tensor(DataType::Float, {1})}}, cancelled); }, ErrorCode::Cancelled, "cancelled");
  Session quick = Session::from_model(chain_model(2, "Slow"), test_options());
  CHECK(quick.run({{"x", Tensor::from_vector<float>({4.f}, {1})}})[0].tensor().to_float_vector() == std::vector<float>{4.f});
}

TEST_CASE("registry: picks the newest version not above the model's opset; rejects overlaps") {
  Registry r;
  auto make = [](int since, int last) {
    OpDef d;
    d.op_type = "Op";
    d.since_version = since;
    d.last_version = last;
    d.create = [](const KernelInit&) { return make_kernel([](KernelContext&) {}); };
    return d;
  };
  r.add(make(6, 12));
  r.add(make(13, 13));
  r.add(make(14, kLatestOpset));
  CHECK(r.find("", "Op", 5) == nullptr);
  CHECK(r.find("", "Op", 6)->since_version == 6);
  CHECK(r.find("", "Op", 12)->since_version == 6);
  CHECK(r.find("ai.onnx", "Op", 13)->since_version == 13);
  CHECK(r.find("", "Op", 30)->since_version == 14);
  CHECK_THROWS_AS(r.add(make(10, 20)), Error);
}

TEST_CASE("session: bad options are rejected") {
  SessionOptions o = test_options();
  o.optimization_level = "turbo";
  expect_error([&] { Session::from_model(chain_model(1), o); }, ErrorCode::InvalidArgument, "optimization level 'turbo'");
  o = test_options();
  o.threads = -1;
  expect_error([&] { Session::from_model(chain_model(1), o); }, ErrorCode::InvalidArgument, "threads must be >= 0");
}

TEST_CASE("executor: a run profile times every top-level node in graph order, summed over runs") {
  Session s = Session::from_model(chain_model(3), test_options());
  RunProfile profile;
  RunOptions options;
  options.profile = &profile;
  for (int i = 0; i < 3; ++i) s.run({{"x", Tensor::from_vector<float>({1.f}, {1})}}, options);
  CHECK(profile.runs == 3);
  REQUIRE(profile.nodes.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(profile.nodes[i].op_type == "AddOne");
    CHECK(profile.nodes[i].node.find("n" + std::to_string(i)) != std::string::npos);
    CHECK(profile.nodes[i].total_ms >= 0.0);
  }
  // Without a profile nothing is recorded and the result is the same.
  auto out = s.run({{"x", Tensor::from_vector<float>({1.f}, {1})}});
  CHECK(out[0].tensor().to_float_vector() == std::vector<float>{4.f});
  CHECK(profile.runs == 3);
}

TEST_CASE("executor: kernels created together still report the first failing node, at any thread count") {
  // LpNormalization checks p when its kernel is created; Add's inference rejects [2,3] + [4].
  auto lp = [](const std::string& name, const std::string& in, const std::string& out, int64_t p) {
    Node n;
    n.name = name;
    n.op_type = "LpNormalization";
    n.inputs = {in};
    n.outputs = {out};
    Attribute a;
    a.name = "p";
    a.type = Attribute::Type::Int;
    a.i = p;
    n.attributes.push_back(a);
    return n;
  };
  auto model = [&](const std::vector<int64_t>& ps, bool bad_add) {
    Model m;
    m.opset_imports[""] = 17;
    m.graph.name = "g";
    m.graph.inputs.push_back(float_input("x", {Dim::known(2), Dim::known(3)}));
    std::string prev = "x";
    for (size_t i = 0; i < ps.size(); ++i) {
      const std::string out = "t" + std::to_string(i);
      m.graph.nodes.push_back(lp("n" + std::to_string(i), prev, out, ps[i]));
      prev = out;
    }
    m.graph.initializers["c"] = Tensor::from_vector<float>(bad_add ? std::vector<float>{1, 2, 3, 4} : std::vector<float>{1, 2, 3},
                                                          {bad_add ? 4 : 3});
    Node add;
    add.name = "add";
    add.op_type = "Add";
    add.inputs = {prev, "c"};
    add.outputs = {"y"};
    m.graph.nodes.push_back(add);
    m.graph.outputs.push_back(ValueInfo{"y", {}, {}});
    return m;
  };
  for (int threads : {1, 2, 4}) {
    CAPTURE(threads);
    SessionOptions o;
    o.threads = threads;
    o.optimization_level = "none";
    auto message = [&](const Model& m) {
      try {
        Session::from_model(m, o);
      } catch (const Error& e) {
        return std::string(e.what());
      }
      return std::string("(no error)");
    };
    const std::string many = message(model({2, 2, 7, 2, 9, 9, 7, 9, 2, 2}, false));
    CHECK_MESSAGE(many.find("node 'n2'") != std::string::npos, many);
    CHECK_MESSAGE(many.find("got 7") != std::string::npos, many);
    // An inference error after a creation error: the creation error comes first, as node by node.
    const std::string first = message(model({2, 3, 2}, true));
    CHECK_MESSAGE(first.find("node 'n1'") != std::string::npos, first);
    const std::string infer = message(model({2, 2, 2}, true));
    CHECK_MESSAGE(infer.find("node 'add'") != std::string::npos, infer);
    // And a model that creates runs the same at every thread count.
    Session s = Session::from_model(model({2, 1, 2}, false), o);
    auto out = s.run({{"x", Tensor::from_vector<float>({1, -2, 3, 4, 5, -6}, {2, 3})}});
    CHECK(out[0].tensor().shape() == Shape{2, 3});
  }
}
