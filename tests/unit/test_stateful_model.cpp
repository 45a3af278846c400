// A stateful recurrent model (nested If, Loop and LSTM; tests/models/make_stateful.py) run over many
// steps with its state fed back, against onnxruntime's outputs at every step.
//
// scripts/test writes the model and onnxruntime's outputs to build/models/stateful and sets
// ONNXI_STATEFUL_DIR; without that variable the case says so and checks nothing (a bare build has
// no Python to make the files), but with it every file must be there.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "onnxi/session.h"
#include "runtime/cli/npy.h"

using onnxi::cli::read_npy;

namespace onnxi {
namespace {

std::string step_file(const std::string& dir, const char* name, int step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "_%04d.npy", step);
  return dir + "/" + name + buf;
}

// The largest |a - b| over two float tensors of the same shape.
double max_abs_diff(const Tensor& a, const Tensor& b) {
  REQUIRE(a.dtype() == DataType::Float);
  REQUIRE(b.dtype() == DataType::Float);
  REQUIRE(a.shape() == b.shape());
  double worst = 0;
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  for (int64_t i = 0; i < a.numel(); ++i) {
    const double d = std::fabs(static_cast<double>(pa[i]) - pb[i]);
    if (std::isnan(d)) return INFINITY;
    worst = std::max(worst, d);
  }
  return worst;
}

}  // namespace

TEST_CASE("stateful If/Loop/LSTM model matches onnxruntime at every step, state fed back") {
  const char* dir_env = std::getenv("ONNXI_STATEFUL_DIR");
  if (dir_env == nullptr || *dir_env == '\0') {
    MESSAGE("ONNXI_STATEFUL_DIR is not set (scripts/test sets it): nothing checked");
    return;
  }
  const std::string dir = dir_env;
  REQUIRE(std::filesystem::exists(dir + "/model.onnx"));
  std::ifstream meta(dir + "/meta.txt");
  int steps = 0;
  meta >> steps;
  REQUIRE(steps >= 100);

  SessionOptions options;
  options.threads = 1;
  Session session = Session::from_file(dir + "/model.onnx", options);
  REQUIRE(session.outputs().size() == 4);

  Tensor h = Tensor(DataType::Float, read_npy(step_file(dir, "h", 0)).shape());  // zeros, as the script starts
  Tensor c = Tensor(DataType::Float, h.shape());
  double worst = 0;
  int worst_step = -1;
  for (int step = 0; step < steps; ++step) {
    std::map<std::string, Value> feeds{
        {"x", Value(read_npy(step_file(dir, "x", step)))}, {"h", Value(h)}, {"c", Value(c)}};
    std::vector<Value> out = session.run(feeds);
    const char* names[] = {"h", "c", "y", "steps"};
    for (size_t k = 0; k < 4; ++k) {
      const double d = max_abs_diff(out[k].tensor(), read_npy(step_file(dir, names[k], step)));
      if (d > worst) {
        worst = d;
        worst_step = step;
      }
    }
    h = out[0].tensor();
    c = out[1].tensor();
  }
  MESSAGE("stateful model: " << steps << " steps, largest difference from onnxruntime " << worst << " at step "
                             << worst_step);
  CHECK(worst <= 1e-5);
}

}  // namespace onnxi
