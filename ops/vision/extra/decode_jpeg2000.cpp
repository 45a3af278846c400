// JPEG 2000 (a JP2 file or a raw J2K codestream) through OpenJPEG, read from memory. One or two
// components give gray (the second is alpha), three or more give RGB from the first three; sYCC is
// converted to RGB (ITU-R 601 full range). Samples of any precision and signedness are scaled to
// 0..255. Subsampled components are upsampled by repetition to the first component's grid.
// OpenJPEG's messages go to our buffer, not stderr; truncated codestreams are errors (strict mode).
#include "ops/vision/extra/image_codecs.h"

#if ONNXI_WITH_OPENJPEG
#include <openjpeg.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#endif

namespace onnxi::ops::image {

#if ONNXI_WITH_OPENJPEG
namespace {

struct Jp2Memory {
  const uint8_t* data;
  uint64_t size;
  uint64_t pos;
};

OPJ_SIZE_T jp2_read(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* m = static_cast<Jp2Memory*>(user);
  if (m->pos >= m->size) return static_cast<OPJ_SIZE_T>(-1);  // OpenJPEG's end-of-stream
  const uint64_t count = std::min<uint64_t>(n, m->size - m->pos);
  std::memcpy(buffer, m->data + m->pos, count);
  m->pos += count;
  return static_cast<OPJ_SIZE_T>(count);
}

OPJ_OFF_T jp2_skip(OPJ_OFF_T n, void* user) {
  auto* m = static_cast<Jp2Memory*>(user);
  if (n < 0) {
    const uint64_t back = std::min<uint64_t>(static_cast<uint64_t>(-n), m->pos);
    m->pos -= back;
    return -static_cast<OPJ_OFF_T>(back);
  }
  const uint64_t count = std::min<uint64_t>(static_cast<uint64_t>(n), m->size - std::min(m->pos, m->size));
  m->pos += count;
  return static_cast<OPJ_OFF_T>(count);
}

OPJ_BOOL jp2_seek(OPJ_OFF_T offset, void* user) {
  auto* m = static_cast<Jp2Memory*>(user);
  if (offset < 0 || static_cast<uint64_t>(offset) > m->size) return OPJ_FALSE;
  m->pos = static_cast<uint64_t>(offset);
  return OPJ_TRUE;
}

struct Jp2Job {
  opj_stream_t* stream = nullptr;
  opj_codec_t* codec = nullptr;
  opj_image_t* image = nullptr;
  std::string message;

  Jp2Job() = default;
  Jp2Job(const Jp2Job&) = delete;
  Jp2Job& operator=(const Jp2Job&) = delete;
  ~Jp2Job() {
    if (image) opj_image_destroy(image);
    if (codec) opj_destroy_codec(codec);
    if (stream) opj_stream_destroy(stream);
  }
  [[noreturn]] void fail(const char* what) const {
    throw DecodeError(cat("OpenJPEG: ", what, message.empty() ? "" : ": ", message));
  }
};

void on_jp2_error(const char* msg, void* user) {
  auto* message = static_cast<std::string*>(user);
  if (!message->empty()) return;  // the first error says the most
  *message = msg;
  while (!message->empty() && (message->back() == '\n' || message->back() == ' ')) message->pop_back();
}

void on_jp2_quiet(const char*, void*) {}

// One component's sample at (x, y) of the output grid, as 0..255.
struct ComponentReader {
  const opj_image_comp_t* comp;
  int64_t out_w, out_h;
  int32_t offset;  // added to signed samples
  uint32_t max;    // (1 << prec) - 1

  explicit ComponentReader(const opj_image_comp_t& c, int64_t w, int64_t h)
      : comp(&c), out_w(w), out_h(h), offset(c.sgnd ? 1 << (c.prec - 1) : 0),
        max(c.prec >= 32 ? 0xFFFFFFFFu : (1u << c.prec) - 1) {}

