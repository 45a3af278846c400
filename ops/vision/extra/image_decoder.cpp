// ImageDecoder (opset 20): a 1-D uint8 tensor holding one encoded image (BMP, JPEG, JPEG 2000, PNG,
// PNM, TIFF or WebP, told apart by their leading bytes) to an (H, W, C) uint8 tensor, C = 3 for
// pixel_format RGB or BGR and 1 for Grayscale.
//
// The ONNX reference decodes with Pillow, so we follow Pillow where it has a choice: JPEG is decoded
// by libjpeg-turbo with its defaults (accurate integer IDCT, "fancy" chroma upsampling, the method
// the spec describes), and Grayscale from a colour image is Pillow's convert("L"),
// L = (19595 R + 38470 G + 7471 B + 32768) >> 16 (ITU-R 601 luma in 16-bit fixed point). A gray
// source is replicated for RGB/BGR. Where Pillow's output has no HWC reading (palette indices, a
// 2-D array for gray, a fourth alpha channel) we give the spec's layout: palettes are expanded and
// alpha dropped.
//
// The spec lets a decoder "return an empty matrix" for bytes it cannot decode; onnxi fails the run
// instead, with a message naming the node, the format and what is wrong, since an empty image
// downstream is a silent wrong answer.
#include <cstdio>
#include <string>

#include "ops/vision/extra/image_codecs.h"
#include "ops/vision/extra/vision_extra.h"

namespace onnxi::ops {

namespace image {

void DecodedImage::allocate(int64_t h, int64_t w, int c) {
  check_image_size(w, h);
  height = h;
  width = w;
  channels = c;
  pixels.assign(static_cast<size_t>(h * w * c), 0);
}

void check_image_size(int64_t width, int64_t height) {
  if (width <= 0 || height <= 0) {
    throw DecodeError(cat("the header gives a size of ", width, " x ", height, " pixels"));
  }
  if (width > kMaxImagePixels / height) {
    throw DecodeError(cat("the header gives a size of ", width, " x ", height, " pixels, more than the ",
                          kMaxImagePixels, " pixels onnxi decodes"));
  }
}

void fail_missing_codec(const char* format, const char* library, const char* debian_package) {
  throw DecodeError(cat("this build of libonnxi_extras has no ", format, " decoder: it was built without ",
                        library, "; install ", debian_package,
                        " (scripts/install-deps lists it), re-run cmake and rebuild"));
}

}  // namespace image

namespace {

using image::DecodedImage;

struct Format {
  const char* name;
  bool (*matches)(const uint8_t* d, size_t n);
  DecodedImage (*decode)(const uint8_t* data, size_t size);
};

bool starts_with(const uint8_t* d, size_t n, std::initializer_list<uint8_t> magic) {
  if (n < magic.size()) return false;
  size_t i = 0;
  for (uint8_t m : magic) {
    if (d[i++] != m) return false;
  }
  return true;
}

const Format kFormats[] = {
    {"JPEG", [](const uint8_t* d, size_t n) { return starts_with(d, n, {0xFF, 0xD8, 0xFF}); }, image::decode_jpeg},
    {"PNG", [](const uint8_t* d, size_t n) { return starts_with(d, n, {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}); },
     image::decode_png},
    {"BMP", [](const uint8_t* d, size_t n) { return starts_with(d, n, {'B', 'M'}); }, image::decode_bmp},
    {"TIFF",
     [](const uint8_t* d, size_t n) {
       return starts_with(d, n, {'I', 'I', 42, 0}) || starts_with(d, n, {'M', 'M', 0, 42}) ||
              starts_with(d, n, {'I', 'I', 43, 0}) || starts_with(d, n, {'M', 'M', 0, 43});  // 43: BigTIFF
     },
     image::decode_tiff},
    {"WebP",
     [](const uint8_t* d, size_t n) {
       return starts_with(d, n, {'R', 'I', 'F', 'F'}) && n >= 12 && starts_with(d + 8, n - 8, {'W', 'E', 'B', 'P'});
     },
     image::decode_webp},
    {"JPEG 2000",
     [](const uint8_t* d, size_t n) {
       return starts_with(d, n, {0, 0, 0, 12, 'j', 'P', ' ', ' ', '\r', '\n', 0x87, '\n'}) ||  // JP2 file
              starts_with(d, n, {0xFF, 0x4F, 0xFF, 0x51});                                  // raw codestream
     },
     image::decode_jpeg2000},
    {"PNM", [](const uint8_t* d, size_t n) { return n >= 2 && d[0] == 'P' && d[1] >= '1' && d[1] <= '6'; },
     image::decode_pnm},
};

std::string leading_bytes_hex(const uint8_t* d, size_t n) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < n && i < 12; ++i) {
    std::snprintf(buf, sizeof buf, i ? " %02x" : "%02x", d[i]);
    out += buf;
  }
  return out;
}

