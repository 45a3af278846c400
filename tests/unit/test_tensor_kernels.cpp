// kernels/cpu copy, transpose and pad loops against naive index arithmetic, over sizes below, at and
// above the transpose tile, negative and zero strides, and strings.
#include <doctest/doctest.h>

#include <numeric>
#include <string>
#include <vector>

#include "kernels/cpu/copy.h"
#include "kernels/cpu/pad.h"
#include "kernels/cpu/transpose.h"

using namespace onnxi::kernels;

namespace {

// Naive transpose of a row-major [rows, cols] matrix.
template <class T>
std::vector<T> naive_t(const std::vector<T>& in, int64_t rows, int64_t cols) {
  std::vector<T> out(in.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out[static_cast<size_t>(c * rows + r)] = in[static_cast<size_t>(r * cols + c)];
  }
  return out;
}

}  // namespace

TEST_CASE("kernels: transpose matches the naive loop across tile boundaries") {
  for (int64_t rows : {1, 2, 15, 16, 17, 33}) {
    for (int64_t cols : {1, 3, 16, 31, 40}) {
      std::vector<int32_t> in(static_cast<size_t>(rows * cols));
      std::iota(in.begin(), in.end(), 0);
      std::vector<int32_t> out(in.size(), -1);
      transpose(in.data(), out.data(), sizeof(int32_t), {rows, cols}, {1, 0});
      CHECK_MESSAGE(out == naive_t(in, rows, cols), rows, "x", cols);
      std::vector<std::string> sin(in.size()), sout(in.size());
      for (size_t i = 0; i < in.size(); ++i) sin[i] = std::to_string(in[i]);
      transpose(sin.data(), sout.data(), {rows, cols}, {1, 0});
      CHECK(sout == naive_t(sin, rows, cols));
    }
  }
}

TEST_CASE("kernels: 4-D permutations and 16-byte elements") {
  const std::vector<int64_t> shape{3, 5, 17, 2};
  std::vector<int64_t> in(3 * 5 * 17 * 2);
  std::iota(in.begin(), in.end(), 0);
  const std::vector<int64_t> perm{2, 0, 3, 1};
  std::vector<int64_t> out(in.size());
  transpose(in.data(), out.data(), sizeof(int64_t), shape, perm);
  // out[a, b, c, d] = in[b, d, a, c] over out shape [17, 3, 2, 5]
  size_t at = 0;
  bool ok = true;
  for (int64_t a = 0; a < 17; ++a)
    for (int64_t b = 0; b < 3; ++b)
      for (int64_t c = 0; c < 2; ++c)
        for (int64_t d = 0; d < 5; ++d) ok = ok && out[at++] == ((b * 5 + d) * 17 + a) * 2 + c;
  CHECK(ok);
  // Pairs of int64 moved as one 16-byte element.
  std::vector<int64_t> pairs_out(in.size());
  transpose(in.data(), pairs_out.data(), 16, {3, 85}, {1, 0});
  for (int64_t r = 0; r < 3; ++r) {
    for (int64_t c = 0; c < 85; ++c) {
      CHECK(pairs_out[static_cast<size_t>((c * 3 + r) * 2)] == in[static_cast<size_t>((r * 85 + c) * 2)]);
    }
  }
}

TEST_CASE("kernels: copy_strided with reversed and broadcast strides") {
  std::vector<float> src{0, 1, 2, 3, 4, 5};
  std::vector<float> out(6);
  // Reverse both axes of a [2, 3] view: start at the last element.
  copy_strided(src.data() + 5, {-3, -1}, out.data(), {3, 1}, {2, 3}, sizeof(float));
  CHECK(out == std::vector<float>{5, 4, 3, 2, 1, 0});
  // Broadcast a row along a new leading axis.
  std::vector<float> b(6);
  copy_strided(src.data(), {0, 1}, b.data(), {3, 1}, {2, 3}, sizeof(float));
  CHECK(b == std::vector<float>{0, 1, 2, 0, 1, 2});
}

TEST_CASE("kernels: copy_axis_mapped fills and copies runs") {
  std::vector<int16_t> src{1, 2, 3, 4, 5, 6};  // [2, 3]
  const std::vector<std::vector<int64_t>> maps{{-1, 1, 0}, {2, -1, 0, 1, 2}};
  std::vector<int16_t> out(15, 0);
  const int16_t fill = 9;
  copy_axis_mapped(src.data(), {2, 3}, maps, out.data(), sizeof(int16_t), &fill);
  CHECK(out == std::vector<int16_t>{9, 9, 9, 9, 9, 6, 9, 4, 5, 6, 3, 9, 1, 2, 3});
}
