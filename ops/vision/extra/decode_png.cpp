// PNG through libpng: palettes expand to RGB, 1/2/4-bit gray to 8 bits, 16-bit samples keep their
// high byte (as Pillow does), alpha and tRNS are dropped, interlaced images are de-interlaced. Gamma
// and colour-profile chunks are ignored, as Pillow ignores them when decoding.
//
// libpng reports errors by calling our error function, which longjmps back to read_png(); as in
// decode_jpeg.cpp everything read_png() touches lives in the caller's PngJob, whose destructor
// frees libpng's structures on both paths.
#include "ops/vision/extra/image_codecs.h"

#if ONNXI_WITH_LIBPNG
#include <png.h>

#include <cstdio>
#include <cstring>
#endif

namespace onnxi::ops::image {

#if ONNXI_WITH_LIBPNG
namespace {

struct PngJob {
  png_structp png = nullptr;
  png_infop info = nullptr;
  const uint8_t* data = nullptr;
  size_t size = 0;
  size_t pos = 0;
  char message[256] = "unknown error";
  std::vector<png_bytep> rows;
  DecodedImage image;

  PngJob() = default;
  PngJob(const PngJob&) = delete;
  PngJob& operator=(const PngJob&) = delete;
  ~PngJob() { png_destroy_read_struct(&png, info ? &info : nullptr, nullptr); }
};

[[noreturn]] void on_png_error(png_structp png, png_const_charp message) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  std::snprintf(job->message, sizeof job->message, "%s", message);
  png_longjmp(png, 1);
}

void on_png_warning(png_structp, png_const_charp) {}  // benign (a known-bad sRGB profile, ...)

void read_from_memory(png_structp png, png_bytep out, png_size_t length) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  if (length > job->size - job->pos) png_error(png, "the file is truncated");
  std::memcpy(out, job->data + job->pos, length);
  job->pos += length;
}

// Returns false after a libpng error (message in job.message). No C++ object may live here across
// a libpng call: the longjmp would skip its destructor. (C++ exceptions unwind normally.)
bool read_png(PngJob& job) {
  if (setjmp(png_jmpbuf(job.png))) return false;
  png_set_read_fn(job.png, &job, read_from_memory);
  png_read_info(job.png, job.info);
  png_uint_32 width = 0, height = 0;
  int bit_depth = 0, color_type = 0;
  png_get_IHDR(job.png, job.info, &width, &height, &bit_depth, &color_type, nullptr, nullptr, nullptr);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(job.png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(job.png);
  if (bit_depth == 16) png_set_strip_16(job.png);
  png_set_strip_alpha(job.png);  // also the alpha that expanding a tRNS chunk would add
  png_set_interlace_handling(job.png);
  png_read_update_info(job.png, job.info);
  const int channels = png_get_channels(job.png, job.info);
  if (channels != 1 && channels != 3) png_error(job.png, "unexpected channel count after conversion");
  job.image.allocate(height, width, channels);
  job.rows.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) job.rows[y] = job.image.pixels.data() + size_t{y} * width * channels;
  png_read_image(job.png, job.rows.data());  // the trailing chunks (up to IEND) are not needed
  return true;
}

}  // namespace

DecodedImage decode_png(const uint8_t* data, size_t size) {
  PngJob job;
  job.data = data;
  job.size = size;
  job.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &job, on_png_error, on_png_warning);
  if (job.png) job.info = png_create_info_struct(job.png);
  if (!job.png || !job.info) throw DecodeError("libpng: out of memory");
  if (!read_png(job)) throw DecodeError(cat("libpng: ", job.message));
  return std::move(job.image);
}

#else

DecodedImage decode_png(const uint8_t*, size_t) { fail_missing_codec("PNG", "libpng", "libpng-dev"); }

#endif

}  // namespace onnxi::ops::image
