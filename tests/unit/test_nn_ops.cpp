// NN ops through a real Session, on small cases whose expected values are worked out by hand (the
// arithmetic is in the comments) or follow from a defining identity.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "onnxi/float_types.h"
#include "op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

Tensor f32(std::vector<float> v, Shape s) { return Tensor::from_vector(v, std::move(s)); }

Tensor run1(const std::string& op, std::vector<Value> inputs, std::vector<Attribute> attrs = {}, int64_t opset = 21) {
  auto out = run_node(NodeRun{op, std::move(attrs), opset}, inputs);
  REQUIRE(out.size() >= 1);
  return out[0].tensor();
}

}  // namespace

TEST_CASE("Gemm: transposes, alpha/beta and C broadcast") {
  // A^T = [[1,2],[3,4]] (A stored [[1,3],[2,4]]), B = [[1,0],[0,1]] transposed is itself.
  const Tensor a = f32({1, 3, 2, 4}, {2, 2});
  const Tensor b = f32({1, 0, 0, 1}, {2, 2});
  const Tensor c = f32({10, 20}, {2});  // broadcast along rows
  const Tensor y =
      run1("Gemm", {a, b, c},
           {attr_int("transA", 1), attr_int("transB", 1), attr_float("alpha", 2.f), attr_float("beta", 0.5f)});
  // 2 * [[1,2],[3,4]] + 0.5 * [10,20]
  CHECK(values<float>(y) == std::vector<float>{7, 14, 11, 18});
  // Opset 11+: C may be absent.
  CHECK(values<float>(run1("Gemm", {a, b})) == std::vector<float>{1, 3, 2, 4});
  // Scalar C.
  CHECK(values<float>(run1("Gemm", {a, b, f32({1}, {})})) == std::vector<float>{2, 4, 3, 5});
}

