// NCHWc convolution: weight packing, reorders, the driver that cuts the work into tiles and tasks,
// and the portable tiles (the oracle's twins; tests hold the AVX-512 ones to them).
#include "kernels/cpu/conv_nchwc.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "kernels/cpu/conv_winograd.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

constexpr int64_t B = kNchwcBlock;
// Weights of one task's ic chunk stay in L2 while the task walks its rows.
constexpr int64_t kWeightChunkBytes = 128 * 1024;
// A task's share of the input, read again by the next task (another run of output blocks).
constexpr int64_t kBandInputBytes = 384 * 1024;

float clamp_keep_nan(float v, float lo, float hi) {
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return v;
}

// An NCHW input of at most 16 channels (a first conv on an image) is one block of C channels; a
// wider one is cut into blocks of 16 channel planes, packed like a blocked input's weights.
bool nchw_one_block(const NchwcConvParams& p) { return p.nchw_input && p.in_channels <= B; }

int64_t ic_blocks_per_group(const NchwcConvParams& p) {
  if (nchw_one_block(p)) return 1;
  return nchwc_blocks(p.in_channels / p.groups);
}

int64_t ic_per_block(const NchwcConvParams& p) { return nchw_one_block(p) ? p.in_channels : B; }

// Ids of dense_conv calls, so a task's cached padded band is never taken for another call's.
std::atomic<uint64_t> g_conv_calls{0};

NchwcTileFn pick_tile() {
  switch (active_isa()) {
    case Isa::Avx512: return nchwc_conv_tile__avx512;
    case Isa::Avx2: return nchwc_conv_tile__avx2;
    case Isa::Scalar: break;
  }
  return nchwc_conv_tile__scalar;
}
NchwcReorderOutFn pick_reorder_output() {
  switch (active_isa()) {
    case Isa::Avx512: return nchwc_reorder_output_rows__avx512;
    case Isa::Avx2: return nchwc_reorder_output_rows__avx2;
    case Isa::Scalar: break;
  }
  return nchwc_reorder_output_rows__scalar;
}
NchwcDepthwiseFn pick_depthwise() {
  switch (active_isa()) {
    case Isa::Avx512: return nchwc_depthwise_row__avx512;
    case Isa::Avx2: return nchwc_depthwise_row__avx2;
    case Isa::Scalar: break;
  }
  return nchwc_depthwise_row__scalar;
}

// The input with its padding materialized (zeros), so tiles never check bounds; x itself when the
// window never leaves it.
struct PaddedInput {
  std::vector<float> storage;
  const float* data = nullptr;
  int64_t h = 0, w = 0;
};

// Rows [r0, r1) of the padded planes [0, planes) of x (e floats per pixel) into out, `rows` =
// r1 - r0 rows of in_w pixels per plane.
void pad_rows(const NchwcConvParams& p, const float* x, int64_t planes, int64_t in_w, int64_t r0, int64_t r1,
              float* out) {
  const int64_t e = p.nchw_input ? 1 : B;
  const int64_t row = in_w * e, left = p.pad_left * e, right = (in_w - p.pad_left - p.in_w) * e;
  for (int64_t plane = 0; plane < planes; ++plane) {
    for (int64_t r = r0; r < r1; ++r, out += row) {
      const int64_t ih = r - p.pad_top;
      if (ih < 0 || ih >= p.in_h) {
        std::fill(out, out + row, 0.f);
        continue;
      }
      std::fill(out, out + left, 0.f);
      std::memcpy(out + left, x + (plane * p.in_h + ih) * p.in_w * e, static_cast<size_t>(p.in_w * e) * sizeof(float));
      std::fill(out + left + p.in_w * e, out + left + p.in_w * e + right, 0.f);
    }
  }
}

// The padded shape; data = x when the window never leaves it. With defer, padding is left to
// the tasks (pad_rows of their own bands) and data stays null.
PaddedInput pad_input(const NchwcConvParams& p, const float* x, bool defer) {
  PaddedInput in;
  in.h = std::max(p.in_h + p.pad_top, (p.out_h - 1) * p.stride_h + (p.kernel_h - 1) * p.dilation_h + 1);
  in.w = std::max(p.in_w + p.pad_left, (p.out_w - 1) * p.stride_w + (p.kernel_w - 1) * p.dilation_w + 1);
  if (p.pad_top == 0 && p.pad_left == 0 && in.h == p.in_h && in.w == p.in_w) {
    in.data = x;
    return in;
  }
  if (defer) return in;
  const int64_t e = p.nchw_input ? 1 : B;  // floats per pixel of one plane
  const int64_t planes = p.batch * (p.nchw_input ? p.in_channels : nchwc_blocks(p.in_channels));
  in.storage.resize(static_cast<size_t>(planes * in.h * in.w * e));
  float* out = in.storage.data();
  parallel_for(0, planes, 1, [&](int64_t begin, int64_t end) {
    pad_rows(p, x + begin * p.in_h * p.in_w * e, end - begin, in.w, 0, in.h, out + begin * in.h * in.w * e);
  });
  in.data = out;
  return in;
}

