// JPEG through libjpeg-turbo, with its default decoding (the accurate integer IDCT, JDCT_ISLOW, and
// "fancy" triangular chroma upsampling): the settings Pillow decodes with, and the upsampling the
// ImageDecoder spec describes, so results match the reference bit for bit. Gray JPEGs stay gray;
// CMYK/YCCK ones (Adobe, stored inverted) are turned into RGB as Pillow's CMYK -> RGB does.
//
// libjpeg reports fatal errors through error_exit, which must not return: it longjmps back to
// read_jpeg(). Everything read_jpeg() touches lives in the caller's JpegJob, so the jump skips no
// C++ destructor, and the caller's guard destroys the decompressor on both paths.
#include "ops/vision/extra/image_codecs.h"

#if ONNXI_WITH_LIBJPEG
#include <csetjmp>
#include <cstdio>  // jpeglib.h needs FILE

#include <jerror.h>
#include <jpeglib.h>
#endif

namespace onnxi::ops::image {

#if ONNXI_WITH_LIBJPEG
namespace {

struct JpegErrors {
  jpeg_error_mgr mgr;  // first, so libjpeg's err pointer is also ours
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

[[noreturn]] void on_jpeg_error(j_common_ptr cinfo) {
  auto* errors = reinterpret_cast<JpegErrors*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, errors->message);
  std::longjmp(errors->jump, 1);
}

// Warnings are ignored (libjpeg recovers from stray bytes between markers), except data that ends
// early: libjpeg would pad it with gray, and a half-gray image is a wrong answer, not a warning.
void on_jpeg_message(j_common_ptr cinfo, int level) {
  if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) on_jpeg_error(cinfo);
}

struct JpegJob {
  jpeg_decompress_struct cinfo{};
  JpegErrors errors{};
  std::vector<uint8_t> cmyk_row;
  DecodedImage image;

  JpegJob() = default;
  JpegJob(const JpegJob&) = delete;
  JpegJob& operator=(const JpegJob&) = delete;
  ~JpegJob() { jpeg_destroy_decompress(&cinfo); }  // safe on a struct never created (mem is null)
};

uint8_t mul255(unsigned a, unsigned b) { return static_cast<uint8_t>((a * b + 127) / 255); }

// Returns false after a libjpeg error (message in job.errors), true when job.image is complete.
// No C++ object may live here across a libjpeg call: the longjmp would skip its destructor. (C++
// exceptions, from allocate(), unwind normally.)
bool read_jpeg(JpegJob& job, const uint8_t* data, size_t size) {
  jpeg_decompress_struct& cinfo = job.cinfo;
  cinfo.err = jpeg_std_error(&job.errors.mgr);
  job.errors.mgr.error_exit = on_jpeg_error;
  job.errors.mgr.emit_message = on_jpeg_message;
  if (setjmp(job.errors.jump)) return false;
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  const bool gray = cinfo.jpeg_color_space == JCS_GRAYSCALE;
  cinfo.out_color_space = gray ? JCS_GRAYSCALE : cmyk ? JCS_CMYK : JCS_RGB;
  cinfo.dct_method = JDCT_ISLOW;
  cinfo.do_fancy_upsampling = TRUE;
  jpeg_start_decompress(&cinfo);
  job.image.allocate(cinfo.output_height, cinfo.output_width, gray ? 1 : 3);  // may throw: fine, no jump
  if (cmyk) job.cmyk_row.resize(static_cast<size_t>(cinfo.output_width) * 4);
  const size_t row_bytes = static_cast<size_t>(cinfo.output_width) * (gray ? 1 : 3);
  while (cinfo.output_scanline < cinfo.output_height) {
    uint8_t* out = job.image.pixels.data() + cinfo.output_scanline * row_bytes;
    JSAMPROW row = cmyk ? job.cmyk_row.data() : out;
    jpeg_read_scanlines(&cinfo, &row, 1);
    if (!cmyk) continue;
    // Adobe writes CMYK inverted (0 = full ink): then R = C'K'/255; otherwise (255-C)(255-K)/255.
    const bool inverted = cinfo.saw_Adobe_marker;
    for (JDIMENSION x = 0; x < cinfo.output_width; ++x) {
      const uint8_t* p = job.cmyk_row.data() + 4 * x;
      const unsigned k = inverted ? p[3] : 255 - p[3];
      for (int c = 0; c < 3; ++c) out[3 * x + c] = mul255(inverted ? p[c] : 255 - p[c], k);
    }
  }
  jpeg_finish_decompress(&cinfo);
  return true;
}

}  // namespace

DecodedImage decode_jpeg(const uint8_t* data, size_t size) {
  JpegJob job;
  if (!read_jpeg(job, data, size)) throw DecodeError(cat("libjpeg: ", job.errors.message));
  return std::move(job.image);
}

#else

DecodedImage decode_jpeg(const uint8_t*, size_t) { fail_missing_codec("JPEG", "libjpeg", "libjpeg62-turbo-dev"); }

#endif

}  // namespace onnxi::ops::image
