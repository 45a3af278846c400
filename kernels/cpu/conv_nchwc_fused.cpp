// A 1x1 conv and the depthwise conv of its output in one pass (conv_nchwc.h,
// nchwc_pointwise_depthwise). The two are independent per channel block once the 1x1 conv's
// output block exists, so a task owns a run of output blocks and a band of output rows: it expands
// the input rows the band needs, a few at a time, into a buffer of about 128 KB (the rows the next
// output rows read again are moved to its start, not recomputed), then runs the depthwise rows on
// the buffer. The intermediate then lives in L1/L2 instead of making a trip through memory.
#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "kernels/cpu/conv_nchwc.h"
#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/parallel.h"

namespace onnxi::kernels {
namespace {

constexpr int64_t B = kNchwcBlock;
constexpr int64_t kBufferBytes = 128 * 1024;

struct Band {
  int64_t first_block = 0, blocks = 0;  // the run of channel blocks
  int64_t oh0 = 0, oh1 = 0;             // depthwise output rows
};

// Input rows [first, end) that depthwise output rows [oh0, oh1) read, clipped to the image.
void rows_read(const NchwcConvParams& dw, int64_t oh0, int64_t oh1, int64_t& first, int64_t& end) {
  first = std::max<int64_t>(0, oh0 * dw.stride_h - dw.pad_top);
  end = std::min(dw.in_h, (oh1 - 1) * dw.stride_h - dw.pad_top + (dw.kernel_h - 1) * dw.dilation_h + 1);
  if (end < first) end = first;
}

}  // namespace

void nchwc_pointwise_depthwise_with(const NchwcConvParams& pw, const NchwcPackedWeights& pw_w,
                                    const NchwcConvParams& dw, const NchwcPackedWeights& dw_w, const float* x, float* y,
                                    NchwcTileFn tile, NchwcDepthwiseFn depthwise) {
  if (dw.batch == 0 || dw.out_h == 0 || dw.out_w == 0) return;
  const int64_t H = pw.in_h, W = pw.in_w;
  const int64_t in_blocks = nchwc_blocks(pw.in_channels), blocks = nchwc_blocks(pw.out_channels);
  const int64_t w_block = in_blocks * B * B;  // packed 1x1 floats per output block
  const int64_t tail_ics = pw.in_channels % B == 0 ? B : pw.in_channels % B;
  const int64_t taps = dw.kernel_h * dw.kernel_w;
  // Runs of output blocks per task: 2 (the 2 x 14 tile; the AVX-512 tiles share each broadcast
  // pixel between 2 blocks, see block_runs in conv_nchwc.cpp), 4 on a 7x7 image for the others;
  // the tail takes what is left.
  const int64_t run_blocks =
      tile != nchwc_conv_tile__avx512 && H * W <= kSmallFlatPixels && (H * W) % 14 != 0 ? 4 : 2;
  std::vector<std::pair<int64_t, int64_t>> run_list;  // (first block, blocks)
  for (int64_t first = 0; first < blocks;) {
    int64_t n = run_blocks;
    while (first + n > blocks) n /= 2;
    run_list.emplace_back(first, n);
    first += n;
  }
  const int64_t runs = static_cast<int64_t>(run_list.size());
  // Rows of the buffer: at least one output row's window, else what fits in kBufferBytes.
  const int64_t window = (dw.kernel_h - 1) * dw.dilation_h + 1;
  const int64_t buffer_rows =
      std::max(window, std::min(H, kBufferBytes / (run_blocks * W * B * int64_t{sizeof(float)})));
  const int64_t chunk_out_rows = std::max<int64_t>(1, (buffer_rows - window) / dw.stride_h + 1);
  // Enough tasks for every thread to take a few; a band boundary recomputes a window of rows.
  const int64_t concurrency = current_concurrency();
  const int64_t want = std::max<int64_t>(1, (4 * concurrency + dw.batch * runs - 1) / (dw.batch * runs));
  // Equal shares for the threads: 3 runs x 3 bands would leave one thread 5 tasks, the other 4.
  int64_t bands = std::min(dw.out_h, concurrency > 1 ? want : 1);
  while (concurrency > 1 && bands < dw.out_h && bands < 2 * want && (dw.batch * runs * bands) % concurrency != 0) ++bands;
  const int64_t band_rows = (dw.out_h + bands - 1) / bands;
  const int64_t units = dw.batch * runs * bands;

  parallel_for(0, units, 1, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> buffer;
    const size_t need = static_cast<size_t>(run_blocks * buffer_rows * W * B);
    if (buffer.size() < need) buffer.resize(need);
    for (int64_t u = begin; u < end; ++u) {
      const int64_t band = u % bands, run = (u / bands) % runs, n = u / bands / runs;
      Band b;
      b.first_block = run_list[static_cast<size_t>(run)].first;
      b.blocks = run_list[static_cast<size_t>(run)].second;
      b.oh0 = band * band_rows;
      b.oh1 = std::min(dw.out_h, b.oh0 + band_rows);
      if (b.oh0 >= b.oh1) continue;
      const int64_t plane = buffer_rows * W * B;  // floats per block in the buffer
      NchwcTile t;
      const int64_t tap0 = 0;
      t.tap_offsets = &tap0;
      t.taps = 1;
      t.ic_blocks = in_blocks;
      t.tail_ics = tail_ics;
      t.x_block_stride = H * W * B;
      t.w_block_stride = w_block;
      t.y_block_stride = plane;
      t.blocks = static_cast<int>(b.blocks);
      t.lo = pw.act_lo;
      t.hi = pw.act_hi;
      t.bias = pw_w.bias.data() + b.first_block * B;
      t.w = pw_w.w.data() + b.first_block * w_block;
      const float* x_image = x + n * in_blocks * H * W * B;
      const int max_pixels = kNchwcMaxPixels[b.blocks];
      const bool avx2_tiles = tile == nchwc_conv_tile__avx2;  // rows cut as dense_conv cuts them
      int64_t have0 = 0, have1 = 0;  // input rows in the buffer, from its start
      for (int64_t oh0 = b.oh0; oh0 < b.oh1; oh0 += chunk_out_rows) {
        const int64_t oh1 = std::min(b.oh1, oh0 + chunk_out_rows);
        int64_t r0 = 0, r1 = 0;
        rows_read(dw, oh0, oh1, r0, r1);
        // Rows already expanded move to the buffer's start; the rest are computed after them.
        int64_t from = r0;
        if (have1 > r0 && have0 <= r0) {
          const int64_t keep = have1 - r0;
          for (int64_t bi = 0; bi < b.blocks; ++bi) {
            float* p = buffer.data() + bi * plane;
            std::memmove(p, p + (r0 - have0) * W * B, static_cast<size_t>(keep * W * B) * sizeof(float));
          }
          from = have1;
        }
        have0 = r0, have1 = r1;
        // The 1x1 conv over the rows' pixels, contiguous in x and in the buffer.
        const int64_t px1 = (r1 - r0) * W;
        for (int64_t px = (from - r0) * W; px < px1;) {
          t.pixels = static_cast<int>(avx2_tiles ? nchwc_avx2_tile_pixels(px1 - px) : std::min<int64_t>(max_pixels, px1 - px));
          t.x = x_image + (r0 * W + px) * B;
          t.y = buffer.data() + px * B;
          tile(t);
          px += t.pixels;
        }
        for (int64_t bi = 0; bi < b.blocks; ++bi) {
          const int64_t cb = b.first_block + bi;
          NchwcDepthwiseRow row;
          row.x = buffer.data() + bi * plane;
          row.row0 = r0;
          row.w = dw_w.w.data() + cb * taps * B;
          row.bias = dw_w.bias.data() + cb * B;
          for (int64_t oh = oh0; oh < oh1; ++oh) {
            row.y = y + ((n * blocks + cb) * dw.out_h + oh) * dw.out_w * B;
            row.oh = oh;
            depthwise(dw, row);
          }
        }
      }
    }
  });
}

void nchwc_pointwise_depthwise(const NchwcConvParams& pw, const NchwcPackedWeights& pw_w, const NchwcConvParams& dw,
                               const NchwcPackedWeights& dw_w, const float* x, float* y) {
  static const NchwcTileFn tile = active_isa() == Isa::Avx512 ? nchwc_conv_tile__avx512
                                  : active_isa() == Isa::Avx2   ? nchwc_conv_tile__avx2
                                                                : nchwc_conv_tile__scalar;
  static const NchwcDepthwiseFn depthwise = active_isa() == Isa::Avx512 ? nchwc_depthwise_row__avx512
                                            : active_isa() == Isa::Avx2   ? nchwc_depthwise_row__avx2
                                                                          : nchwc_depthwise_row__scalar;
  nchwc_pointwise_depthwise_with(pw, pw_w, dw, dw_w, x, y, tile, depthwise);
}

}  // namespace onnxi::kernels
