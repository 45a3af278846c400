// The image decoders behind ImageDecoder: one function per container format, each turning encoded
// bytes into 8-bit pixels, rows top to bottom, channels interleaved. BMP and PNM are decoded here by
// hand; the others wrap a codec library found at build time (decode_<format>.cpp compiles to a stub
// that says which package to install when its library is missing).
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "onnxi/error.h"

namespace onnxi::ops::image {

// What a decoder returns: gray (1 channel) when the source is gray, else RGB (3 channels). Alpha is
// dropped and palettes expanded, so callers only ever see these two layouts.
struct DecodedImage {
  int64_t height = 0;
  int64_t width = 0;
  int channels = 3;
  std::vector<uint8_t> pixels;  // height * width * channels

  void allocate(int64_t h, int64_t w, int c);
};

// Why bytes could not be decoded; the op adds the node and the format to the message.
class DecodeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The most pixels one image may have (about 268 million): a header claiming more is refused before
// anything is allocated, so a corrupt or hostile size field cannot exhaust memory.
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 28;

// Throws DecodeError unless 0 < width, 0 < height and width * height <= kMaxImagePixels.
void check_image_size(int64_t width, int64_t height);

DecodedImage decode_bmp(const uint8_t* data, size_t size);       // decode_bmp.cpp (by hand)
DecodedImage decode_pnm(const uint8_t* data, size_t size);       // decode_pnm.cpp (by hand)
DecodedImage decode_jpeg(const uint8_t* data, size_t size);      // decode_jpeg.cpp (libjpeg-turbo)
DecodedImage decode_png(const uint8_t* data, size_t size);       // decode_png.cpp (libpng)
DecodedImage decode_tiff(const uint8_t* data, size_t size);      // decode_tiff.cpp (libtiff)
DecodedImage decode_webp(const uint8_t* data, size_t size);      // decode_webp.cpp (libwebp)
DecodedImage decode_jpeg2000(const uint8_t* data, size_t size);  // decode_jpeg2000.cpp (OpenJPEG)

// The message of a decoder whose library this build lacks.
[[noreturn]] void fail_missing_codec(const char* format, const char* library, const char* debian_package);

}  // namespace onnxi::ops::image
