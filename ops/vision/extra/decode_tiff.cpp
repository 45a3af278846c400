// TIFF through libtiff, reading the first image of the file with its RGBA interface
// (TIFFReadRGBAImageOriented), which handles the strip/tile layouts, compressions, bit depths and
// photometric interpretations libtiff knows, and gives 8-bit RGBA top-left first; alpha is dropped.
// The bytes are served from memory through TIFFClientOpen. Error messages are collected per call
// (libtiff >= 4.5 lets a handle have its own handler) rather than printed on stderr.
#include "ops/vision/extra/image_codecs.h"

#if ONNXI_WITH_LIBTIFF
#include <tiffio.h>

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <memory>
#endif

namespace onnxi::ops::image {

#if ONNXI_WITH_LIBTIFF
namespace {

struct TiffMemory {
  const uint8_t* data;
  uint64_t size;
  uint64_t pos;
};

tmsize_t tiff_read(thandle_t h, void* buf, tmsize_t n) {
  auto* m = static_cast<TiffMemory*>(h);
  if (n <= 0 || m->pos >= m->size) return 0;
  const uint64_t count = std::min<uint64_t>(static_cast<uint64_t>(n), m->size - m->pos);
  std::memcpy(buf, m->data + m->pos, count);
  m->pos += count;
  return static_cast<tmsize_t>(count);
}

tmsize_t tiff_write(thandle_t, void*, tmsize_t) { return 0; }

toff_t tiff_seek(thandle_t h, toff_t offset, int whence) {
  auto* m = static_cast<TiffMemory*>(h);
  const int64_t base = whence == SEEK_CUR ? static_cast<int64_t>(m->pos)
                       : whence == SEEK_END ? static_cast<int64_t>(m->size)
                                            : 0;
  const int64_t target = base + static_cast<int64_t>(offset);  // SEEK_CUR/END offsets may be negative
  if (target < 0) return static_cast<toff_t>(-1);
  m->pos = static_cast<uint64_t>(target);  // past the end is allowed; reads there return nothing
  return m->pos;
}

int tiff_close(thandle_t) { return 0; }
toff_t tiff_size(thandle_t h) { return static_cast<TiffMemory*>(h)->size; }
int tiff_map(thandle_t, void**, toff_t*) { return 0; }  // no mapping: reads go through tiff_read
void tiff_unmap(thandle_t, void*, toff_t) {}

struct TiffMessage {
  char text[512] = "";
};

#if TIFFLIB_VERSION >= 20221213
int on_tiff_error(TIFF*, void* user, const char* module, const char* fmt, va_list args) {
  auto* message = static_cast<TiffMessage*>(user);
  if (!message->text[0]) std::vsnprintf(message->text, sizeof message->text, fmt, args);  // keep the first
  return 1;  // handled: nothing on stderr
}
int on_tiff_warning(TIFF*, void*, const char*, const char*, va_list) { return 1; }
#endif

TIFF* open_tiff(TiffMemory& memory, TiffMessage& message) {
#if TIFFLIB_VERSION >= 20221213
  TIFFOpenOptions* options = TIFFOpenOptionsAlloc();
  TIFFOpenOptionsSetErrorHandlerExtR(options, on_tiff_error, &message);
  TIFFOpenOptionsSetWarningHandlerExtR(options, on_tiff_warning, nullptr);
  TIFF* tif = TIFFClientOpenExt("ImageDecoder input", "rm", &memory, tiff_read, tiff_write, tiff_seek, tiff_close,
                                tiff_size, tiff_map, tiff_unmap, options);
  TIFFOpenOptionsFree(options);
  return tif;
#else
  (void)message;  // older libtiff: only process-wide handlers, left as they are
  return TIFFClientOpen("ImageDecoder input", "rm", &memory, tiff_read, tiff_write, tiff_seek, tiff_close,
                        tiff_size, tiff_map, tiff_unmap);
#endif
}

}  // namespace

DecodedImage decode_tiff(const uint8_t* data, size_t size) {
  TiffMemory memory{data, size, 0};
  TiffMessage message;
  auto failure = [&](const char* fallback) {
    return DecodeError(cat("libtiff: ", message.text[0] ? message.text : fallback));
  };
  std::unique_ptr<TIFF, void (*)(TIFF*)> tif(open_tiff(memory, message), TIFFClose);
  if (!tif) throw failure("cannot read the header");
  uint32_t width = 0, height = 0;
  if (!TIFFGetField(tif.get(), TIFFTAG_IMAGEWIDTH, &width) || !TIFFGetField(tif.get(), TIFFTAG_IMAGELENGTH, &height)) {
    throw failure("the first image has no width or height tag");
  }
  check_image_size(width, height);
  std::vector<uint32_t> rgba(size_t{width} * height);
  if (!TIFFReadRGBAImageOriented(tif.get(), width, height, rgba.data(), ORIENTATION_TOPLEFT, 1)) {
    throw failure("cannot decode the pixel data");
  }
  DecodedImage img;
  img.allocate(height, width, 3);
  uint8_t* out = img.pixels.data();
  for (uint32_t p : rgba) {
    *out++ = static_cast<uint8_t>(TIFFGetR(p));
    *out++ = static_cast<uint8_t>(TIFFGetG(p));
    *out++ = static_cast<uint8_t>(TIFFGetB(p));
  }
  return img;
}

#else

DecodedImage decode_tiff(const uint8_t*, size_t) { fail_missing_codec("TIFF", "libtiff", "libtiff-dev"); }

#endif

}  // namespace onnxi::ops::image
