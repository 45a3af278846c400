// PNM (Netpbm), decoded by hand: PBM (P1 plain, P4 raw), PGM (P2, P5) and PPM (P3, P6). The header
// is whitespace-separated decimal fields with '#' comments; a raw raster starts after exactly one
// whitespace byte. Samples are 1 byte when maxval < 256, else 2 bytes big-endian, and are scaled to
// 0..255 by rounding v * 255 / maxval. In PBM 1 is black. Samples above maxval are clamped to it.
#include "ops/vision/extra/image_codecs.h"

namespace onnxi::ops::image {
namespace {

class PnmReader {
 public:
  PnmReader(const uint8_t* data, size_t size) : d_(data), n_(size), i_(2) {}

  // The next decimal field of the header or of a plain raster, after whitespace and comments.
  uint32_t number(const char* what) {
    skip_space_and_comments();
    if (i_ >= n_ || d_[i_] < '0' || d_[i_] > '9') {
      throw DecodeError(i_ >= n_ ? cat("the file ends before the ", what)
                                 : cat("expected the ", what, " (a decimal number) at byte ", i_));
    }
    uint64_t v = 0;
    while (i_ < n_ && d_[i_] >= '0' && d_[i_] <= '9') {
      v = v * 10 + (d_[i_++] - '0');
      if (v > 0xFFFFFFFFu) throw DecodeError(cat("the ", what, " is too large"));
    }
    return static_cast<uint32_t>(v);
  }

  // A plain-PBM pixel: one '0' or '1', which need not be separated from the next.
  uint32_t bit() {
    skip_space_and_comments();
    if (i_ >= n_) throw DecodeError("the file ends inside the pixel data");
    const uint8_t c = d_[i_++];
    if (c != '0' && c != '1') throw DecodeError(cat("a plain PBM pixel must be 0 or 1, found byte ", int{c}));
    return c - '0';
  }

  // The raw raster: after the single whitespace byte that ends the header.
  const uint8_t* raster(size_t bytes) {
    if (i_ >= n_ || !is_space(d_[i_])) throw DecodeError("the header does not end with a whitespace byte");
    ++i_;
    if (bytes > n_ - i_) {
      throw DecodeError(cat("the file is truncated: the pixel data needs ", bytes, " bytes but ", n_ - i_,
                            " follow the header"));
    }
    return d_ + i_;
  }

 private:
  static bool is_space(uint8_t c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
  void skip_space_and_comments() {
    while (i_ < n_) {
      if (is_space(d_[i_])) {
        ++i_;
      } else if (d_[i_] == '#') {
        while (i_ < n_ && d_[i_] != '\n' && d_[i_] != '\r') ++i_;
      } else {
        break;
      }
    }
  }

  const uint8_t* d_;
  size_t n_;
  size_t i_;
};

}  // namespace

DecodedImage decode_pnm(const uint8_t* data, size_t size) {
  if (size < 2 || data[0] != 'P' || data[1] < '1' || data[1] > '6') throw DecodeError("no P1..P6 signature");
  const char kind = static_cast<char>(data[1]);
  const bool bitmap = kind == '1' || kind == '4';
  const bool plain = kind <= '3';
  const int channels = (kind == '3' || kind == '6') ? 3 : 1;
  PnmReader in(data, size);
  const int64_t width = in.number("width");
  const int64_t height = in.number("height");
  const uint32_t maxval = bitmap ? 1 : in.number("maxval");
  if (maxval == 0 || maxval > 65535) throw DecodeError(cat("maxval is ", maxval, "; it must be 1..65535"));
  check_image_size(width, height);

  DecodedImage img;
  img.allocate(height, width, channels);
  uint8_t* out = img.pixels.data();
  const size_t samples = img.pixels.size();
  auto scale = [maxval](uint32_t v) -> uint8_t {
    if (v > maxval) v = maxval;
    return static_cast<uint8_t>(maxval == 255 ? v : (v * 255 + maxval / 2) / maxval);
  };

  if (bitmap) {
    if (plain) {
      for (size_t k = 0; k < samples; ++k) out[k] = in.bit() ? 0 : 255;
    } else {
      const size_t row_bytes = static_cast<size_t>((width + 7) / 8);
      const uint8_t* src = in.raster(row_bytes * static_cast<size_t>(height));
      for (int64_t y = 0; y < height; ++y, src += row_bytes) {
        for (int64_t x = 0; x < width; ++x) *out++ = (src[x / 8] >> (7 - x % 8)) & 1 ? 0 : 255;
      }
    }
  } else if (plain) {
    for (size_t k = 0; k < samples; ++k) out[k] = scale(in.number("pixel value"));
  } else {
    const size_t sample_bytes = maxval > 255 ? 2 : 1;
    const uint8_t* src = in.raster(samples * sample_bytes);
    for (size_t k = 0; k < samples; ++k) {
      out[k] = scale(sample_bytes == 1 ? src[k] : (src[2 * k] << 8) | src[2 * k + 1]);
    }
  }
  return img;
}

}  // namespace onnxi::ops::image