// Output blocks in runs of 2 (the 2 x 14 tile) or 4 (below), never crossing a group; the tail
// takes what is left.
struct BlockRun {
  int64_t first;
  int blocks;
};

// Runs of 4 only where the tiles are not the AVX-512 ones. Those broadcast each input pixel into a
// register shared by 2 blocks (conv_nchwc__avx512.cpp), which 4 x 7 has no registers for: on a Zen 5
// core (two 512-bit FMAs per cycle) a 7x7 3x3 conv runs at 211-243 GFLOP/s in 2-block runs against
// 161-188 in 4-block runs of the memory-operand tile, weights cold or warm
// (bench BM_Winograd(Cold)Direct/512/7/1). On Zen 4 (one FMA per cycle) the 4-block runs of that
// tile had streamed a 7x7 1x1 conv's weights 5-10% faster than 2; not measured since.
// One-block tiles (AVX2): 7 pixels split as 4 + 3 leave them waiting on FMA latency, 14 as
// 5 + 5 + 4 do not; their rows of at most 7 pixels take runs of 4.
std::vector<BlockRun> block_runs(int64_t out_blocks, int64_t blocks_per_group, int64_t out_w, bool one_block_tiles) {
  const int want = one_block_tiles && out_w <= 7 ? 4 : 2;
  std::vector<BlockRun> runs;
  for (int64_t g0 = 0; g0 < out_blocks; g0 += blocks_per_group) {
    const int64_t g1 = std::min(out_blocks, g0 + blocks_per_group);
    for (int64_t b = g0; b < g1;) {
      int n = want;
      while (b + n > g1) n /= 2;
      runs.push_back({b, n});
      b += n;
    }
  }
  return runs;
}

