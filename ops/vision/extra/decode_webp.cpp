// WebP (lossy VP8, lossless VP8L, extended VP8X) through libwebp, decoded straight into our buffer
// as RGB with libwebp's default options (fancy chroma upsampling, as Pillow decodes); alpha is
// dropped. Animated WebP is refused: ImageDecoder returns one image.
#include "ops/vision/extra/image_codecs.h"

#if ONNXI_WITH_LIBWEBP
#include <webp/decode.h>
#endif

namespace onnxi::ops::image {

#if ONNXI_WITH_LIBWEBP
namespace {

const char* status_text(VP8StatusCode status) {
  switch (status) {
    case VP8_STATUS_OUT_OF_MEMORY: return "out of memory";
    case VP8_STATUS_INVALID_PARAM: return "invalid parameter";
    case VP8_STATUS_BITSTREAM_ERROR: return "the bitstream is corrupt";
    case VP8_STATUS_UNSUPPORTED_FEATURE: return "it uses a feature libwebp does not support";
    case VP8_STATUS_NOT_ENOUGH_DATA: return "the file is truncated";
    default: return "decoding failed";
  }
}

}  // namespace

DecodedImage decode_webp(const uint8_t* data, size_t size) {
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) throw DecodeError("libwebp: the library's ABI version does not match");
  VP8StatusCode status = WebPGetFeatures(data, size, &config.input);
  if (status != VP8_STATUS_OK) throw DecodeError(cat("libwebp: cannot read the header: ", status_text(status)));
  if (config.input.has_animation) throw DecodeError("animated WebP is not supported (ImageDecoder gives one image)");
  DecodedImage img;
  img.allocate(config.input.height, config.input.width, 3);
  config.output.colorspace = MODE_RGB;
  config.output.is_external_memory = 1;
  config.output.u.RGBA.rgba = img.pixels.data();
  config.output.u.RGBA.stride = config.input.width * 3;
  config.output.u.RGBA.size = img.pixels.size();
  status = WebPDecode(data, size, &config);
  WebPFreeDecBuffer(&config.output);  // external memory: frees nothing of ours
  if (status != VP8_STATUS_OK) throw DecodeError(cat("libwebp: ", status_text(status)));
  return img;
}

#else

DecodedImage decode_webp(const uint8_t*, size_t) { fail_missing_codec("WebP", "libwebp", "libwebp-dev"); }

#endif

}  // namespace onnxi::ops::image