TEST_CASE("Gemm rejects a C that does not broadcast and mismatched K, naming the node") {
  const Tensor a = f32({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b = f32({1, 2, 3, 4}, {2, 2});
  CHECK(error_of([&] { run1("Gemm", {a, b}); }).find("node0") != std::string::npos);
  const Tensor b3 = f32({1, 0, 0, 1, 1, 1}, {3, 2});
  CHECK(error_of([&] { run1("Gemm", {a, b3, f32({1, 2, 3}, {3})}); }).find("does not broadcast") != std::string::npos);
}

TEST_CASE("Gemm in float16 computes in float32 and rounds once") {
  Tensor a(DataType::Float16, {1, 2}), b(DataType::Float16, {2, 1});
  a.data<uint16_t>()[0] = f32_to_f16(1.5f);
  a.data<uint16_t>()[1] = f32_to_f16(2.f);
  b.data<uint16_t>()[0] = f32_to_f16(4.f);
  b.data<uint16_t>()[1] = f32_to_f16(0.25f);
  const Tensor y = run1("Gemm", {a, b});
  REQUIRE(y.dtype() == DataType::Float16);
  CHECK(f16_to_f32(y.data<uint16_t>()[0]) == 6.5f);
}

TEST_CASE("MatMul: vectors, broadcast batches and integers") {
  // [2] x [2,3] -> [3]
  const Tensor v = f32({1, 2}, {2});
  const Tensor m = f32({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor y = run1("MatMul", {v, m});
  CHECK(y.shape() == Shape{3});
  CHECK(values<float>(y) == std::vector<float>{9, 12, 15});
  // [2,1,1,2] x [3,2,1] -> [2,3,1,1]: batch dims [2,1] and [3] broadcast to [2,3].
  const Tensor a = f32({1, 2, 3, 4}, {2, 1, 1, 2});
  const Tensor b = f32({1, 1, 2, 0, 0, 3}, {3, 2, 1});
  const Tensor z = run1("MatMul", {a, b});
  CHECK(z.shape() == Shape{2, 3, 1, 1});
  // rows (1,2) and (3,4) against columns (1,1), (2,0), (0,3)
  CHECK(values<float>(z) == std::vector<float>{3, 2, 6, 7, 6, 12});
  const Tensor ia = Tensor::from_vector(std::vector<int64_t>{1, 2, 3, 4}, {2, 2});
  CHECK(values<int64_t>(run1("MatMul", {ia, ia})) == std::vector<int64_t>{7, 10, 15, 22});
  CHECK(error_of([&] { run1("MatMul", {m, m}); }).find("inner dimensions") != std::string::npos);
}

TEST_CASE("Conv: SAME_UPPER padding, strides and groups") {
  // 1-D, kernel [1,1,1], stride 2, SAME_UPPER on 5 inputs: 3 outputs, total pad 2 (1 each side).
  const Tensor x = f32({1, 2, 3, 4, 5}, {1, 1, 5});
  const Tensor w = f32({1, 1, 1}, {1, 1, 3});
  const Tensor y = run1("Conv", {x, w}, {attr_string("auto_pad", "SAME_UPPER"), attr_ints("strides", {2})});
  CHECK(y.shape() == Shape{1, 1, 3});
  CHECK(values<float>(y) == std::vector<float>{3, 9, 9});  // 0+1+2, 2+3+4, 4+5+0
  // Two groups of one channel each; bias per output channel.
  const Tensor x2 = f32({1, 2, 3, 10, 20, 30}, {1, 2, 3});
  const Tensor w2 = f32({1, 1, 2, 0}, {2, 1, 2});
  const Tensor b2 = f32({100, 0}, {2});
  const Tensor y2 = run1("Conv", {x2, w2, b2}, {attr_int("group", 2)});
  CHECK(values<float>(y2) == std::vector<float>{103, 105, 20, 40});
  CHECK(error_of([&] { run1("Conv", {x2, w}); }).find("group=1") != std::string::npos);
}

TEST_CASE("ConvTranspose: stride, output_padding and output_shape") {
  // x [1,2], w [1,1,3] of ones, stride 2: out = 2*(2-1) + 3 = 5: [1,1,1+2,2,2].
  const Tensor x = f32({1, 2}, {1, 1, 2});
  const Tensor w = f32({1, 1, 1}, {1, 1, 3});
  CHECK(values<float>(run1("ConvTranspose", {x, w}, {attr_ints("strides", {2})})) == std::vector<float>{1, 1, 3, 2, 2});
  // output_padding adds a trailing zero; output_shape 6 gives the same.
  CHECK(values<float>(run1("ConvTranspose", {x, w}, {attr_ints("strides", {2}), attr_ints("output_padding", {1})})) ==
        std::vector<float>{1, 1, 3, 2, 2, 0});
  CHECK(values<float>(run1("ConvTranspose", {x, w}, {attr_ints("strides", {2}), attr_ints("output_shape", {6})})) ==
        std::vector<float>{1, 1, 3, 2, 2, 0});
  // pads crop both ends.
  CHECK(values<float>(run1("ConvTranspose", {x, w}, {attr_ints("strides", {2}), attr_ints("pads", {1, 1})})) ==
        std::vector<float>{1, 3, 2});
}

TEST_CASE("MaxPool with Indices, AveragePool with dilations, global pools") {
  const Tensor x = f32({1, 5, 2, 4, 3, 9, 7, 8, 6}, {1, 1, 3, 3});
  auto out = run_node(NodeRun{"MaxPool", {attr_ints("kernel_shape", {2, 2})}, 21, "", 2}, {x});
  CHECK(values<float>(out[0].tensor()) == std::vector<float>{5, 9, 8, 9});
  CHECK(values<int64_t>(out[1].tensor()) == std::vector<int64_t>{1, 5, 7, 5});
  // Dilation 2 on a 3x3 input with a 2x2 kernel: one window of the corners 1, 2, 7, 6.
  const Tensor a = run1("AveragePool", {x}, {attr_ints("kernel_shape", {2, 2}), attr_ints("dilations", {2, 2})});
  CHECK(values<float>(a) == std::vector<float>{4});
  CHECK(values<float>(run1("GlobalAveragePool", {x})) == std::vector<float>{5});
  CHECK(values<float>(run1("GlobalMaxPool", {x})) == std::vector<float>{9});
  CHECK(run1("GlobalMaxPool", {x}).shape() == Shape{1, 1, 1, 1});
  // ceil_mode: 3 inputs, kernel 2, stride 2 -> 2 windows, the last one [2] alone.
  const Tensor c = run1("MaxPool", {f32({1, 3, 2}, {1, 1, 3})},
                        {attr_ints("kernel_shape", {2}), attr_ints("strides", {2}), attr_int("ceil_mode", 1)});
  CHECK(values<float>(c) == std::vector<float>{3, 2});
}

TEST_CASE("BatchNormalization inference and training mode") {
  // x: N=2, C=1, 2 positions -> values 1,3 | 5,7; mean 4, var 5.
  const Tensor x = f32({1, 3, 5, 7}, {2, 1, 2});
  const Tensor scale = f32({2}, {1}), bias = f32({1}, {1});
  const Tensor mean = f32({4}, {1}), var = f32({5}, {1});
  const Tensor y = run1("BatchNormalization", {x, scale, bias, mean, var}, {attr_float("epsilon", 0.f)});
  const float s = 2.f / std::sqrt(5.f);
  check_close(y, f32({1 - 3 * s, 1 - s, 1 + s, 1 + 3 * s}, {2, 1, 2}));
  // Training: batch statistics equal the given ones here, running stats blend with momentum 0.5.
  auto out = run_node(NodeRun{"BatchNormalization",
                              {attr_float("epsilon", 0.f), attr_float("momentum", 0.5f), attr_int("training_mode", 1)},
                              15,
                              "",
                              3},
                      {x, scale, bias, f32({0}, {1}), f32({1}, {1})});
  check_close(out[0].tensor(), y);
  check_close(out[1].tensor(), f32({2}, {1}));  // 0 * 0.5 + 4 * 0.5
  check_close(out[2].tensor(), f32({3}, {1}));  // 1 * 0.5 + 5 * 0.5
}

TEST_CASE("Softmax coerces to 2-D before opset 13 and works along one axis after") {
  const Tensor x = f32({0, 0, 0, 0}, {2, 2});
  // Opset 11, axis 0: the whole tensor is one row of 4.
  check_close(run1("Softmax", {x}, {attr_int("axis", 0)}, 11), f32({.25f, .25f, .25f, .25f}, {2, 2}));
  // Opset 13, axis 0: columns of 2.
  check_close(run1("Softmax", {x}, {attr_int("axis", 0)}, 13), f32({.5f, .5f, .5f, .5f}, {2, 2}));
  const Tensor l = run1("LogSoftmax", {f32({0, std::log(3.f)}, {2})}, {}, 13);
  check_close(l, f32({std::log(.25f), std::log(.75f)}, {2}));
  CHECK(values<float>(run1("Hardmax", {f32({1, 3, 3, 2}, {4})}, {}, 13)) == std::vector<float>{0, 1, 0, 0});
}

TEST_CASE("LayerNormalization emits Mean and InvStdDev in the stash type") {
  // Rows (1, 3) and (2, 6): means 2 and 4, standard deviations 1 and 2, both normalize to (-1, 1).
  const Tensor x = f32({1, 3, 2, 6}, {2, 2});
  auto out = run_node(NodeRun{"LayerNormalization", {attr_float("epsilon", 0.f)}, 17, "", 3},
                      {x, f32({1, 2}, {2}), f32({0, 10}, {2})});
  // (-1, 1) * (1, 2) + (0, 10)
  check_close(out[0].tensor(), f32({-1, 12, -1, 12}, {2, 2}));
  REQUIRE(out[1].tensor().dtype() == DataType::Float);
  CHECK(out[1].tensor().shape() == Shape{2, 1});
  check_close(out[1].tensor(), f32({2, 4}, {2, 1}));
  check_close(out[2].tensor(), f32({1, 0.5f}, {2, 1}));
}

TEST_CASE("GroupNormalization scales per group at opset 18 and per channel at 21") {
  // N=1, C=2, 2 positions, one group: mean 2.5, var 1.25 over {1,2,3,4}.
  const Tensor x = f32({1, 2, 3, 4}, {1, 2, 2});
  const float inv = 1.f / std::sqrt(1.25f);
  const Tensor y18 = run1("GroupNormalization", {x, f32({2}, {1}), f32({1}, {1})},
                          {attr_int("num_groups", 1), attr_float("epsilon", 0.f)}, 18);
  check_close(y18, f32({1 - 3 * inv, 1 - inv, 1 + inv, 1 + 3 * inv}, {1, 2, 2}));
  const Tensor y21 = run1("GroupNormalization", {x, f32({1, 2}, {2}), f32({0, 0}, {2})},
                          {attr_int("num_groups", 1), attr_float("epsilon", 0.f)}, 21);
  check_close(y21, f32({-1.5f * inv, -.5f * inv, 1.f * inv, 3.f * inv}, {1, 2, 2}));
}

TEST_CASE("Einsum: matmul, trace, implicit output and ellipsis") {
  const Tensor a = f32({1, 2, 3, 4}, {2, 2});
  const Tensor b = f32({5, 6, 7, 8}, {2, 2});
  CHECK(values<float>(run1("Einsum", {a, b}, {attr_string("equation", "ij,jk->ik")})) ==
        std::vector<float>{19, 22, 43, 50});
  CHECK(values<float>(run1("Einsum", {a}, {attr_string("equation", "ii")})) == std::vector<float>{5});
  // Implicit "ij,jk" keeps i and k; "ji" transposes.
  CHECK(values<float>(run1("Einsum", {a, b}, {attr_string("equation", "ij,jk")})) ==
        std::vector<float>{19, 22, 43, 50});
  CHECK(values<float>(run1("Einsum", {a}, {attr_string("equation", "ij->ji")})) == std::vector<float>{1, 3, 2, 4});
  const Tensor batch = f32({1, 2, 3, 4, 1, 0, 0, 1}, {2, 2, 2});
  const Tensor e = run1("Einsum", {batch, a}, {attr_string("equation", "...ij,jk->...ik")});
  CHECK(e.shape() == Shape{2, 2, 2});
  CHECK(values<float>(e) == std::vector<float>{7, 10, 15, 22, 1, 2, 3, 4});
  const Tensor ia = Tensor::from_vector(std::vector<int32_t>{1, 2, 3}, {3});
  CHECK(values<int32_t>(run1("Einsum", {ia, ia}, {attr_string("equation", "i,i->")})) == std::vector<int32_t>{14});
}

TEST_CASE("Attention: causal mask, GQA head sharing and the fully-masked zero row") {
  // One batch, 2 query heads sharing 1 kv head, 2 positions, head size 1; scale 1.
  const Tensor q = f32({0, 0, 0, 0}, {1, 2, 2, 1});
  const Tensor k = f32({1, 2}, {1, 1, 2, 1});
  const Tensor v = f32({10, 20}, {1, 1, 2, 1});
  // Zero queries give uniform weights over the allowed keys: query 0 sees key 0, query 1 both.
  const Tensor y = run1("Attention", {q, k, v}, {attr_int("is_causal", 1), attr_float("scale", 1.f)}, 23);
  CHECK(y.shape() == Shape{1, 2, 2, 1});
  check_close(y, f32({10, 15, 10, 15}, {1, 2, 2, 1}));
  // A bool mask row with no allowed key yields zeros, not NaN.
  Tensor mask(DataType::Bool, {2, 2});
  mask.data<bool>()[2] = mask.data<bool>()[3] = true;
  const Tensor ym = run1("Attention", {q, k, v, mask}, {}, 23);
  check_close(ym, f32({0, 15, 0, 15}, {1, 2, 2, 1}));
}

TEST_CASE("Dropout in inference is the identity with an all-true mask") {
  const Tensor x = f32({1, -2, 3}, {3});
  auto out = run_node(NodeRun{"Dropout", {}, 13, "", 2}, {x});
  CHECK(values<float>(out[0].tensor()) == std::vector<float>{1, -2, 3});
  CHECK(values<bool>(out[1].tensor()) == std::vector<bool>{true, true, true});
}

TEST_CASE("Det, LRN and LpNormalization") {
  check_close(run1("Det", {f32({1, 2, 3, 4, 0, 1, 1, 0}, {2, 2, 2})}), f32({-2, -1}, {2}));
  // LRN size 1: x / (1 + alpha * x^2)^beta.
  check_close(
      run1("LRN", {f32({2}, {1, 1, 1, 1})}, {attr_int("size", 1), attr_float("alpha", 1.f), attr_float("beta", 1.f)}),
      f32({0.4f}, {1, 1, 1, 1}));
  check_close(run1("LpNormalization", {f32({3, 4, 0, 0}, {2, 2})}), f32({.6f, .8f, 0, 0}, {2, 2}));
}

TEST_CASE("Shape inference keeps symbolic batch dims through Conv, MatMul, pools and Attention") {
  auto inferred = [](const NodeRun& spec, std::vector<Value> inputs) {
    Model m = single_node_model(spec, inputs);
    m.graph.inputs[0].type.dims[0] = Dim::symbol("N");
    Session s = Session::from_model(std::move(m));
    return s.outputs()[0].type;
  };
  const TypeInfo conv = inferred(NodeRun{"Conv", {attr_ints("pads", {1, 1, 1, 1}), attr_ints("strides", {2, 2})}},
                                 {Tensor(DataType::Float, {1, 3, 7, 7}), Tensor(DataType::Float, {8, 3, 3, 3})});
  CHECK(conv.str() == "float32[N,8,4,4]");
  const TypeInfo mm =
      inferred(NodeRun{"MatMul"}, {Tensor(DataType::Float, {1, 5, 4}), Tensor(DataType::Float, {4, 2})});
  CHECK(mm.str() == "float32[N,5,2]");
  const TypeInfo pool = inferred(
      NodeRun{"MaxPool", {attr_ints("kernel_shape", {3}), attr_int("ceil_mode", 1), attr_ints("strides", {2})}},
      {Tensor(DataType::Float, {1, 2, 8})});
  CHECK(pool.str() == "float32[N,2,4]");
  const TypeInfo attn = inferred(NodeRun{"Attention", {}, 23},
                                 {Tensor(DataType::Float, {1, 2, 3, 4}), Tensor(DataType::Float, {1, 2, 5, 4}),
                                  Tensor(DataType::Float, {1, 2, 5, 6})});
  CHECK(attn.str() == "float32[N,2,3,6]");
}

TEST_CASE("Old opsets: Gemm-6 needs C, BatchNormalization-7 spatial=0 takes per-element statistics") {
  const Tensor a = f32({1, 2}, {1, 2}), b = f32({3, 4}, {2, 1});
  CHECK(error_of([&] { run1("Gemm", {a, b}, {}, 6); }).find("C is required") != std::string::npos);
  CHECK(values<float>(run1("Gemm", {a, b, f32({1}, {1})}, {attr_int("broadcast", 1)}, 6)) == std::vector<float>{12});
  // x [1, 2, 2]: each of the 4 (channel, position) pairs has its own mean; var 1, eps 0.
  const Tensor x = f32({1, 2, 3, 4}, {1, 2, 2});
  const Tensor y = run1(
      "BatchNormalization",
      {x, f32({1, 1, 1, 1}, {2, 2}), f32({0, 0, 0, 0}, {2, 2}), f32({1, 1, 1, 1}, {2, 2}), f32({1, 1, 1, 1}, {2, 2})},
      {attr_int("spatial", 0), attr_float("epsilon", 0.f)}, 7);
  check_close(y, f32({0, 1, 2, 3}, {1, 2, 2}));
}

TEST_CASE("Bad shapes and attributes fail with errors that name the node") {
  const Tensor x = f32({1, 2, 3}, {1, 1, 3});
  auto names_node = [](const std::function<void()>& fn) { return error_of(fn).find("node0") != std::string::npos; };
  CHECK(names_node([&] { run1("Conv", {x, f32({1, 1, 1, 1, 1}, {1, 1, 5})}); }));  // window does not fit
  CHECK(names_node([&] { run1("MaxPool", {x}, {attr_ints("kernel_shape", {2, 2})}); }));
  CHECK(names_node([&] { run1("AveragePool", {x}, {attr_ints("kernel_shape", {2}), attr_ints("strides", {0})}); }));
  CHECK(names_node([&] { run1("Einsum", {x}, {attr_string("equation", "ij->i")}); }));
  CHECK(names_node([&] { run1("Einsum", {x}, {attr_string("equation", "i!j->i")}); }));
  CHECK(names_node([&] {
    run1("MaxUnpool", {x, Tensor::from_vector(std::vector<int64_t>{0, 1, 99}, {1, 1, 3})},
         {attr_ints("kernel_shape", {2}), attr_ints("strides", {2})});
  }));
  CHECK(names_node([&] {
    run1("Attention", {f32({0, 0, 0, 0}, {1, 1, 2, 2}), f32({0, 0, 0}, {1, 1, 1, 3}), f32({0, 0}, {1, 1, 1, 2})}, {},
         23);
  }));
  CHECK(names_node([&] { run1("LayerNormalization", {x, f32({1, 1}, {2})}, {}, 17); }));
  CHECK(names_node([&] { run1("Softmax", {x}, {attr_int("axis", 3)}, 13); }));
}