  uint8_t operator()(int64_t x, int64_t y) const {
    const int64_t cx = comp->w == out_w ? x : x * comp->w / out_w;
    const int64_t cy = comp->h == out_h ? y : y * comp->h / out_h;
    int64_t v = static_cast<int64_t>(comp->data[cy * comp->w + cx]) + offset;
    v = std::clamp<int64_t>(v, 0, max);
    return static_cast<uint8_t>(max == 255 ? v : (v * 255 + max / 2) / max);
  }
};

uint8_t clamp_byte(double v) { return static_cast<uint8_t>(std::clamp(std::lround(v), 0L, 255L)); }

}  // namespace

DecodedImage decode_jpeg2000(const uint8_t* data, size_t size) {
  const bool raw_codestream = size >= 2 && data[0] == 0xFF && data[1] == 0x4F;
  Jp2Memory memory{data, size, 0};
  Jp2Job job;
  job.stream = opj_stream_create(OPJ_J2K_STREAM_CHUNK_SIZE, OPJ_TRUE);
  job.codec = opj_create_decompress(raw_codestream ? OPJ_CODEC_J2K : OPJ_CODEC_JP2);
  if (!job.stream || !job.codec) job.fail("out of memory");
  opj_stream_set_user_data(job.stream, &memory, nullptr);
  opj_stream_set_user_data_length(job.stream, size);
  opj_stream_set_read_function(job.stream, jp2_read);
  opj_stream_set_skip_function(job.stream, jp2_skip);
  opj_stream_set_seek_function(job.stream, jp2_seek);
  opj_set_error_handler(job.codec, on_jp2_error, &job.message);
  opj_set_warning_handler(job.codec, on_jp2_quiet, nullptr);
  opj_set_info_handler(job.codec, on_jp2_quiet, nullptr);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (!opj_setup_decoder(job.codec, &params)) job.fail("cannot set up the decoder");
#if OPJ_VERSION_MAJOR > 2 || (OPJ_VERSION_MAJOR == 2 && OPJ_VERSION_MINOR >= 5)
  opj_decoder_set_strict_mode(job.codec, OPJ_TRUE);  // older OpenJPEG: partial streams decode partially
#endif
  if (!opj_read_header(job.stream, job.codec, &job.image) || !job.image) job.fail("cannot read the header");
  const opj_image_t& header = *job.image;
  // Refuse huge or empty images before OpenJPEG allocates for them.
  check_image_size(int64_t{header.x1} - header.x0, int64_t{header.y1} - header.y0);
  if (header.numcomps == 0) job.fail("the image has no components");
  if (!opj_decode(job.codec, job.stream, job.image) || !opj_end_decompress(job.codec, job.stream)) {
    job.fail("cannot decode the codestream");
  }

  const opj_image_t& im = *job.image;
  const bool gray = im.numcomps < 3;
  const int channels = gray ? 1 : 3;
  if (im.color_space == OPJ_CLRSPC_CMYK || im.color_space == OPJ_CLRSPC_EYCC) {
    job.fail(im.color_space == OPJ_CLRSPC_CMYK ? "CMYK images are not supported" : "e-YCC images are not supported");
  }
  const int64_t width = im.comps[0].w, height = im.comps[0].h;
  for (int c = 0; c < channels; ++c) {
    const opj_image_comp_t& comp = im.comps[c];
    if (!comp.data || comp.w == 0 || comp.h == 0 || comp.prec == 0 || comp.prec > 31) {
      job.fail("a component has no samples or an unsupported precision");
    }
  }
  DecodedImage img;
  img.allocate(height, width, channels);
  uint8_t* out = img.pixels.data();
  if (gray) {
    const ComponentReader y(im.comps[0], width, height);
    for (int64_t r = 0; r < height; ++r) {
      for (int64_t x = 0; x < width; ++x) *out++ = y(x, r);
    }
    return img;
  }
  const ComponentReader c0(im.comps[0], width, height), c1(im.comps[1], width, height),
      c2(im.comps[2], width, height);
  const bool sycc = im.color_space == OPJ_CLRSPC_SYCC;
  for (int64_t r = 0; r < height; ++r) {
    for (int64_t x = 0; x < width; ++x, out += 3) {
      const uint8_t a = c0(x, r), b = c1(x, r), c = c2(x, r);
      if (!sycc) {
        out[0] = a, out[1] = b, out[2] = c;
        continue;
      }
      const double cb = b - 128.0, cr = c - 128.0;
      out[0] = clamp_byte(a + 1.402 * cr);
      out[1] = clamp_byte(a - 0.344136 * cb - 0.714136 * cr);
      out[2] = clamp_byte(a + 1.772 * cb);
    }
  }
  return img;
}

#else

DecodedImage decode_jpeg2000(const uint8_t*, size_t) {
  fail_missing_codec("JPEG 2000", "OpenJPEG", "libopenjp2-7-dev");
}

#endif

}  // namespace onnxi::ops::image