void dense_conv(const NchwcConvParams& p0, const NchwcPackedWeights& w, const float* x, const float* sum, float* y,
                NchwcTileFn tile) {
  static const NchwcReorderOutFn reorder_out = pick_reorder_output();
  NchwcConvParams p = p0;
  const bool pointwise = p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 && p.pad_top == 0 &&
                         p.pad_left == 0 && p.out_h == p.in_h && p.out_w == p.in_w;
  if (pointwise) {
    // Rows of a 1x1 stride-1 conv are contiguous: one long row gives the tiles fewer tails.
    p.in_w = p.out_w = p.in_h * p.in_w;
    p.in_h = p.out_h = 1;
  }
  // An NCHW image (3 channels: a band's padded rows are small) is padded by each task into a
  // buffer of its own, read while still in cache, not as a whole image written out and read back
  // (MobileNetV2's 3x3/2 first conv: ~10% of its time); a blocked input too where the order of
  // the tasks allows (band_pad below).
  PaddedInput in = pad_input(p, x, true);  // x itself, or the padded shape only
  const int64_t e = p.nchw_input ? 1 : B;
  const int64_t icn = ic_per_block(p);
  const int64_t cgb = ic_blocks_per_group(p);
  const int64_t in_blocks = nchw_one_block(p) ? 1 : nchwc_blocks(p.in_channels);
  const int64_t out_blocks = nchwc_blocks(p.out_channels);
  const int64_t blocks_per_group = p.groups == 1 ? out_blocks : p.out_channels / p.groups / B;
  const int64_t taps = p.kernel_h * p.kernel_w;
  const int64_t w_block = cgb * taps * icn * B;  // packed floats per output block
  std::vector<int64_t> tap_offsets;
  for (int64_t kh = 0; kh < p.kernel_h; ++kh) {
    for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
      tap_offsets.push_back((kh * p.dilation_h * in.w + kw * p.dilation_w) * e);
    }
  }
  const int64_t x_plane = in.h * in.w * e;
  const int64_t x_image = p.nchw_input ? p.in_channels * x_plane : in_blocks * x_plane;
  // Floats between ic blocks of x: a plane, or 16 channel planes of an NCHW input.
  const int64_t x_block = p.nchw_input ? icn * x_plane : x_plane;
  const int64_t y_plane = p.out_h * p.out_w * B;

  const std::vector<BlockRun> runs =
      block_runs(out_blocks, blocks_per_group, p.out_w, tile == nchwc_conv_tile__avx2);
  const int64_t per_image = static_cast<int64_t>(runs.size());
  const int64_t concurrency = current_concurrency();
  // Enough tasks for every thread to take a few, and bands whose input fits in L2: bands of rows,
  // or of columns (whole tiles) for a single row, as a 1x1 conv's flattened image is. No more bands
  // than that: each band reads its runs' weights again.
  const int64_t want = std::max<int64_t>(1, (4 * concurrency + p.batch * per_image - 1) / (p.batch * per_image));
  const int64_t group_in_bytes = cgb * icn * int64_t{sizeof(float)};  // per input pixel of one group
  const int64_t input_bytes = group_in_bytes * in.h * in.w;
  const int64_t fit = (input_bytes + kBandInputBytes - 1) / kBandInputBytes;
  const bool column_bands = p.out_h == 1;
  const int64_t split = std::max(want, fit);
  int64_t bands = 1, band_rows = p.out_h, band_cols = p.out_w;
  if (column_bands) {
    band_cols = ((p.out_w + split - 1) / split + 13) / 14 * 14;
    bands = (p.out_w + band_cols - 1) / band_cols;
  } else {
    band_rows = (p.out_h + std::min(split, p.out_h) - 1) / std::min(split, p.out_h);
    bands = (p.out_h + band_rows - 1) / band_rows;
  }
  const int64_t units = p.batch * per_image * bands;
  // Consecutive tasks share what is larger: one band's input (the runs of output blocks inner) or
  // one run's weights (the bands inner).
  const int64_t run_weight_bytes = 2 * w_block * int64_t{sizeof(float)};
  // A padded band is made once per task and kept for the next run's (band_pad), so the runs of a
  // band go together there too. A blocked input is padded that way where its bands go together
  // anyway (else each task would pad its band again for every run): ResNet-50's 3x3/2 on 128
  // channels at 56x56 (Zen 2, 1 thread, in the model, 3 alternations) 2.86-2.91 -> 2.65-2.68 ms.
  const bool band_pad = p.nchw_input || (in.data == nullptr && (bands == 1 || input_bytes / bands > run_weight_bytes));
  if (in.data == nullptr && !band_pad) in = pad_input(p, x, false);
  const bool band_major = bands > 1 && (band_pad || input_bytes / bands > run_weight_bytes);
  const uint64_t call_id = band_pad ? ++g_conv_calls : 0;
  const int64_t cg = p.in_channels / p.groups;
  const int64_t tail_ics = cg % icn == 0 ? icn : cg % icn;
  const bool half_tail = p.groups == 1 && p.out_channels % B != 0 && p.out_channels % B <= B / 2;
  const int64_t pixel_stride = p.stride_w * e;
  const bool fast_stride = p.stride_w <= 2;  // the pixel strides the tiles have (kNchwcMaxPixels)
  // One-block tiles (AVX2) read a block's chunk of weights once per sub-tile of pixels: a 1x1
  // conv's chunk then stays in L1 across them (512 -> 2048 at 7x7: 3.0 -> 2.1 ms; a 3x3 conv's
  // chunks of one ic block were slower).
  const int64_t chunk_bytes = tile == nchwc_conv_tile__avx2 && taps == 1 ? kWeightChunkBytes / 8 : kWeightChunkBytes;

  // The AVX-512 and AVX2 tiles prefetch (AVX2 figures in conv_nchwc__avx2.cpp). AVX-512, on one
  // Zen 5 core: BM_WinogradColdDirect (3x3, weights from memory) 2-5% faster (512 channels at
  // 7x7: 188-198 -> 200-201 GFLOP/s), warm weights unchanged; ResNet-50 at 1 thread 3-4% faster
  // (min of 30 runs, 4 alternations).
  const bool prefetch_weights = tile == nchwc_conv_tile__avx512 || tile == nchwc_conv_tile__avx2;
  parallel_for(0, units, 1, [&](int64_t begin, int64_t end) {
    for (int64_t u = begin; u < end; ++u) {
      const int64_t band = band_major ? (u / per_image) % bands : u % bands;
      const BlockRun run = runs[static_cast<size_t>(band_major ? u % per_image : (u / bands) % per_image)];
      const int64_t n = u / bands / per_image;
      const int64_t oh0 = column_bands ? 0 : band * band_rows, oh1 = std::min(p.out_h, oh0 + band_rows);
      const int64_t ow0 = column_bands ? band * band_cols : 0, ow1 = std::min(p.out_w, ow0 + band_cols);
      if (oh0 >= oh1 || ow0 >= ow1) continue;
      const int64_t group = run.first / blocks_per_group;
      const int max_pixels = fast_stride ? kNchwcMaxPixels[run.blocks] : 1;
      const bool avx2_tiles = fast_stride && tile == nchwc_conv_tile__avx2;
      // Rows under 16 pixels (7: ResNet-50's last stage) as one run of pixels over the band's rows
      // (NchwcTile::row_pixels): AVX2 sub-tiles of 3 + 4 pixels wait on FMA latency, 6 + 6 + ...
      // do not. Zen 2, 1 thread, the conv alone (median of 200): 512 channels 3x3/2 14 -> 7
      // 58-60 -> 74-80 GFLOP/s, 3x3 at 7x7 62-67 -> 78-89, 256 channels 3x3/2 28 -> 14 85 -> 92,
      // 3x3 at 14x14 92 -> 99; ResNet-50 1-4% faster (3 alternations). Wider rows as one run
      // were no faster alone and 1-3% slower in ResNet-50.
      const bool flat = avx2_tiles && !p.nchw_input && !column_bands && p.out_w < 16;
      const int64_t flat_pixels = (oh1 - oh0) * p.out_w;
      const int64_t max_chunk =
          std::max<int64_t>(1, chunk_bytes / (run.blocks * taps * icn * B * int64_t{sizeof(float)}));
      // Equal chunks (8 ic blocks as 4 + 4, not 7 + 1): a short last chunk still costs a pass over
      // the band's rows that loads and stores the accumulators.
      const int64_t chunks = (cgb + max_chunk - 1) / max_chunk;
      const int64_t chunk = (cgb + chunks - 1) / chunks;
      NchwcTile t;
      t.tap_offsets = tap_offsets.data();
      t.taps = taps;
      t.ic_per_block = icn;
      t.x_block_stride = x_block;
      t.x_ic_stride = p.nchw_input ? x_plane : 1;
      t.x_pixel_stride = pixel_stride;
      t.w_block_stride = w_block;
      t.y_block_stride = y_plane;
      t.blocks = run.blocks;
      t.row_pixels = flat ? p.out_w : 0;
      t.x_row_stride = p.stride_h * in.w * e;
      t.half_last = half_tail && run.first + run.blocks == out_blocks;
      t.lo = p.act_lo;
      t.hi = p.act_hi;
      t.bias = w.bias.data() + run.first * B;
      // nchw_output: the unit's tiles go to a buffer of its own ([blocks][band pixels][16], the
      // band's pixels are contiguous in the output plane), transposed into y once finished.
      float* ybuf = nullptr;
      const int64_t band_pixels = (oh1 - oh0) * (ow1 - ow0), band_first = oh0 * p.out_w + ow0;
      if (p.nchw_output) {
        thread_local std::vector<float> out_buf;
        out_buf.resize(static_cast<size_t>(run.blocks * band_pixels * B));
        ybuf = out_buf.data();
        t.y_block_stride = band_pixels * B;
      }
      for (int64_t c0 = 0; c0 < cgb; c0 += chunk) {
        t.ic_blocks = std::min(chunk, cgb - c0);
        t.first = c0 == 0;
        t.last = c0 + t.ic_blocks == cgb;
        t.tail_ics = t.last ? tail_ics : icn;
        t.w = w.w.data() + run.first * w_block + c0 * taps * icn * B;
        const float* xc = nullptr;
        int64_t row0 = 0;  // the padded input row at xc's row 0
        if (in.data != nullptr) {
          xc = in.data + n * x_image + (group * cgb + c0) * x_block;
        } else {
          // band_pad: the band's padded rows of every channel plane (NCHW) or block plane, made
          // by the first unit of this band on this thread and reused by the next runs of output
          // blocks.
          struct BandCache {
            uint64_t call = 0;
            int64_t n = -1, row0 = -1, rows = 0;
            std::vector<float> buf;
          };
          thread_local BandCache band;
          row0 = oh0 * p.stride_h;
          const int64_t r1 = (oh1 - 1) * p.stride_h + (p.kernel_h - 1) * p.dilation_h + 1;
          const int64_t planes = p.nchw_input ? p.in_channels : in_blocks;
          const int64_t band_plane = (r1 - row0) * in.w * e;
          if (band.call != call_id || band.n != n || band.row0 != row0 || band.rows != r1 - row0) {
            band.buf.resize(static_cast<size_t>(planes * band_plane));
            pad_rows(p, x + n * planes * p.in_h * p.in_w * e, planes, in.w, row0, r1, band.buf.data());
            band.call = call_id, band.n = n, band.row0 = row0, band.rows = r1 - row0;
          }
          if (p.nchw_input) {
            xc = band.buf.data() + c0 * icn * band_plane;
            t.x_ic_stride = band_plane;
            t.x_block_stride = icn * band_plane;
          } else {
            xc = band.buf.data() + (group * cgb + c0) * band_plane;
            t.x_block_stride = band_plane;
          }
        }
        // What this task reads after this chunk, fetched into L2 by the chunk's tiles in equal
        // shares (weights streamed from memory otherwise stall the next chunk's first tile): the
        // next chunk of the same blocks, or the next run's first chunk when the next unit is
        // the next run (band-major order, or one band). Each block's stream is contiguous.
        const float* next_w = nullptr;
        int64_t next_floats = 0;  // per block
        const int64_t chunk_floats = taps * icn * B;  // per ic block
        if (prefetch_weights) {
          if (!t.last) {
            next_w = t.w + t.ic_blocks * chunk_floats;
            next_floats = std::min(chunk, cgb - c0 - t.ic_blocks) * chunk_floats;
          } else if ((bands == 1 || band_major) && run.first + run.blocks + 1 <= out_blocks) {
            next_w = w.w.data() + (run.first + run.blocks) * w_block;
            next_floats = std::min(chunk, cgb) * chunk_floats;
          }
        }
        int64_t pf_lines = 0, pf_line = 0;  // lines per ic block of each tile; lines given out
        const int64_t next_lines = next_floats / 16;
        if (next_w != nullptr) {
          int64_t tiles = 0;
          if (flat) {
            for (int64_t f = 0; f < flat_pixels; f += nchwc_avx2_tile_pixels(flat_pixels - f)) ++tiles;
          } else if (avx2_tiles) {
            for (int64_t ow = ow0; ow < ow1; ow += nchwc_avx2_tile_pixels(ow1 - ow)) tiles += oh1 - oh0;
          } else {
            tiles = (oh1 - oh0) * ((ow1 - ow0 + max_pixels - 1) / max_pixels);
          }
          pf_lines = ((next_lines + tiles - 1) / tiles + t.ic_blocks - 1) / t.ic_blocks;
          // A next run of one block (the tail): the tiles' second stream repeats the first.
          const int64_t next_blocks = t.last ? out_blocks - run.first - run.blocks : run.blocks;
          t.prefetch_block_stride = next_blocks > 1 ? w_block : 0;
        }
        // The tile of `pixels` from output pixel (oh, ow) on (past the row's end when flat).
        const auto run_tile = [&](int64_t oh, int64_t ow, int pixels) {
          const float* xrow = xc + (oh * p.stride_h - row0) * in.w * e;
          const int64_t yrow = (n * out_blocks + run.first) * y_plane + oh * p.out_w * B;
          t.pixels = pixels;
          t.x = xrow + ow * pixel_stride;
          t.col0 = ow;
          if (ybuf != nullptr) {
            t.y = ybuf + ((oh - oh0) * (ow1 - ow0) + ow - ow0) * B;
            t.sum = nullptr;  // the caller keeps a Sum off this path
          } else {
            t.y = y + yrow + ow * B;
            t.sum = t.last && sum != nullptr ? sum + yrow + ow * B : nullptr;
          }
          if (pf_line < next_lines && pf_lines > 0) {
            t.prefetch = next_w + pf_line * 16;
            t.prefetch_lines = std::min(pf_lines, (next_lines - pf_line + t.ic_blocks - 1) / t.ic_blocks);
            pf_line += t.prefetch_lines * t.ic_blocks;
          } else {
            t.prefetch = nullptr;
          }
          tile(t);
        };
        if (flat) {
          for (int64_t f = 0; f < flat_pixels;) {
            const int pixels = static_cast<int>(nchwc_avx2_tile_pixels(flat_pixels - f));
            run_tile(oh0 + f / p.out_w, f % p.out_w, pixels);
            f += pixels;
          }
        } else {
          for (int64_t oh = oh0; oh < oh1; ++oh) {
            for (int64_t ow = ow0; ow < ow1;) {
              const int pixels =
                  static_cast<int>(avx2_tiles ? nchwc_avx2_tile_pixels(ow1 - ow) : std::min<int64_t>(max_pixels, ow1 - ow));
              run_tile(oh, ow, pixels);
              ow += pixels;
            }
          }
        }
      }
      if (ybuf != nullptr) {
        const int64_t plane = p.out_h * p.out_w;
        for (int b = 0; b < run.blocks; ++b) {
          const int64_t c0 = (run.first + b) * B;
          reorder_out(ybuf + b * band_pixels * B, std::min(B, p.out_channels - c0), band_pixels, plane,
                      y + (n * p.out_channels + c0) * plane + band_first);
        }
      }
    }
  });
}

