// 2-D convolution over the blocked-channel layout (NCHWc): a [N, C, H, W] tensor held as
// [N, ceil(C/16), H, W, 16], channels past C padded (zeros when reordered in; any finite value
// later, since packed weights of padded channels are zero). One output pixel's 16 channels are then
// one AVX-512 vector, so the direct kernel keeps several pixels x 1-4 output-channel blocks in
// registers, broadcasting one input value against a vector of 16 weights per FMA, with no im2col.
//
// Same-shape elementwise ops (Relu, Add, Clip) run unchanged on blocked tensors; the graph pass
// runtime/passes/layout_nchwc.cpp converts regions of a model and reorders only at their borders.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "kernels/cpu/large_buffer.h"

namespace onnxi::kernels {

constexpr int64_t kNchwcBlock = 16;

inline int64_t nchwc_blocks(int64_t channels) { return (channels + kNchwcBlock - 1) / kNchwcBlock; }

// True when the fast NCHWc kernels run here (AVX-512, or AVX2: dense tiles, depthwise rows,
// Winograd, the fused 1x1 + depthwise); without them the ops stay correct (the scalar tiles) but
// slower than the NCHW path, so the layout pass builds blocked regions only when this holds.
bool nchwc_fast() noexcept;

struct NchwcConvParams {
  int64_t batch = 1;
  int64_t in_channels = 0;   // real C (all groups)
  int64_t out_channels = 0;  // real M (all groups)
  int64_t groups = 1;        // 1; C (depthwise, M == C); or with C/groups, M/groups multiples of 16
  bool nchw_input = false;   // x is plain [N, C, H, W] (a first conv on a few channels), groups 1
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  bool nchw_output = false;  // y is plain [N, M, OH, OW] (a conv that ends a region)
  float act_lo = -__builtin_inff(), act_hi = __builtin_inff();  // y = clamp(conv + bias + sum, lo, hi)
  bool allow_winograd = false;  // pack_nchwc_weights may pick Winograd (conv_winograd.h) for 3x3/s1

