// Winograd convolution for 3x3, stride 1, dilation 1, group 1 convs over the NCHWc layout
// (conv_nchwc.h): F(4x4, 3x3) (6x6 input tiles, 36 products per 16 outputs instead of 144) and
// F(2x2, 3x3) (4x4 tiles, 16 per 4):
//   y = A^T [ (G g G^T) .* (B^T d B) ] A   per tile and per (output, input) channel pair, summed over
//   input channels in the transformed domain, so the work is alpha^2 independent products
//   V[tiles, C_in] x U[C_in, C_out].
// F(2,3) uses Lavin & Gray's matrices (points 0, +-1); F(4,3) the points 0, 1, -1, 2, -1/2 rather
// than their 0, +-1, +-2, which cuts its error about 3x (matrices and numbers in conv_winograd.cpp).
//
// Data flow, per group of tiles of one image (sized so its transformed inputs and products stay in
// L2): the input transform writes V[xi][ic block][tile][16]; the products run register-tiled
// micro-kernels (all <= 28 tiles of the group against one output block, or <= 7..14 tiles against
// <= 4 blocks), U[xi][oc block][ic][16] packed once at session creation and prefetched a panel
// ahead (it streams from memory in a whole model); the output transform adds bias and the residual
// sum, clamps, and writes the 4x4 (2x2) outputs straight into y's blocks. Threads split tile
// groups and, when there are too few of those, output-block ranges.
//
// Accuracy (measured by tests/unit/test_conv_winograd.cpp's "accuracy" case: weights
// ~N(0, 1/fan_in), inputs ~N(0, 1), 64 and 128 channels at 28x28, 256 at 14x14, 512 at 7x7,
// against a double reference; ulp = FLT_EPSILON * max |y|):
//   F(4,3): max |err| / max |y| 2.1e-6 .. 6.5e-6 (18 .. 54 ulp; Lavin's points: 56 .. 111 ulp);
//   F(2,3): 3.6e-7 .. 9.4e-7 (3 .. 8 ulp);
//   the direct kernel on the same data: 7.1e-7 .. 2.9e-6 (6 .. 24 ulp).
// kWinogradF43RelErr / kWinogradF23RelErr are those maxima with some margin; the tests' tolerances
// derive from them. ResNet-50's logits: max |onnxi - onnxruntime| 1.43e-6 either way.
//
// ONNXI_WINOGRAD (read once): 0 turns it off (every conv gets the direct kernel's summation
// order); f43 / f23 force that tile for every eligible conv (to measure the rule).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/cpu/conv_nchwc.h"

namespace onnxi::kernels {

enum class WinogradTile { None = 0, F23 = 2, F43 = 4 };  // value: output tile side

// Measured bounds (see above) that the tests derive their tolerances from.
constexpr double kWinogradF43RelErr = 8e-6;
constexpr double kWinogradF23RelErr = 1.2e-6;

// ONNXI_WINOGRAD's values: unset or "1" Auto (the rule in winograd_choice), "0" Off, "f43" / "f23"
// that tile for every eligible conv; anything else reads as Auto (with a warning on stderr).
enum class WinogradSwitch { Off, Auto, F43, F23 };
WinogradSwitch parse_winograd_switch(const char* value) noexcept;

// False when ONNXI_WINOGRAD=0 (read once).
bool winograd_enabled() noexcept;

// Which algorithm a conv with these params gets: None (the direct kernel) unless 3x3, stride 1,
// dilation 1, group 1, a blocked input, enough channels, AVX2 or AVX-512, and winograd_enabled(). The
// rule's numbers are in conv_winograd.cpp. in_h / in_w may be 0 (unknown at creation): the choice is
// then made by channels alone.
WinogradTile winograd_choice(const NchwcConvParams& p);

// Uninitialized floats from allocate_large (large_buffer.h): 64-byte aligned, from 2 MiB on a
// mapping of their own, on huge pages only as ONNXI_HUGE_PAGES allows. U was always advised onto
// huge pages before; on a Zen 5 VM (THP defrag `madvise`) the faults then compacted memory and a
// ResNet-50 session took 146-314 ms to create against 158-164 without, with no change in run time.
class WinogradBuffer {
 public:
  WinogradBuffer() = default;
  explicit WinogradBuffer(size_t floats);
  float* data() noexcept { return data_.get(); }
  const float* data() const noexcept { return data_.get(); }
  size_t size() const noexcept { return size_; }

