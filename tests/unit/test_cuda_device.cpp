// SessionOptions::device: "cpu" runs, an unknown name is rejected, and "cuda" fails with the reason
// (built without CUDA / no driver / no device / graphs not on CUDA yet) instead of running on the
// CPU behind the caller's back. Runs in every build.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "onnxi/error.h"
#include "onnxi/session.h"
#include "op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

TEST_CASE("SessionOptions::device: cpu runs, cuda and unknown devices are clear errors") {
  Tensor x = Tensor::from_vector(std::vector<float>{-1.f, 2.f}, {2});
  Model model = single_node_model({"Relu"}, {Value(x)});
  SessionOptions cpu;
  cpu.device = "cpu";
  Session s = Session::from_model(model, cpu);
  CHECK(values<float>(s.run({{"in0", Value(x)}})[0].tensor()) == std::vector<float>{0.f, 2.f});

  SessionOptions bad;
  bad.device = "tpu";
  expect_error([&] { Session::from_model(model, bad); }, ErrorCode::InvalidArgument, "unknown device 'tpu'");

  SessionOptions cuda;
  cuda.device = "cuda";
  const std::string msg = error_of([&] { Session::from_model(model, cuda); });
  INFO(msg);
#if defined(ONNXI_WITH_CUDA)
  const bool explained = msg.find("no CUDA driver found") != std::string::npos ||
                         msg.find("no CUDA device found") != std::string::npos ||
                         msg.find("does not run graphs on them yet") != std::string::npos;
  CHECK(explained);
#else
  CHECK(msg.find("onnxi was built without CUDA") != std::string::npos);
#endif
}
