// BMP, decoded by hand: the Windows BITMAPINFOHEADER and its V2-V5 extensions, the OS/2 1.x core
// header (12 bytes) and OS/2 2.x (64 bytes, read through its BITMAPINFOHEADER prefix); 1/2/4/8-bit
// palettes, RLE8 and RLE4, 16/24/32-bit direct colour with the default layouts or bit-field masks.
// Embedded JPEG/PNG payloads (compression 4 and 5) are refused. Rows are stored bottom-up unless the
// height is negative; every row is padded to 4 bytes.
#include <bit>
#include <cstdio>

#include "ops/vision/extra/image_codecs.h"

namespace onnxi::ops::image {
namespace {

constexpr uint32_t kRgb = 0, kRle8 = 1, kRle4 = 2, kBitFields = 3, kAlphaBitFields = 6;

uint32_t u16le(const uint8_t* p) { return p[0] | (p[1] << 8); }
uint32_t u32le(const uint8_t* p) {
  return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
}
int32_t i32le(const uint8_t* p) { return static_cast<int32_t>(u32le(p)); }

// Throws unless bytes [offset, offset + length) lie inside the file.
void need(size_t size, uint64_t offset, uint64_t length, const char* what) {
  if (offset > size || length > size - offset) {
    throw DecodeError(cat("the file is truncated or corrupt: the ", what, " needs bytes ", offset, "..",
                          offset + length, " but the file has ", size));
  }
}

// One colour channel of a bit-field layout, scaled to 8 bits as Pillow's unpackers do.
struct Channel {
  uint32_t mask = 0;
  int shift = 0;
  int bits = 0;