void depthwise_conv(const NchwcConvParams& p, const NchwcPackedWeights& w, const float* x, const float* sum, float* y,
                    NchwcDepthwiseFn row_fn) {
  const int64_t blocks = nchwc_blocks(p.in_channels);
  const int64_t rows = p.batch * blocks * p.out_h;
  const int64_t taps = p.kernel_h * p.kernel_w;
  const int64_t grain = std::max<int64_t>(1, 8192 / std::max<int64_t>(1, p.out_w * taps));
  parallel_for(0, rows, grain, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      const int64_t oh = r % p.out_h, plane = r / p.out_h, cb = plane % blocks;
      NchwcDepthwiseRow row;
      row.x = x + plane * p.in_h * p.in_w * B;
      row.w = w.w.data() + cb * taps * B;
      row.bias = w.bias.data() + cb * B;
      const int64_t yoff = (plane * p.out_h + oh) * p.out_w * B;
      row.sum = sum != nullptr ? sum + yoff : nullptr;
      row.y = y + yoff;
      row.oh = oh;
      row_fn(p, row);
    }
  });
}

}  // namespace

int64_t nchwc_avx2_tile_pixels(int64_t left) {
  constexpr int64_t kSub = 6, kSubsPerTile = 4;
  const int64_t subs = (left + kSub - 1) / kSub;
  const int64_t tiles = (subs + kSubsPerTile - 1) / kSubsPerTile;
  const int64_t take = (subs + tiles - 1) / tiles;
  return std::min(left, (left * take + subs - 1) / subs);
}

