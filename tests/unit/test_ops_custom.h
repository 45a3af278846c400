// Custom ops in the "test.onnxi" domain, registered through the public API the way a user would.
// The core's tests use them so they do not depend on any built-in op.
#pragma once

#include <chrono>
#include <memory>
#include <thread>

#include "onnxi/session.h"

namespace onnxi::test {

inline const char* kTestDomain = "test.onnxi";

inline std::shared_ptr<Registry> test_ops() {
  auto r = std::make_shared<Registry>();
  // AddOne(x: float) = x + attribute `amount` (default 1).
  OpDef add_one;
  add_one.domain = kTestDomain;
  add_one.op_type = "AddOne";
  add_one.infer = [](InferContext& ctx) {
    if (ctx.has_input(0)) ctx.set_output(0, ctx.input(0));
  };
  add_one.create = [](const KernelInit& init) {
    float amount = init.node.attr_float("amount", 1.0f);
    return make_kernel([amount](KernelContext& ctx) {
      const Tensor& x = ctx.input(0);
      if (x.dtype() != DataType::Float) ctx.fail("AddOne takes float32, got " + x.describe());
      Tensor& y = ctx.allocate_output(0, DataType::Float, x.shape());
      for (int64_t i = 0; i < x.numel(); ++i) y.data<float>()[i] = x.data<float>()[i] + amount;
    });
  };
  add_one.types = "float";
  r->add(add_one);
  // Slow(x) = x after sleeping `ms` milliseconds: a node that takes time, for deadline tests.
  OpDef slow;
  slow.domain = kTestDomain;
  slow.op_type = "Slow";
  slow.create = [](const KernelInit& init) {
    auto ms = init.node.attr_int("ms", 5);
    return make_kernel([ms](KernelContext& ctx) {
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      ctx.set_output(0, ctx.input_value(0));
    });
  };
  r->add(slow);
  // Since10 exists only from opset 10 of the test domain.
  OpDef since10;
  since10.domain = kTestDomain;
  since10.op_type = "Since10";
  since10.since_version = 10;
  since10.create = [](const KernelInit&) {
    return make_kernel([](KernelContext& ctx) { ctx.set_output(0, ctx.input_value(0)); });
  };
  r->add(since10);
  return r;
}

inline SessionOptions test_options() {
  SessionOptions o;
  o.custom_ops = test_ops();
  return o;
}

}  // namespace onnxi::test