  bool depthwise() const { return groups > 1 && groups == in_channels && groups == out_channels; }
};

// Whether the blocked kernels handle these channel/group counts (else the caller keeps NCHW).
bool nchwc_conv_supported(int64_t in_channels, int64_t out_channels, int64_t groups, bool nchw_input);

// Weights w[M, C/groups, kh, kw] (and bias[M], may be null) in the kernel's order, made once at
// kernel creation: per output block [ic block][kh][kw][ic in block][16 oc] (depthwise:
// [channel block][kh][kw][16]); bias padded to whole blocks.
struct WinogradWeights;
struct NchwcPackedWeights {
  std::vector<float, LargeBufferAllocator<float>> w;
  std::vector<float> bias;
  // Set when p.allow_winograd and winograd_choice(p) picked it: then w is empty and nchwc_conv2d
  // (and nchwc_conv2d_with) run the Winograd kernels.
  std::shared_ptr<const WinogradWeights> winograd;
};
NchwcPackedWeights pack_nchwc_weights(const NchwcConvParams& p, const float* w, const float* bias);

// y[N, ceil(M/16), OH, OW, 16] = clamp(conv(x, w) + bias + sum, lo, hi); sum (may be null) has the
// blocked output shape. x is blocked [N, ceil(C/16), H, W, 16] unless p.nchw_input; y is NCHW
// [N, M, OH, OW] when p.nchw_output (each task transposes its finished tiles while in cache).
void nchwc_conv2d(const NchwcConvParams& p, const NchwcPackedWeights& w, const float* x, const float* sum, float* y);

// The oracle: the same result from the unpacked ONNX weights, one output value at a time.
void nchwc_conv2d_reference(const NchwcConvParams& p, const float* x, const float* w, const float* bias,
                            const float* sum, float* y);

// [N, C, spatial] <-> [N, ceil(C/16), spatial, 16] (padding channels written as zeros).
void nchwc_reorder_input(const float* x, int64_t batch, int64_t channels, int64_t spatial, float* y);
void nchwc_reorder_output(const float* x, int64_t batch, int64_t channels, int64_t spatial, float* y);

// ---- ISA entry points (conv_nchwc.cpp picks one; tests call them directly) -------------------

// One tile: `pixels` output pixels of one output row x `blocks` output-channel blocks, over the ic
// blocks of one chunk. The x pointer is at the tile's first pixel, tap (0, 0), first ic block of the
// chunk, in an input whose padding is already materialized (no bounds checks inside).
struct NchwcTile {
  const float* x = nullptr;
  const float* w = nullptr;     // first oc block of the tile, first ic block of the chunk
  const float* bias = nullptr;  // blocks * 16 values
  const float* sum = nullptr;   // like y, or null
  float* y = nullptr;
  const int64_t* tap_offsets = nullptr;  // offset in x of each (kh, kw) tap
  int64_t taps = 0;
  int64_t ic_blocks = 0;      // ic blocks in this chunk
  int64_t ic_per_block = 16;  // 16, or C for an NCHW input
  int64_t tail_ics = 16;      // real channels of the chunk's last ic block (the rest is padding)
  int64_t x_block_stride = 0; // floats between ic blocks of x
  int64_t x_ic_stride = 1;    // floats between channels of one block of x
  int64_t x_pixel_stride = 16;// floats between adjacent output pixels' inputs (stride_w * 16 or stride_w)
  int64_t w_block_stride = 0; // floats between oc blocks of the packed weights
  int64_t y_block_stride = 0; // floats between oc blocks of y (OH * OW * 16)
  int blocks = 1, pixels = 1;
  // AVX2 tiles only: when row_pixels > 0 the tile's pixels run on over output rows of row_pixels
  // pixels (x at the pixel in column col0 of the first; x_row_stride floats between the inputs of
  // one output row and the next), y and sum stay contiguous (whole rows of the output plane).
  int64_t row_pixels = 0, col0 = 0, x_row_stride = 0;
  bool first = true, last = true;  // first chunk starts from bias; last adds sum and clamps
  bool half_last = false;          // the last block has at most 8 real output channels
  float lo = -__builtin_inff(), hi = __builtin_inff();
  // Weights a later tile reads first, fetched into L2 ahead of it: prefetch_lines lines of each
  // block's stream (prefetch_block_stride floats apart) per ic block, or none when null. Tiles
  // that ignore it (scalar) are still correct.
  const float* prefetch = nullptr;
  int64_t prefetch_block_stride = 0;
  int64_t prefetch_lines = 0;
};
using NchwcTileFn = void (*)(const NchwcTile& t);
void nchwc_conv_tile__scalar(const NchwcTile& t);
void nchwc_conv_tile__avx2(const NchwcTile& t);
void nchwc_conv_tile__avx512(const NchwcTile& t);

// One depthwise output row of one channel block; x is the block's unpadded [H, W, 16] plane from
// input row row0 on (the rows the output row reads must be there).
struct NchwcDepthwiseRow {
  const float* x = nullptr;
  int64_t row0 = 0;
  const float* w = nullptr;     // [kh][kw][16]
  const float* bias = nullptr;  // 16
  const float* sum = nullptr;   // the row of sum, or null
  float* y = nullptr;           // the output row [OW][16]
  int64_t oh = 0;
};
using NchwcDepthwiseFn = void (*)(const NchwcConvParams& p, const NchwcDepthwiseRow& r);
void nchwc_depthwise_row__scalar(const NchwcConvParams& p, const NchwcDepthwiseRow& r);
void nchwc_depthwise_row__avx512(const NchwcConvParams& p, const NchwcDepthwiseRow& r);
void nchwc_depthwise_row__avx2(const NchwcConvParams& p, const NchwcDepthwiseRow& r);

// One block plane of a reorder: x/y at channel c0 of an NCHW image and at its block's [spatial, 16]
// plane; `real` = channels of the block that exist (1..16).
using NchwcReorderFn = void (*)(const float* from, int64_t real, int64_t spatial, float* to);
void nchwc_reorder_input_plane__scalar(const float* x, int64_t real, int64_t spatial, float* y);
void nchwc_reorder_input_plane__avx2(const float* x, int64_t real, int64_t spatial, float* y);
void nchwc_reorder_input_plane__avx512(const float* x, int64_t real, int64_t spatial, float* y);
// `count` pixels of one block ([count, 16] at x) to `real` NCHW channel rows at y, y_stride apart
// (the plane size of y).
using NchwcReorderOutFn = void (*)(const float* x, int64_t real, int64_t count, int64_t y_stride, float* y);
void nchwc_reorder_output_rows__scalar(const float* x, int64_t real, int64_t count, int64_t y_stride, float* y);
void nchwc_reorder_output_rows__avx2(const float* x, int64_t real, int64_t count, int64_t y_stride, float* y);
void nchwc_reorder_output_rows__avx512(const float* x, int64_t real, int64_t count, int64_t y_stride, float* y);

// Tile shapes the fast kernel has: at most this many pixels for 1, 2, 4 blocks.
constexpr int kNchwcMaxPixels[5] = {0, 14, 14, 0, 7};

// Pixels of the next AVX2 tile out of `left` in a row. Its tiles run as sub-tiles of at most 6
// pixels, split evenly (conv_nchwc__avx2.cpp): a row is cut into whole sub-tiles of 5-6 pixels
// where it can (28 as 17 + 11, i.e. 6 + 6 + 5 and 6 + 5, not 14 + 14 as 5 + 5 + 4 twice), at most 4
// per tile (24 pixels: the tile's inputs and its weight chunk stay in L1). The tile alone (a
// scratch loop, warm caches, Zen 3 at 1 thread): 1024 -> 256 at 14x14, 512 -> 2048 at 7x7, 3x3/2
// at 28 wide from 55-70 to 80-90 GFLOP/s; whole single-conv models 5-14% faster (min of runs).
int64_t nchwc_avx2_tile_pixels(int64_t left);
// Fused 1x1 convs over at most this many pixels (7x7) take runs of 4 output blocks on tiles other
// than the AVX-512 ones.
constexpr int64_t kSmallFlatPixels = 64;

// A 1x1 stride-1 conv (pw: C -> E, group 1, bias and activation, no Sum) and the depthwise conv
// of its output (dw: E channels, any window, bias and activation, no Sum) in one pass: each task
// expands a few rows of a run of channel blocks into a small buffer and runs the depthwise rows on
// it, so the E-channel intermediate (MobileNetV2: 96 x 112 x 112, 4.8 MB) never goes to memory.
// pw.in_h/in_w = dw.in_h/in_w; y has dw's blocked output shape.
void nchwc_pointwise_depthwise(const NchwcConvParams& pw, const NchwcPackedWeights& pw_w, const NchwcConvParams& dw,
                               const NchwcPackedWeights& dw_w, const float* x, float* y);
void nchwc_pointwise_depthwise_with(const NchwcConvParams& pw, const NchwcPackedWeights& pw_w,
                                    const NchwcConvParams& dw, const NchwcPackedWeights& dw_w, const float* x, float* y,
                                    NchwcTileFn tile, NchwcDepthwiseFn depthwise);

// Runs nchwc_conv2d with the given tile and depthwise functions (tests compare ISA variants).
void nchwc_conv2d_with(const NchwcConvParams& p, const NchwcPackedWeights& w, const float* x, const float* sum,
                       float* y, NchwcTileFn tile, NchwcDepthwiseFn depthwise);

}  // namespace onnxi::kernels