// AVX2 regions measured against converting only group-1 convs, each alone (Zen 3, 1 thread,
// onnxi/onnxruntime): ResNet-50 0.83-0.90 vs 1.05-1.19, MobileNetV2 1.03-1.16 vs 1.21-1.50.
bool nchwc_fast() noexcept { return active_isa() == Isa::Avx512 || active_isa() == Isa::Avx2; }

bool nchwc_conv_supported(int64_t in_channels, int64_t out_channels, int64_t groups, bool nchw_input) {
  if (in_channels <= 0 || out_channels <= 0 || groups <= 0) return false;
  if (groups == 1) return true;
  if (nchw_input) return false;
  if (groups == in_channels && groups == out_channels) return true;  // depthwise
  return in_channels % groups == 0 && out_channels % groups == 0 && (in_channels / groups) % B == 0 &&
         (out_channels / groups) % B == 0;
}

NchwcPackedWeights pack_nchwc_weights(const NchwcConvParams& p, const float* w, const float* bias) {
  NchwcPackedWeights packed;
  if (p.allow_winograd) {
    const WinogradTile tile = winograd_choice(p);
    if (tile != WinogradTile::None) {
      packed.winograd = std::make_shared<const WinogradWeights>(pack_winograd_weights(p, tile, w, bias));
      return packed;
    }
  }
  const int64_t out_blocks = nchwc_blocks(p.out_channels);
  const int64_t taps = p.kernel_h * p.kernel_w;
  packed.bias.assign(static_cast<size_t>(out_blocks * B), 0.f);
  if (bias != nullptr) std::copy(bias, bias + p.out_channels, packed.bias.begin());
  if (p.depthwise()) {
    packed.w.assign(static_cast<size_t>(out_blocks * taps * B), 0.f);
    for (int64_t c = 0; c < p.out_channels; ++c) {
      for (int64_t t = 0; t < taps; ++t) packed.w[static_cast<size_t>(((c / B) * taps + t) * B + c % B)] = w[c * taps + t];
    }
    return packed;
  }
  const int64_t cg = p.in_channels / p.groups;
  const int64_t cgb = ic_blocks_per_group(p), icn = ic_per_block(p);
  packed.w.assign(static_cast<size_t>(out_blocks * cgb * taps * icn * B), 0.f);
  // Written in packed order (16 output channels of one input channel and tap at a time), so the
  // stores stream and the reads stay within 16 rows of W: a scattered store per weight made this
  // a tenth of ResNet-50's session creation.
  float* dst = packed.w.data();
  for (int64_t ob = 0; ob < out_blocks; ++ob) {
    const int64_t m_end = std::min<int64_t>(B, p.out_channels - ob * B);
    for (int64_t icb = 0; icb < cgb; ++icb) {
      for (int64_t t = 0; t < taps; ++t) {
        for (int64_t ic = 0; ic < icn; ++ic, dst += B) {
          const int64_t c = nchw_one_block(p) ? ic : icb * B + ic;
          if (c >= cg) continue;  // padding channels keep their zero weights
          const float* src = w + ((ob * B) * cg + c) * taps + t;
          for (int64_t mb = 0; mb < m_end; ++mb) dst[mb] = src[mb * cg * taps];
        }
      }
    }
  }
  return packed;
}