enum class PixelFormat { RGB, BGR, Grayscale };

PixelFormat parse_pixel_format(const KernelInit& init) {
  const std::string s = init.node.attr_string("pixel_format", "RGB");
  if (s == "RGB") return PixelFormat::RGB;
  if (s == "BGR") return PixelFormat::BGR;
  if (s == "Grayscale") return PixelFormat::Grayscale;
  init.fail(cat("attribute pixel_format is '", s, "'; it must be RGB, BGR or Grayscale"));
}

// Pillow's RGB -> L: ITU-R 601 weights in 16-bit fixed point, rounded.
inline uint8_t luma(const uint8_t* rgb) {
  return static_cast<uint8_t>((rgb[0] * 19595u + rgb[1] * 38470u + rgb[2] * 7471u + 0x8000u) >> 16);
}

void write_pixels(const DecodedImage& img, PixelFormat format, uint8_t* out) {
  const size_t count = static_cast<size_t>(img.height * img.width);
  const uint8_t* in = img.pixels.data();
  if (format == PixelFormat::Grayscale) {
    for (size_t i = 0; i < count; ++i) out[i] = img.channels == 1 ? in[i] : luma(in + 3 * i);
    return;
  }
  const bool swap = format == PixelFormat::BGR;
  for (size_t i = 0; i < count; ++i, out += 3) {
    if (img.channels == 1) {
      out[0] = out[1] = out[2] = in[i];
    } else {
      const uint8_t* p = in + 3 * i;
      out[0] = p[swap ? 2 : 0];
      out[1] = p[1];
      out[2] = p[swap ? 0 : 2];
    }
  }
}

class ImageDecoderKernel final : public Kernel {
 public:
  explicit ImageDecoderKernel(PixelFormat format) : format_(format) {}

  void compute(KernelContext& ctx) const override {
    const Tensor& x = ctx.input(0);
    const std::string& name = ctx.node().inputs[0];
    if (x.dtype() != DataType::UInt8 || x.rank() != 1) {
      ctx.fail(cat("input 0 ('", name, "') must be a 1-D uint8 tensor of encoded image bytes, got ", x.describe()));
    }
    const auto* data = x.data<uint8_t>();
    const auto size = static_cast<size_t>(x.numel());
    if (size == 0) ctx.fail(cat("input 0 ('", name, "') is empty: there is no image to decode"));
    const Format* format = nullptr;
    for (const Format& f : kFormats) {
      if (f.matches(data, size)) {
        format = &f;
        break;
      }
    }
    if (!format) {
      ctx.fail(cat("input 0 ('", name, "', ", size, " bytes starting ", leading_bytes_hex(data, size),
                   ") is not an image format ImageDecoder knows: BMP, JPEG, JPEG 2000, PNG, PNM (P1-P6), ",
                   "TIFF or WebP"));
    }
    DecodedImage img;
    try {
      img = format->decode(data, size);
    } catch (const image::DecodeError& e) {
      ctx.fail(cat("cannot decode the ", format->name, " image in input 0 ('", name, "', ", size,
                   " bytes): ", e.what()));
    }
    const int64_t channels = format_ == PixelFormat::Grayscale ? 1 : 3;
    Tensor& y = ctx.allocate_output(0, DataType::UInt8, {img.height, img.width, channels});
    write_pixels(img, format_, y.data<uint8_t>());
  }

 private:
  PixelFormat format_;
};

}  // namespace

void register_image_decoder(Registry& r) {
  OpDef def;
  def.op_type = "ImageDecoder";
  def.since_version = 20;
  def.types = "uint8";
  def.infer = [](InferContext& ctx) {
    const TypeInfo& x = ctx.input(0);
    if (x.is_tensor() && x.elem != DataType::Undefined && x.elem != DataType::UInt8) {
      ctx.fail(cat("input 0 is ", x.str(), "; ImageDecoder takes a 1-D uint8 tensor of encoded bytes"));
    }
    if (x.is_tensor() && x.has_shape && x.dims.size() != 1) {
      ctx.fail(cat("input 0 is ", x.str(), "; ImageDecoder takes a 1-D uint8 tensor of encoded bytes"));
    }
    const std::string format = ctx.node.attr_string("pixel_format", "RGB");
    const int64_t channels = format == "Grayscale" ? 1 : 3;
    ctx.set_output(0, TypeInfo::tensor(DataType::UInt8, {ctx.fresh_dim("height"), ctx.fresh_dim("width"),
                                                         Dim::known(channels)}));
  };
  def.create = [](const KernelInit& init) -> std::unique_ptr<Kernel> {
    return std::make_unique<ImageDecoderKernel>(parse_pixel_format(init));
  };
  r.add(std::move(def));
}

}  // namespace onnxi::ops