 private:
  struct Free {
    size_t bytes;  // no initializer: a nested class with one is not default-constructible yet here
    void operator()(float* p) const noexcept;
  };
  std::unique_ptr<float[], Free> data_;
  size_t size_ = 0;
};

// The transformed weights U[xi][oc block][ic (padded to blocks)][16 oc] and the bias padded to
// whole blocks; padding channels' weights are zero.
struct WinogradWeights {
  WinogradTile tile = WinogradTile::None;
  int64_t in_channels = 0, out_channels = 0;
  WinogradBuffer u;
  std::vector<float> bias;
};

// ---- ISA entry points (the driver picks one set; tests compare them) -----------------------------

// Transforms `tiles` consecutive tiles (row-major over the image's tiles_w tiles per row) of one
// image x [in_blocks][in_h][in_w][16] into v[xi][ic block][tile][16]; pixels outside x are zero.
struct WinogradInputJob {
  const float* x = nullptr;
  float* v = nullptr;
  int64_t in_h = 0, in_w = 0, in_blocks = 0, pad_top = 0, pad_left = 0;
  int64_t tiles_w = 0, tile0 = 0, tiles = 0;
  int64_t cb_begin = 0, cb_end = -1;  // the input blocks to transform (cb_end < 0: to in_blocks)
  int m = 4;  // output tile side: 4 (F(4,3)) or 2 (F(2,3))
};

// m[xi][b][tile][16] = sum over ic of v[xi][ic / 16][tile][ic % 16] * u[xi][b][ic][16] for
// b < blocks (u at the first of those output blocks), all xi.
struct WinogradGemmJob {
  const float* v = nullptr;
  const float* u = nullptr;
  float* m = nullptr;
  int64_t xis = 36, in_blocks = 0, tiles = 0;
  int64_t u_xi_stride = 0;  // floats between xi of u (out_blocks * in_blocks * 256)
  int blocks = 1;           // 1..4
};

// y = clamp(A^T m A + bias + sum, lo, hi) for `tiles` tiles and `blocks` output blocks; y and sum
// are at the first block of one image ([blocks][out_h][out_w][16]); outputs past out_h / out_w are
// not written.
struct WinogradOutputJob {
  const float* m = nullptr;    // [xi][blocks][tiles][16]
  const float* bias = nullptr; // blocks * 16
  const float* sum = nullptr;  // or null
  float* y = nullptr;
  int64_t out_h = 0, out_w = 0, tiles_w = 0, tile0 = 0, tiles = 0;
  int blocks = 1, m_side = 4;
  float lo = -__builtin_inff(), hi = __builtin_inff();
};

// block[xi][ic][oc] = (G g G^T)[xi] for 16 output x 16 input channels of w [M, C, 3, 3] (w at the
// first of them); channels past lanes / ics are zero. Session creation time.
struct WinogradWeightJob {
  const float* w = nullptr;
  const float* g = nullptr;  // G, [a][3]
  float* block = nullptr;    // a * a * 256 floats
  int64_t oc_stride = 0;     // floats between output channels of w (C * 9)
  int a = 6, lanes = 16, ics = 16;
};

struct WinogradKernels {
  void (*input)(const WinogradInputJob&) = nullptr;
  void (*gemm)(const WinogradGemmJob&) = nullptr;
  void (*output)(const WinogradOutputJob&) = nullptr;
  void (*weights)(const WinogradWeightJob&) = nullptr;
};
WinogradKernels winograd_kernels__scalar();
WinogradKernels winograd_kernels__avx512();
WinogradKernels winograd_kernels__avx2();

// Packs with this CPU's kernels (or the given ones).
WinogradWeights pack_winograd_weights(const NchwcConvParams& p, WinogradTile tile, const float* w, const float* bias);
WinogradWeights pack_winograd_weights_with(const NchwcConvParams& p, WinogradTile tile, const float* w,
                                           const float* bias, const WinogradKernels& k);

// y[N, ceil(M/16), OH, OW, 16] = clamp(conv(x, w) + bias + sum, lo, hi), as nchwc_conv2d; p must be
// a 3x3 stride-1 dilation-1 group-1 blocked conv of w's channels (else an onnxi::Error).
void winograd_conv2d(const NchwcConvParams& p, const WinogradWeights& w, const float* x, const float* sum, float* y);
void winograd_conv2d_with(const NchwcConvParams& p, const WinogradWeights& w, const float* x, const float* sum,
                          float* y, const WinogradKernels& k);

}  // namespace onnxi::kernels