namespace {

// A strided 1x1 conv with no padding (ResNet v1.5's downsample convs, 1x1/2) reads every s-th pixel
// of each row: its tiles then run rows of out_w pixels (7 at 14 -> 7) at a pixel stride of 2
// blocks. Gathering those pixels first (out_h * out_w * 16 floats per block, a small copy) turns it
// into a stride-1 1x1 conv, whose rows flatten into one long row of whole tiles: on Zen 3 (AVX2,
// 1 thread) 1024 -> 2048 at 14 -> 7 ran at 26 GFLOP/s strided and 77 as a stride-1 conv.
bool strided_pointwise(const NchwcConvParams& p) {
  return p.kernel_h == 1 && p.kernel_w == 1 && (p.stride_h > 1 || p.stride_w > 1) && p.pad_top == 0 &&
         p.pad_left == 0 && !p.nchw_input && p.groups == 1 && (p.out_h - 1) * p.stride_h < p.in_h &&
         (p.out_w - 1) * p.stride_w < p.in_w;
}

// xs[n][block][oh][ow][16] = x[n][block][oh * stride_h][ow * stride_w][16].
void gather_strided_pixels(const NchwcConvParams& p, const float* x, float* xs) {
  const int64_t blocks = nchwc_blocks(p.in_channels);
  const int64_t in_plane = p.in_h * p.in_w * B, out_plane = p.out_h * p.out_w * B;
  parallel_for(0, p.batch * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t nb = begin; nb < end; ++nb) {
      const float* src = x + nb * in_plane;
      float* dst = xs + nb * out_plane;
      for (int64_t oh = 0; oh < p.out_h; ++oh) {
        const float* row = src + oh * p.stride_h * p.in_w * B;
        for (int64_t ow = 0; ow < p.out_w; ++ow, dst += B) {
          std::memcpy(dst, row + ow * p.stride_w * B, B * sizeof(float));
        }
      }
    }
  });
}

}  // namespace

