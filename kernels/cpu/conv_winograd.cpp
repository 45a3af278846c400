// Winograd convolution: the choice rule, the weight transform, the driver that cuts images into tile
// groups and tasks, and the portable transforms and product (the AVX-512 ones' twins; tests hold
// both to nchwc_conv2d_reference).
#include "kernels/cpu/conv_winograd.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "kernels/cpu/cpu_features.h"
#include "kernels/cpu/large_buffer.h"
#include "kernels/cpu/parallel.h"
#include "onnxi/error.h"

namespace onnxi::kernels {
namespace {

constexpr int64_t B = kNchwcBlock;

// Transform matrices: rows of B^T, of G and of A^T. F(4,3) interpolates at 0, 1, -1, 2, -1/2 and
// infinity instead of Lavin & Gray's 0, +-1, +-2: the float error of the products' sums, which the
// output transform amplifies, is then about 3x smaller (measured 39 vs 114 ulp of max |y| in a
// float simulation at 256 channels, and in the "accuracy" test), for 4 more adds per 1-D input
// transform. Rows are scaled (the scale moved into G) so that the transforms need few operations.
constexpr float kF43Bt[6][6] = {{1, 1.5f, -2, -1.5f, 1, 0}, {0, 1, 2.5f, 0.5f, -1, 0}, {0, 1, 0.5f, -2.5f, 1, 0},
                                {0, 1, 2, -1, -2, 0},       {0, 2, -1, -2, 1, 0},     {0, 1, 1.5f, -2, -1.5f, 1}};
constexpr float kF43G[6][3] = {{1, 0, 0},
                               {1.f / 3, 1.f / 3, 1.f / 3},
                               {1.f / 3, -1.f / 3, 1.f / 3},
                               {-1.f / 30, -1.f / 15, -2.f / 15},
                               {-2.f / 15, 1.f / 15, -1.f / 30},
                               {0, 0, 1}};
constexpr float kF43At[4][6] = {{1, 1, 1, 1, 8, 0}, {0, 1, -1, 2, -4, 0}, {0, 1, 1, 4, 2, 0}, {0, 1, -1, 8, -1, 1}};
constexpr float kF23Bt[4][4] = {{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}};
constexpr float kF23G[4][3] = {{1, 0, 0}, {0.5f, 0.5f, 0.5f}, {0.5f, -0.5f, 0.5f}, {0, 0, 1}};
constexpr float kF23At[2][4] = {{1, 1, 1, 0}, {0, 1, -1, -1}};

struct Matrices {
  int m, a;  // output tile side, input tile side (m + 2)
  const float* bt;  // [a][a]
  const float* g;   // [a][3]
  const float* at;  // [m][a]
};

Matrices matrices(int m) {
  if (m == 4) return {4, 6, &kF43Bt[0][0], &kF43G[0][0], &kF43At[0][0]};
  return {2, 4, &kF23Bt[0][0], &kF23G[0][0], &kF23At[0][0]};
}

float clamp_keep_nan(float v, float lo, float hi) {
  if (v < lo) v = lo;
  if (v > hi) v = hi;
  return v;
}

// ---- portable kernels --------------------------------------------------------------------------

void input_scalar(const WinogradInputJob& j) {
  const Matrices mt = matrices(j.m);
  const int a = mt.a;
  const int64_t xi_stride = j.in_blocks * j.tiles * B;
  float d[6][6][16], t[6][6][16];
  for (int64_t tl = 0; tl < j.tiles; ++tl) {
    const int64_t tile = j.tile0 + tl;
    const int64_t ih0 = (tile / j.tiles_w) * j.m - j.pad_top, iw0 = (tile % j.tiles_w) * j.m - j.pad_left;
    const int64_t cb_end = j.cb_end < 0 ? j.in_blocks : j.cb_end;
    for (int64_t cb = j.cb_begin; cb < cb_end; ++cb) {
      const float* xb = j.x + cb * j.in_h * j.in_w * B;
      for (int r = 0; r < a; ++r) {
        for (int c = 0; c < a; ++c) {
          const int64_t ih = ih0 + r, iw = iw0 + c;
          const bool in = ih >= 0 && ih < j.in_h && iw >= 0 && iw < j.in_w;
          for (int l = 0; l < B; ++l) d[r][c][l] = in ? xb[(ih * j.in_w + iw) * B + l] : 0.f;
        }
      }
      // t = B^T d, then v = t B.
      for (int r = 0; r < a; ++r) {
        for (int c = 0; c < a; ++c) {
          for (int l = 0; l < B; ++l) {
            float s = 0;
            for (int k = 0; k < a; ++k) s += mt.bt[r * a + k] * d[k][c][l];
            t[r][c][l] = s;
          }
        }
      }
      for (int r = 0; r < a; ++r) {
        for (int c = 0; c < a; ++c) {
          float* out = j.v + (r * a + c) * xi_stride + (cb * j.tiles + tl) * B;
          for (int l = 0; l < B; ++l) {
            float s = 0;
            for (int k = 0; k < a; ++k) s += t[r][k][l] * mt.bt[c * a + k];
            out[l] = s;
          }
        }
      }
    }
  }
}

void gemm_scalar(const WinogradGemmJob& j) {
  const int64_t v_xi = j.in_blocks * j.tiles * B, m_xi = j.blocks * j.tiles * B, u_ob = j.in_blocks * B * B;
  for (int64_t xi = 0; xi < j.xis; ++xi) {
    for (int b = 0; b < j.blocks; ++b) {
      const float* u = j.u + xi * j.u_xi_stride + b * u_ob;
      for (int64_t tl = 0; tl < j.tiles; ++tl) {
        float acc[16] = {};
        for (int64_t cb = 0; cb < j.in_blocks; ++cb) {
          const float* v = j.v + xi * v_xi + (cb * j.tiles + tl) * B;
          for (int ic = 0; ic < B; ++ic) {
            for (int l = 0; l < B; ++l) acc[l] += v[ic] * u[(cb * B + ic) * B + l];
          }
        }
        std::memcpy(j.m + xi * m_xi + (b * j.tiles + tl) * B, acc, sizeof(acc));
      }
    }
  }
}

void output_scalar(const WinogradOutputJob& j) {
  const Matrices mt = matrices(j.m_side);
  const int a = mt.a, m = mt.m;
  const int64_t xi_stride = j.blocks * j.tiles * B, y_block = j.out_h * j.out_w * B;
  float t[4][6][16];
  for (int64_t tl = 0; tl < j.tiles; ++tl) {
    const int64_t tile = j.tile0 + tl;
    const int64_t oh0 = (tile / j.tiles_w) * m, ow0 = (tile % j.tiles_w) * m;
    for (int b = 0; b < j.blocks; ++b) {
      const float* mb = j.m + (b * j.tiles + tl) * B;
      for (int r = 0; r < m; ++r) {
        for (int c = 0; c < a; ++c) {
          for (int l = 0; l < B; ++l) {
            float s = 0;
            for (int k = 0; k < a; ++k) s += mt.at[r * a + k] * mb[(k * a + c) * xi_stride + l];
            t[r][c][l] = s;
          }
        }
      }
      for (int r = 0; r < m && oh0 + r < j.out_h; ++r) {
        for (int c = 0; c < m && ow0 + c < j.out_w; ++c) {
          const int64_t at = b * y_block + ((oh0 + r) * j.out_w + ow0 + c) * B;
          for (int l = 0; l < B; ++l) {
            float s = 0;
            for (int k = 0; k < a; ++k) s += t[r][k][l] * mt.at[c * a + k];
            s += j.bias[b * B + l];
            if (j.sum != nullptr) s += j.sum[at + l];
            j.y[at + l] = clamp_keep_nan(s, j.lo, j.hi);
          }
        }
      }
    }
  }
}

void weights_scalar(const WinogradWeightJob& j) {
  const int a = j.a;
  for (int i = 0; i < 16; ++i) {
    float g[9][16] = {}, t[6][3][16];
    if (i < j.ics) {
      for (int l = 0; l < j.lanes; ++l) {
        for (int k = 0; k < 9; ++k) g[k][l] = j.w[l * j.oc_stride + i * 9 + k];
      }
    }
    for (int r = 0; r < a; ++r) {
      for (int c = 0; c < 3; ++c) {
        for (int l = 0; l < 16; ++l) t[r][c][l] = j.g[r * 3] * g[c][l] + j.g[r * 3 + 1] * g[3 + c][l] + j.g[r * 3 + 2] * g[6 + c][l];
      }
    }
    for (int r = 0; r < a; ++r) {
      for (int c = 0; c < a; ++c) {
        float* u = j.block + ((r * a + c) * B + i) * B;
        for (int l = 0; l < 16; ++l) u[l] = t[r][0][l] * j.g[c * 3] + t[r][1][l] * j.g[c * 3 + 1] + t[r][2][l] * j.g[c * 3 + 2];
      }
    }
  }
}

// ---- the switch and the tile groups ----------------------------------------------------------

using Mode = WinogradSwitch;

Mode read_mode() {
  const char* v = std::getenv("ONNXI_WINOGRAD");
  const Mode m = parse_winograd_switch(v);
  if (v != nullptr && m == Mode::Auto && std::strcmp(v, "1") != 0) {
    std::fprintf(stderr, "onnxi: ONNXI_WINOGRAD=%s is not one of 0, 1, f43, f23; using 1 (the measured rule)\n", v);
  }
  return m;
}

Mode mode() {
  static const Mode m = read_mode();
  return m;
}

// Tiles per group: the group's V and M stay in L2 (1 MiB per core here), but at least 16 tiles, so
// each pass over U (36 * C_in * C_out floats, from L3 or memory for the 256-channel convs) feeds 16
// rows of products.
constexpr int64_t kGroupBytes = 512 * 1024;
constexpr int64_t kMinGroupTiles = 16, kMaxGroupTiles = 64;

}  // namespace

WinogradBuffer::WinogradBuffer(size_t floats) : size_(floats) {
  if (floats == 0) return;
  const size_t bytes = floats * sizeof(float);
  data_ = std::unique_ptr<float[], Free>(static_cast<float*>(allocate_large(bytes)), Free{bytes});
}

void WinogradBuffer::Free::operator()(float* p) const noexcept { free_large(p, bytes); }

WinogradKernels winograd_kernels__scalar() { return {input_scalar, gemm_scalar, output_scalar, weights_scalar}; }

WinogradSwitch parse_winograd_switch(const char* value) noexcept {
  if (value == nullptr) return WinogradSwitch::Auto;
  if (std::strcmp(value, "0") == 0) return WinogradSwitch::Off;
  if (std::strcmp(value, "f43") == 0) return WinogradSwitch::F43;
  if (std::strcmp(value, "f23") == 0) return WinogradSwitch::F23;
  return WinogradSwitch::Auto;
}

bool winograd_enabled() noexcept { return mode() != Mode::Off; }

WinogradTile winograd_choice(const NchwcConvParams& p) {
  if (!winograd_enabled() || active_isa() < Isa::Avx2) return WinogradTile::None;
  if (p.nchw_input || p.groups != 1 || p.kernel_h != 3 || p.kernel_w != 3 || p.stride_h != 1 || p.stride_w != 1 ||
      p.dilation_h != 1 || p.dilation_w != 1) {
    return WinogradTile::None;
  }
  // From one block of channels on it pays (cold weights, 1 thread, 56x56: 16 channels direct 154 us,
  // F(4,3) 79; 32 channels 607 / 237); below, both kernels pay for a whole padded block anyway, and
  // the direct one is the measured default.
  if (p.in_channels < 16 || p.out_channels < 16) return WinogradTile::None;
  if (mode() == Mode::F43) return WinogradTile::F43;
  if (mode() == Mode::F23) return WinogradTile::F23;
  // Small images: F(4,3) leaves too few tiles to reuse its 4x weights (streamed from memory in a
  // whole model). Measured on this machine (bench_conv_winograd, "Cold": weights not in cache,
  // 1 thread, us): 512 channels 7x7: direct 2430, F(4,3) 2040 (4 tiles), F(2,3) 1570 (16 tiles).
  // 256 at 14x14: direct 2310, F(4,3) 955, F(2,3) 1110; 128 at 28: 2290 / 750 / 1190; 64 at 56:
  // 2330 / 770 / 1300.
  const int64_t tiles43 = ((p.in_h + 3) / 4) * ((p.in_w + 3) / 4);
  if (p.in_h > 0 && p.in_w > 0 && tiles43 < 8) return WinogradTile::F23;
  return WinogradTile::F43;
}

namespace {

const WinogradKernels& active_kernels() {
  static const WinogradKernels k = active_isa() == Isa::Avx512 ? winograd_kernels__avx512()
                                   : active_isa() == Isa::Avx2  ? winograd_kernels__avx2()
                                                                : winograd_kernels__scalar();
  return k;
}

}  // namespace

WinogradWeights pack_winograd_weights(const NchwcConvParams& p, WinogradTile tile, const float* w, const float* bias) {
  return pack_winograd_weights_with(p, tile, w, bias, active_kernels());
}

WinogradWeights pack_winograd_weights_with(const NchwcConvParams& p, WinogradTile tile, const float* w,
                                           const float* bias, const WinogradKernels& k) {
  ONNXI_CHECK(tile != WinogradTile::None && p.kernel_h == 3 && p.kernel_w == 3 && p.groups == 1, ErrorCode::Runtime,
              "pack_winograd_weights: needs a 3x3 group-1 conv and a tile size");
  WinogradWeights out;
  out.tile = tile;
  out.in_channels = p.in_channels;
  out.out_channels = p.out_channels;
  const Matrices mt = matrices(static_cast<int>(tile));
  const int a = mt.a;
  const int64_t ib = nchwc_blocks(p.in_channels), ob = nchwc_blocks(p.out_channels), cin = p.in_channels;
  out.bias.assign(static_cast<size_t>(ob * B), 0.f);
  if (bias != nullptr) std::copy(bias, bias + p.out_channels, out.bias.begin());
  out.u = WinogradBuffer(static_cast<size_t>(a * a * ob * ib * B * B));
  const int64_t xi_stride = ob * ib * B * B;
  // 16 output channels x 16 input channels at a time into a local [xi][16 ic][16 oc] block copied
  // out as one 1 KiB run per xi: storing each (ic, xi) vector straight into U meant 36 streams a
  // power-of-two stride apart, which thrash one cache set (64 ms for a 512-channel conv).
  std::vector<float> block(static_cast<size_t>(a * a * B * B));
  WinogradWeightJob job;
  job.g = mt.g, job.a = a, job.oc_stride = cin * 9, job.block = block.data();
  for (int64_t o = 0; o < ob; ++o) {
    job.lanes = static_cast<int>(std::min<int64_t>(B, p.out_channels - o * B));
    for (int64_t icb = 0; icb < ib; ++icb) {
      job.w = w + (o * B * cin + icb * B) * 9;
      job.ics = static_cast<int>(std::min<int64_t>(B, cin - icb * B));
      k.weights(job);
      for (int64_t xi = 0; xi < a * a; ++xi) {
        std::memcpy(out.u.data() + xi * xi_stride + (o * ib + icb) * B * B, block.data() + xi * B * B,
                    B * B * sizeof(float));
      }
    }
  }
  return out;
}

void winograd_conv2d_with(const NchwcConvParams& p, const WinogradWeights& w, const float* x, const float* sum,
                          float* y, const WinogradKernels& k) {
  ONNXI_CHECK(!p.nchw_input && p.groups == 1 && p.kernel_h == 3 && p.kernel_w == 3 && p.stride_h == 1 &&
                  p.stride_w == 1 && p.dilation_h == 1 && p.dilation_w == 1 && p.in_channels == w.in_channels &&
                  p.out_channels == w.out_channels && w.tile != WinogradTile::None,
              ErrorCode::Runtime,
              "Winograd convolution got a conv it was not packed for (needs 3x3, stride 1, dilation 1, group 1, a "
              "blocked input of ",
              w.in_channels, " channels); repack the weights for these attributes or set ONNXI_WINOGRAD=0");
  if (p.batch == 0 || p.out_h == 0 || p.out_w == 0) return;
  const int m = static_cast<int>(w.tile), a = m + 2;
  const int64_t xis = a * a;
  const int64_t ib = nchwc_blocks(p.in_channels), ob = nchwc_blocks(p.out_channels);
  const int64_t tiles_w = (p.out_w + m - 1) / m, tiles_h = (p.out_h + m - 1) / m, tiles = tiles_w * tiles_h;
  const int64_t per_tile_bytes = xis * (ib + 4) * B * int64_t{sizeof(float)};
  const int64_t cap = std::clamp(kGroupBytes / per_tile_bytes, kMinGroupTiles, kMaxGroupTiles);
  const int64_t groups = (tiles + cap - 1) / cap;
  const int64_t group_tiles = (tiles + groups - 1) / groups;
  // Output-block ranges when tile groups alone leave threads idle (ResNet's 14x14 convs are one
  // group); each range is whole 4-block products except the last.
  const int64_t concurrency = current_concurrency();
  const int64_t units_per_split = p.batch * groups;
  int64_t splits = 1;
  if (concurrency > 1) {
    splits = std::clamp<int64_t>((4 * concurrency + units_per_split - 1) / units_per_split, 1, (ob + 3) / 4);
  }
  const int64_t x_image = ib * p.in_h * p.in_w * B, y_image = ob * p.out_h * p.out_w * B;
  const int64_t y_block = p.out_h * p.out_w * B;
  const int64_t u_xi_stride = ob * ib * B * B;

  auto input_job = [&](int64_t n, int64_t tile0, int64_t count, float* v) {
    WinogradInputJob in;
    in.x = x + n * x_image;
    in.v = v;
    in.in_h = p.in_h, in.in_w = p.in_w, in.in_blocks = ib, in.pad_top = p.pad_top, in.pad_left = p.pad_left;
    in.tiles_w = tiles_w, in.tile0 = tile0, in.tiles = count, in.m = m;
    return in;
  };
  // With output-block ranges, each (image, group)'s inputs are transformed once, by all threads
  // over input-block ranges, before the products (else every range's task would redo them: 10-20%
  // of a 14x14 conv's time at 2 threads).
  const int64_t v_group = xis * ib * group_tiles * B;
  float* shared_v = nullptr;
  if (splits > 1) {
    thread_local std::vector<float> shared_buf;
    const size_t size = static_cast<size_t>(units_per_split * v_group);
    if (shared_buf.size() < size) shared_buf.resize(size);
    shared_v = shared_buf.data();
    const int64_t cb_chunks = std::clamp<int64_t>((2 * concurrency + units_per_split - 1) / units_per_split, 1, ib);
    parallel_for(0, units_per_split * cb_chunks, 1, [&](int64_t begin, int64_t end) {
      for (int64_t u = begin; u < end; ++u) {
        const int64_t ng = u / cb_chunks, c = u % cb_chunks, n = ng / groups, g = ng % groups;
        const int64_t tile0 = g * group_tiles, count = std::min(group_tiles, tiles - tile0);
        if (count <= 0) continue;
        WinogradInputJob in = input_job(n, tile0, count, shared_v + ng * v_group);
        in.cb_begin = c * ib / cb_chunks, in.cb_end = (c + 1) * ib / cb_chunks;
        k.input(in);
      }
    });
  }

  parallel_for(0, units_per_split * splits, 1, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> v_buf, m_buf;
    const size_t m_size = static_cast<size_t>(xis * 4 * group_tiles * B);
    if (shared_v == nullptr && v_buf.size() < static_cast<size_t>(v_group)) v_buf.resize(static_cast<size_t>(v_group));
    if (m_buf.size() < m_size) m_buf.resize(m_size);
    int64_t have = -1;  // the (image, group) whose inputs v_buf holds
    for (int64_t u = begin; u < end; ++u) {
      const int64_t ng = u / splits, split = u % splits, n = ng / groups, g = ng % groups;
      const int64_t tile0 = g * group_tiles, count = std::min(group_tiles, tiles - tile0);
      if (count <= 0) continue;
      const float* v = shared_v != nullptr ? shared_v + ng * v_group : v_buf.data();
      if (shared_v == nullptr && ng != have) {
        k.input(input_job(n, tile0, count, v_buf.data()));
        have = ng;
      }
      // This split's output blocks, in 4-block steps.
      const int64_t quads = (ob + 3) / 4;
      const int64_t q0 = split * quads / splits, q1 = (split + 1) * quads / splits;
      for (int64_t q = q0; q < q1; ++q) {
        const int64_t b0 = q * 4;
        const int blocks = static_cast<int>(std::min<int64_t>(4, ob - b0));
        WinogradGemmJob gj;
        gj.v = v;
        gj.u = w.u.data() + b0 * ib * B * B;
        gj.m = m_buf.data();
        gj.xis = xis, gj.in_blocks = ib, gj.tiles = count, gj.u_xi_stride = u_xi_stride, gj.blocks = blocks;
        k.gemm(gj);
        WinogradOutputJob oj;
        oj.m = m_buf.data();
        oj.bias = w.bias.data() + b0 * B;
        oj.sum = sum != nullptr ? sum + n * y_image + b0 * y_block : nullptr;
        oj.y = y + n * y_image + b0 * y_block;
        oj.out_h = p.out_h, oj.out_w = p.out_w, oj.tiles_w = tiles_w, oj.tile0 = tile0, oj.tiles = count;
        oj.blocks = blocks, oj.m_side = m, oj.lo = p.act_lo, oj.hi = p.act_hi;
        k.output(oj);
      }
    }
  });
}

void winograd_conv2d(const NchwcConvParams& p, const WinogradWeights& w, const float* x, const float* sum, float* y) {
  winograd_conv2d_with(p, w, x, sum, y, active_kernels());
}

}  // namespace onnxi::kernels