  explicit Channel(uint32_t m) : mask(m) {
    if (!m) return;
    shift = std::countr_zero(m);
    bits = std::popcount(m);
    if ((m >> shift) != (bits == 32 ? ~0u : (1u << bits) - 1)) {
      char hex[16];
      std::snprintf(hex, sizeof hex, "0x%08x", m);
      throw DecodeError(cat("the colour mask ", hex, " is not one run of bits"));
    }
  }
  uint8_t operator()(uint32_t v) const {
    if (!bits) return 0;
    const uint32_t x = (v & mask) >> shift;
    if (bits >= 8) return static_cast<uint8_t>(x >> (bits - 8));
    return static_cast<uint8_t>(x * 255 / ((1u << bits) - 1));
  }
};

// RLE8/RLE4 into one palette index per pixel, in file row order (row 0 is the first stored).
void decode_rle(const uint8_t* p, size_t n, int bpp, int64_t w, int64_t h, std::vector<uint8_t>& index) {
  int64_t x = 0, y = 0;
  size_t i = 0;
  auto put = [&](uint8_t v) {
    if (x < w && y < h) index[static_cast<size_t>(y * w + x)] = v;
    ++x;
  };
  auto take = [&](size_t count) {
    if (count > n - i) throw DecodeError("the RLE pixel data ends before its end-of-bitmap marker");
    const uint8_t* at = p + i;
    i += count;
    return at;
  };
  for (;;) {
    const uint8_t* pair = take(2);
    const uint8_t count = pair[0], value = pair[1];
    if (count > 0) {  // a run: one index (RLE8) or two alternating nibbles (RLE4)
      for (int k = 0; k < count; ++k) put(bpp == 8 ? value : (k % 2 == 0 ? value >> 4 : value & 15));
      continue;
    }
    if (value == 0) {  // end of line
      x = 0;
      ++y;
    } else if (value == 1) {  // end of bitmap
      return;
    } else if (value == 2) {  // move right and up
      const uint8_t* delta = take(2);
      x += delta[0];
      y += delta[1];
    } else {  // `value` literal indices, padded to an even byte count
      const size_t bytes = bpp == 8 ? value : (value + 1) / 2;
      const uint8_t* lit = take(bytes + (bytes & 1));
      for (int k = 0; k < value; ++k) put(bpp == 8 ? lit[k] : (k % 2 == 0 ? lit[k / 2] >> 4 : lit[k / 2] & 15));
    }
  }
}

}  // namespace

DecodedImage decode_bmp(const uint8_t* data, size_t size) {
  need(size, 0, 18, "file header");
  const uint32_t pixel_offset = u32le(data + 10);
  const uint32_t header_size = u32le(data + 14);
  const bool core = header_size == 12;
  int64_t width = 0, height = 0;
  uint32_t bpp = 0, compression = kRgb, colors_used = 0;
  if (core) {
    need(size, 14, 12, "BITMAPCOREHEADER");
    width = u16le(data + 18);
    height = u16le(data + 20);
    bpp = u16le(data + 24);
  } else if (header_size == 40 || header_size == 52 || header_size == 56 || header_size == 64 ||
             header_size == 108 || header_size == 124) {
    need(size, 14, 40, "BITMAPINFOHEADER");
    width = i32le(data + 18);
    height = i32le(data + 22);
    bpp = u16le(data + 28);
    compression = u32le(data + 30);
    colors_used = u32le(data + 46);
  } else {
    throw DecodeError(cat("the DIB header is ", header_size,
                          " bytes; onnxi reads the 12, 40, 52, 56, 64, 108 and 124-byte variants"));
  }
  const bool top_down = height < 0;
  if (top_down) height = -height;
  check_image_size(width, height);

  const bool palette_bpp = bpp == 1 || bpp == 2 || bpp == 4 || bpp == 8;
  const bool supported = (palette_bpp && (compression == kRgb || (compression == kRle8 && bpp == 8) ||
                                          (compression == kRle4 && bpp == 4))) ||
                         (bpp == 24 && compression == kRgb) ||
                         ((bpp == 16 || bpp == 32) &&
                          (compression == kRgb || compression == kBitFields || compression == kAlphaBitFields));
  if (!supported) {
    throw DecodeError(cat(bpp, " bits per pixel with compression ", compression,
                          " is not supported (onnxi reads 1/2/4/8-bit palettes, RLE4, RLE8 and 16/24/32-bit ",
                          "RGB or bit fields; not embedded JPEG/PNG)"));
  }

  // Direct colour: the masks follow the 40-byte header, or are its V2+ fields (the same offset).
  uint32_t masks[3] = {0x7C00, 0x03E0, 0x001F};  // 16-bit default: 5-5-5
  if (bpp == 32) masks[0] = 0xFF0000, masks[1] = 0xFF00, masks[2] = 0xFF;
  if (compression == kBitFields || compression == kAlphaBitFields) {
    need(size, 54, 12, "colour masks");
    for (int c = 0; c < 3; ++c) masks[c] = u32le(data + 54 + 4 * c);
  }
  const Channel red(masks[0]), green(masks[1]), blue(masks[2]);

  uint8_t palette[256][3] = {};  // indices past the palette read as black
  if (palette_bpp) {
    uint64_t entries = colors_used ? colors_used : (1u << bpp);
    if (entries > 256) entries = 256;
    const size_t entry_size = core ? 3 : 4;  // BGR or BGRX
    const uint64_t at = 14 + uint64_t{header_size};
    need(size, at, entries * entry_size, "palette");
    for (uint64_t k = 0; k < entries; ++k) {
      const uint8_t* e = data + at + k * entry_size;
      palette[k][0] = e[2], palette[k][1] = e[1], palette[k][2] = e[0];
    }
  }
  need(size, pixel_offset, 0, "pixel data");

  DecodedImage img;
  img.allocate(height, width, 3);
  auto out_row = [&](int64_t file_row) {
    return img.pixels.data() + (top_down ? file_row : height - 1 - file_row) * width * 3;
  };
  auto put_index = [&](uint8_t* dst, uint32_t idx) {
    dst[0] = palette[idx][0], dst[1] = palette[idx][1], dst[2] = palette[idx][2];
  };

  if (compression == kRle8 || compression == kRle4) {
    std::vector<uint8_t> index(static_cast<size_t>(width * height), 0);
    decode_rle(data + pixel_offset, size - pixel_offset, static_cast<int>(bpp), width, height, index);
    for (int64_t r = 0; r < height; ++r) {
      uint8_t* dst = out_row(r);
      for (int64_t x = 0; x < width; ++x) put_index(dst + 3 * x, index[static_cast<size_t>(r * width + x)]);
    }
    return img;
  }

  const uint64_t bits_per_row = static_cast<uint64_t>(width) * bpp;
  const uint64_t stride = (bits_per_row + 31) / 32 * 4;
  need(size, pixel_offset, stride * static_cast<uint64_t>(height - 1) + (bits_per_row + 7) / 8, "pixel data");
  for (int64_t r = 0; r < height; ++r) {
    const uint8_t* src = data + pixel_offset + static_cast<uint64_t>(r) * stride;
    uint8_t* dst = out_row(r);
    for (int64_t x = 0; x < width; ++x, dst += 3) {
      switch (bpp) {
        case 24:
          dst[0] = src[3 * x + 2], dst[1] = src[3 * x + 1], dst[2] = src[3 * x];
          break;
        case 16:
        case 32: {
          const uint32_t v = bpp == 16 ? u16le(src + 2 * x) : u32le(src + 4 * x);
          dst[0] = red(v), dst[1] = green(v), dst[2] = blue(v);
          break;
        }
        default: {  // palette: pixels packed most significant bits first
          const uint64_t bit = static_cast<uint64_t>(x) * bpp;
          const uint32_t idx = (src[bit / 8] >> (8 - bpp - bit % 8)) & ((1u << bpp) - 1);
          put_index(dst, idx);
        }
      }
    }
  }
  return img;
}

}  // namespace onnxi::ops::image