void nchwc_conv2d_with(const NchwcConvParams& p, const NchwcPackedWeights& w, const float* x, const float* sum,
                       float* y, NchwcTileFn tile, NchwcDepthwiseFn depthwise) {
  if (p.batch == 0 || p.out_h == 0 || p.out_w == 0) return;
  if (w.winograd == nullptr && strided_pointwise(p)) {
    std::vector<float> gathered(static_cast<size_t>(p.batch * nchwc_blocks(p.in_channels) * p.out_h * p.out_w * B));
    gather_strided_pixels(p, x, gathered.data());
    NchwcConvParams unit = p;
    unit.in_h = p.out_h, unit.in_w = p.out_w, unit.stride_h = unit.stride_w = 1;
    nchwc_conv2d_with(unit, w, gathered.data(), sum, y, tile, depthwise);
    return;
  }
  if (p.nchw_output && (w.winograd != nullptr || (p.depthwise() && !p.nchw_input) || sum != nullptr)) {
    // Paths without their own NCHW store: blocked, then one reorder.
    NchwcConvParams blocked = p;
    blocked.nchw_output = false;
    std::vector<float> tmp(static_cast<size_t>(p.batch * nchwc_blocks(p.out_channels) * p.out_h * p.out_w * B));
    nchwc_conv2d_with(blocked, w, x, sum, tmp.data(), tile, depthwise);
    nchwc_reorder_output(tmp.data(), p.batch, p.out_channels, p.out_h * p.out_w, y);
    return;
  }
  if (w.winograd != nullptr) {
    winograd_conv2d(p, *w.winograd, x, sum, y);
  } else if (p.depthwise() && !p.nchw_input) {
    depthwise_conv(p, w, x, sum, y, depthwise);
  } else {
    dense_conv(p, w, x, sum, y, tile);
  }
}

void nchwc_conv2d(const NchwcConvParams& p, const NchwcPackedWeights& w, const float* x, const float* sum, float* y) {
  static const NchwcTileFn tile = pick_tile();
  static const NchwcDepthwiseFn depthwise = pick_depthwise();
  nchwc_conv2d_with(p, w, x, sum, y, tile, depthwise);
}

void nchwc_conv2d_reference(const NchwcConvParams& p, const float* x, const float* w, const float* bias,
                            const float* sum, float* y) {
  const int64_t in_blocks = nchwc_blocks(p.in_channels), out_blocks = nchwc_blocks(p.out_channels);
  const int64_t cg = p.in_channels / p.groups, mg = p.out_channels / p.groups;
  auto x_at = [&](int64_t n, int64_t c, int64_t ih, int64_t iw) {
    if (p.nchw_input) return x[((n * p.in_channels + c) * p.in_h + ih) * p.in_w + iw];
    return x[(((n * in_blocks + c / B) * p.in_h + ih) * p.in_w + iw) * B + c % B];
  };
  for (int64_t n = 0; n < p.batch; ++n) {
    for (int64_t m = 0; m < out_blocks * B; ++m) {
      for (int64_t oh = 0; oh < p.out_h; ++oh) {
        for (int64_t ow = 0; ow < p.out_w; ++ow) {
          double acc = 0;
          if (m < p.out_channels) {
            acc = bias ? bias[m] : 0.0;
            const int64_t g = m / mg;
            for (int64_t c = 0; c < cg; ++c) {
              for (int64_t kh = 0; kh < p.kernel_h; ++kh) {
                const int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
                if (ih < 0 || ih >= p.in_h) continue;
                for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
                  const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
                  if (iw < 0 || iw >= p.in_w) continue;
                  acc += double(w[((m * cg + c) * p.kernel_h + kh) * p.kernel_w + kw]) * x_at(n, g * cg + c, ih, iw);
                }
              }
            }
          }
          const int64_t at = (((n * out_blocks + m / B) * p.out_h + oh) * p.out_w + ow) * B + m % B;
          float v = static_cast<float>(acc);
          if (sum != nullptr) v += sum[at];
          y[at] = clamp_keep_nan(v, p.act_lo, p.act_hi);
        }
      }
    }
  }
}

void nchwc_reorder_input(const float* x, int64_t batch, int64_t channels, int64_t spatial, float* y) {
  static const NchwcReorderFn plane = active_isa() == Isa::Avx512 ? nchwc_reorder_input_plane__avx512
                                      : active_isa() == Isa::Avx2 ? nchwc_reorder_input_plane__avx2
                                                                    : nchwc_reorder_input_plane__scalar;
  const int64_t blocks = nchwc_blocks(channels);
  parallel_for(0, batch * blocks, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, spatial * B)),
               [&](int64_t begin, int64_t end) {
                 for (int64_t nb = begin; nb < end; ++nb) {
                   const int64_t n = nb / blocks, c0 = (nb % blocks) * B;
                   plane(x + (n * channels + c0) * spatial, std::min(B, channels - c0), spatial, y + nb * spatial * B);
                 }
               });
}

void nchwc_reorder_output(const float* x, int64_t batch, int64_t channels, int64_t spatial, float* y) {
  static const NchwcReorderOutFn plane = pick_reorder_output();
  const int64_t blocks = nchwc_blocks(channels);
  parallel_for(0, batch * blocks, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, spatial * B)),
               [&](int64_t begin, int64_t end) {
                 for (int64_t nb = begin; nb < end; ++nb) {
                   const int64_t n = nb / blocks, c0 = (nb % blocks) * B;
                   plane(x + nb * spatial * B, std::min(B, channels - c0), spatial, spatial,
                         y + (n * channels + c0) * spatial);
                 }
               });
}

void nchwc_reorder_input_plane__scalar(const float* x, int64_t real, int64_t spatial, float* y) {
  for (int64_t s = 0; s < spatial; ++s) {
    for (int64_t l = 0; l < B; ++l) y[s * B + l] = l < real ? x[l * spatial + s] : 0.f;
  }
}

void nchwc_reorder_output_rows__scalar(const float* x, int64_t real, int64_t count, int64_t y_stride, float* y) {
  for (int64_t l = 0; l < real; ++l) {
    for (int64_t s = 0; s < count; ++s) y[l * y_stride + s] = x[s * B + l];
  }
}

// ---- portable tiles ----------------------------------------------------------------------------

void nchwc_conv_tile__scalar(const NchwcTile& t) {
  float acc[4][14][16];
  for (int b = 0; b < t.blocks; ++b) {
    for (int p = 0; p < t.pixels; ++p) {
      for (int l = 0; l < 16; ++l) acc[b][p][l] = t.first ? t.bias[b * 16 + l] : t.y[b * t.y_block_stride + p * 16 + l];
    }
  }
  const float* w = t.w;
  for (int64_t icb = 0; icb < t.ic_blocks; ++icb) {
    const float* xb = t.x + icb * t.x_block_stride;
    const int64_t n_ic = icb + 1 == t.ic_blocks ? t.tail_ics : 16;
    for (int64_t tap = 0; tap < t.taps; ++tap) {
      for (int64_t ic = 0; ic < t.ic_per_block; ++ic, w += 16) {
        if (ic >= n_ic) continue;  // padding channels: zero weights
        const float* xi = xb + t.tap_offsets[tap] + ic * t.x_ic_stride;
        for (int b = 0; b < t.blocks; ++b) {
          for (int p = 0; p < t.pixels; ++p) {
            const float v = xi[p * t.x_pixel_stride];
            for (int l = 0; l < 16; ++l) acc[b][p][l] += v * w[b * t.w_block_stride + l];
          }
        }
      }
    }
  }
  for (int b = 0; b < t.blocks; ++b) {
    for (int p = 0; p < t.pixels; ++p) {
      for (int l = 0; l < 16; ++l) {
        float v = acc[b][p][l];
        if (t.last) {
          if (t.sum != nullptr) v += t.sum[b * t.y_block_stride + p * 16 + l];
          v = clamp_keep_nan(v, t.lo, t.hi);
        }
        t.y[b * t.y_block_stride + p * 16 + l] = v;
      }
    }
  }
}

void nchwc_depthwise_row__scalar(const NchwcConvParams& p, const NchwcDepthwiseRow& r) {
  for (int64_t ow = 0; ow < p.out_w; ++ow) {
    float acc[16];
    for (int l = 0; l < 16; ++l) acc[l] = r.bias[l];
    for (int64_t kh = 0; kh < p.kernel_h; ++kh) {
      const int64_t ih = r.oh * p.stride_h - p.pad_top + kh * p.dilation_h;
      if (ih < 0 || ih >= p.in_h) continue;
      for (int64_t kw = 0; kw < p.kernel_w; ++kw) {
        const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
        if (iw < 0 || iw >= p.in_w) continue;
        const float* xv = r.x + ((ih - r.row0) * p.in_w + iw) * 16;
        const float* wv = r.w + (kh * p.kernel_w + kw) * 16;
        for (int l = 0; l < 16; ++l) acc[l] += xv[l] * wv[l];
      }
    }
    for (int l = 0; l < 16; ++l) {
      float v = acc[l];
      if (r.sum != nullptr) v += r.sum[ow * 16 + l];
      r.y[ow * 16 + l] = clamp_keep_nan(v, p.act_lo, p.act_hi);
    }
  }
}

}  // namespace onnxi::kernels
