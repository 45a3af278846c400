// ImageDecoder (libonnxi_extras) through a real Session, on images built byte by byte here: BMP and
// PNM variants (decoded by hand), and PNG with a stored (uncompressed) deflate stream, so no encoder
// is needed. Expected pixels are the values written; Grayscale is Pillow's
// L = (19595 R + 38470 G + 7471 B + 32768) >> 16, e.g. red 76, green 150, blue 29. Every case skips
// when libonnxi_extras is not built (or was left out with ONNXI_NO_EXTRAS); the PNG cases skip when
// the library was built without libpng. The conformance cases cover JPEG, JPEG 2000, TIFF and WebP.
#include <functional>
#include <string>
#include <vector>

#include "onnxi/registry.h"
#include "op_test_util.h"

using namespace onnxi;
using namespace onnxi::test;

namespace {

using Bytes = std::vector<uint8_t>;

bool have_image_decoder() {
  if (Registry::standard().find("", "ImageDecoder", 20)) return true;
  MESSAGE("skipped: libonnxi_extras with ImageDecoder is not loaded");
  return false;
}

Tensor decode(const Bytes& encoded, const std::string& pixel_format = "RGB") {
  Tensor x = Tensor::from_vector(encoded, {static_cast<int64_t>(encoded.size())});
  return run_node(NodeRun{"ImageDecoder", {attr_string("pixel_format", pixel_format)}, 20}, {Value(x)})[0].tensor();
}

std::string decode_error(const Bytes& encoded) {
  return error_of([&] { decode(encoded); });
}

void put16(Bytes& b, uint32_t v) {
  b.push_back(v & 0xFF);
  b.push_back((v >> 8) & 0xFF);
}
void put32(Bytes& b, uint32_t v) {
  put16(b, v & 0xFFFF);
  put16(b, v >> 16);
}
void put32be(Bytes& b, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) b.push_back((v >> s) & 0xFF);
}

// A BMP with a 40-byte BITMAPINFOHEADER; `extra` (palette or colour masks) sits between the header
// and `pixels`, which the caller lays out (rows padded to 4 bytes, bottom-up unless height < 0).
Bytes bmp(int32_t width, int32_t height, uint16_t bpp, uint32_t compression, const Bytes& extra, const Bytes& pixels,
          uint32_t colors_used = 0) {
  Bytes b = {'B', 'M'};
  const uint32_t offset = 14 + 40 + static_cast<uint32_t>(extra.size());
  put32(b, offset + static_cast<uint32_t>(pixels.size()));
  put32(b, 0);
  put32(b, offset);
  put32(b, 40);
  put32(b, static_cast<uint32_t>(width));
  put32(b, static_cast<uint32_t>(height));
  put16(b, 1);
  put16(b, bpp);
  put32(b, compression);
  put32(b, static_cast<uint32_t>(pixels.size()));
  put32(b, 2835);
  put32(b, 2835);
  put32(b, colors_used);
  put32(b, 0);
  b.insert(b.end(), extra.begin(), extra.end());
  b.insert(b.end(), pixels.begin(), pixels.end());
  return b;
}

Bytes text(const std::string& s) { return Bytes(s.begin(), s.end()); }

Bytes operator+(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

uint32_t crc32(const uint8_t* p, size_t n) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < n; ++i) {
    c ^= p[i];
    for (int k = 0; k < 8; ++k) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1)));
  }
  return ~c;
}

void png_chunk(Bytes& b, const char* type, const Bytes& body) {
  put32be(b, static_cast<uint32_t>(body.size()));
  Bytes typed(type, type + 4);
  typed.insert(typed.end(), body.begin(), body.end());
  b.insert(b.end(), typed.begin(), typed.end());
  put32be(b, crc32(typed.data(), typed.size()));
}

// An 8-bit PNG whose IDAT is a zlib stream with one stored block: each row is filter byte 0 and
// the raw samples. `before_idat` chunks (PLTE, tRNS) go between IHDR and IDAT.
Bytes png(uint32_t width, uint32_t height, uint8_t color_type, const Bytes& samples,
          const std::vector<std::pair<const char*, Bytes>>& before_idat = {}) {
  Bytes b = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  Bytes ihdr;
  put32be(ihdr, width);
  put32be(ihdr, height);
  ihdr.insert(ihdr.end(), {8, color_type, 0, 0, 0});
  png_chunk(b, "IHDR", ihdr);
  for (const auto& [type, body] : before_idat) png_chunk(b, type, body);
  Bytes raw;
  const size_t row = samples.size() / height;
  for (uint32_t y = 0; y < height; ++y) {
    raw.push_back(0);
    raw.insert(raw.end(), samples.begin() + y * row, samples.begin() + (y + 1) * row);
  }
  uint32_t a = 1, s2 = 0;  // Adler-32
  for (uint8_t v : raw) a = (a + v) % 65521, s2 = (s2 + a) % 65521;
  Bytes z = {0x78, 0x01, 0x01};
  put16(z, static_cast<uint32_t>(raw.size()));
  put16(z, static_cast<uint32_t>(~raw.size() & 0xFFFF));
  z.insert(z.end(), raw.begin(), raw.end());
  put32be(z, (s2 << 16) | a);
  png_chunk(b, "IDAT", z);
  png_chunk(b, "IEND", {});
  return b;
}

// Decodes a PNG, or returns an undefined tensor (and says so) when this build has no libpng.
Tensor decode_png_or_skip(const Bytes& encoded, const std::string& pixel_format = "RGB") {
  const std::string err = error_of([&] { decode(encoded, pixel_format); });
  if (err.find("has no PNG decoder") != std::string::npos) {
    MESSAGE("skipped: libonnxi_extras was built without libpng");
    return Tensor();
  }
  REQUIRE_MESSAGE(err.empty(), err);
  return decode(encoded, pixel_format);
}

// 2 x 2, bottom-up, 24-bit: top row red, green; bottom row blue, white. Rows are 6 bytes + 2 padding.
const Bytes kBmp24 = bmp(2, 2, 24, 0, {}, {255, 0, 0, 255, 255, 255, 0, 0, /**/ 0, 0, 255, 0, 255, 0, 0, 0});

}  // namespace

TEST_CASE("ImageDecoder BMP 24-bit in RGB, BGR and Grayscale") {
  if (!have_image_decoder()) return;
  Tensor rgb = decode(kBmp24, "RGB");
  CHECK(rgb.shape() == Shape{2, 2, 3});
  CHECK(values<uint8_t>(rgb) == Bytes{255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255});
  CHECK(values<uint8_t>(decode(kBmp24, "BGR")) == Bytes{0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 255});
  Tensor gray = decode(kBmp24, "Grayscale");
  CHECK(gray.shape() == Shape{2, 2, 1});
  CHECK(values<uint8_t>(gray) == Bytes{76, 150, 29, 255});
}

TEST_CASE("ImageDecoder BMP palettes, bit fields and RLE8") {
  if (!have_image_decoder()) return;
  // Top-down (negative height) 8-bit, 3 x 1, a 2-entry palette (BGRX); index 5 is past it: black.
  const Bytes pal2 = {10, 20, 30, 0, 40, 50, 60, 0};
  Tensor p8 = decode(bmp(3, -1, 8, 0, pal2, {1, 0, 5, 0}, 2));
  CHECK(values<uint8_t>(p8) == Bytes{60, 50, 40, 30, 20, 10, 0, 0, 0});
  // 1-bit, 9 x 1: bits 1000 0001 1 across two bytes, most significant first.
  const Bytes black_white = {0, 0, 0, 0, 255, 255, 255, 0};
  Tensor p1 = decode(bmp(9, 1, 1, 0, black_white, {0x81, 0x80, 0, 0}), "Grayscale");
  CHECK(values<uint8_t>(p1) == Bytes{255, 0, 0, 0, 0, 0, 0, 255, 255});
  // 16-bit 5-6-5 bit fields: pure red, pure green, blue = 16/31 scaled by truncation (131), 2 x 1.
  Bytes masks;
  put32(masks, 0xF800);
  put32(masks, 0x07E0);
  put32(masks, 0x001F);
  Bytes px16;
  put16(px16, 0xF800);
  put16(px16, 0x07E0 | 0x0010);
  Tensor b16 = decode(bmp(2, 1, 16, 3, masks, px16));
  CHECK(values<uint8_t>(b16) == Bytes{255, 0, 0, 0, 255, 131});
  // 32-bit BI_RGB: BGRX, the X byte ignored.
  Tensor b32 = decode(bmp(1, 1, 32, 0, {}, {1, 2, 3, 99}));
  CHECK(values<uint8_t>(b32) == Bytes{3, 2, 1});
  // RLE8, 4 x 2, stored bottom row first: a run of three 1s, end of line; literal [2, 1, 2] padded
  // to even, end of bitmap. Pixels never written are index 0.
  const Bytes pal3 = {0, 0, 0, 0, 0, 0, 255, 0, 255, 0, 0, 0};  // black, red, blue
  Tensor rle = decode(bmp(4, 2, 8, 1, pal3, {3, 1, 0, 0, 0, 3, 2, 1, 2, 0, 0, 1}, 3));
  CHECK(values<uint8_t>(rle) == Bytes{0, 0, 255, 255, 0, 0, 0, 0, 255, 0, 0, 0,  // top: blue red blue black
                                      255, 0, 0, 255, 0, 0, 255, 0, 0, 0, 0, 0});  // bottom: red red red black
}

TEST_CASE("ImageDecoder PNM: P1-P6, comments, maxval scaling, 16-bit samples") {
  if (!have_image_decoder()) return;
  Tensor p6 = decode(text("P6\n# a comment\n2 1\n255\n") + Bytes{1, 2, 3, 4, 5, 6});
  CHECK(p6.shape() == Shape{1, 2, 3});
  CHECK(values<uint8_t>(p6) == Bytes{1, 2, 3, 4, 5, 6});
  // Plain PPM with maxval 15: v * 255 / 15 = 17 v.
  CHECK(values<uint8_t>(decode(text("P3 1 1 15 15 0 1"))) == Bytes{255, 0, 17});
  // Gray sources are replicated for RGB and kept for Grayscale.
  CHECK(values<uint8_t>(decode(text("P5 2 1 255\n") + Bytes{7, 200})) == Bytes{7, 7, 7, 200, 200, 200});
  CHECK(values<uint8_t>(decode(text("P2 2 1 255 7 200"), "Grayscale")) == Bytes{7, 200});
  // 16-bit P5, maxval 1000: 500 -> round(127.5) = 128, 1000 -> 255.
  CHECK(values<uint8_t>(decode(text("P5 2 1 1000\n") + Bytes{0x01, 0xF4, 0x03, 0xE8}, "Grayscale")) ==
        Bytes{128, 255});
  // PBM: 1 is black; plain digits need no separator; raw rows are padded to whole bytes.
  CHECK(values<uint8_t>(decode(text("P1\n4 1\n0110"), "Grayscale")) == Bytes{255, 0, 0, 255});
  CHECK(values<uint8_t>(decode(text("P4 10 1\n") + Bytes{0x80, 0x40}, "Grayscale")) ==
        Bytes{0, 255, 255, 255, 255, 255, 255, 255, 255, 0});
}

TEST_CASE("ImageDecoder PNG: RGB, gray, palette with transparency (alpha dropped)") {
  if (!have_image_decoder()) return;
  Tensor rgb = decode_png_or_skip(png(2, 1, 2, {255, 0, 0, 1, 2, 3}));
  if (rgb.numel() == 0) return;
  CHECK(rgb.shape() == Shape{1, 2, 3});
  CHECK(values<uint8_t>(rgb) == Bytes{255, 0, 0, 1, 2, 3});
  CHECK(values<uint8_t>(decode_png_or_skip(png(2, 1, 2, {255, 0, 0, 1, 2, 3}), "Grayscale")) == Bytes{76, 2});
  CHECK(values<uint8_t>(decode_png_or_skip(png(1, 2, 0, {9, 250}))) == Bytes{9, 9, 9, 250, 250, 250});
  const Bytes rgba = {10, 20, 30, 0, 40, 50, 60, 128};
  CHECK(values<uint8_t>(decode_png_or_skip(png(2, 1, 6, rgba))) == Bytes{10, 20, 30, 40, 50, 60});
  Tensor pal = decode_png_or_skip(png(3, 1, 3, {1, 0, 1}, {{"PLTE", {9, 8, 7, 6, 5, 4}}, {"tRNS", {0, 255}}}));
  CHECK(values<uint8_t>(pal) == Bytes{6, 5, 4, 9, 8, 7, 6, 5, 4});
}

TEST_CASE("ImageDecoder errors name the node, the format and the problem") {
  if (!have_image_decoder()) return;
  auto has = [](const std::string& msg, std::initializer_list<const char*> parts) {
    for (const char* p : parts) {
      if (msg.find(p) == std::string::npos) {
        MESSAGE("'", p, "' not in: ", msg);
        return false;
      }
    }
    return true;
  };
  CHECK(has(decode_error({}), {"node0", "is empty"}));
  CHECK(has(decode_error({0, 1, 2, 3}), {"node0", "not an image format", "00 01 02 03"}));
  // A BMP cut inside its pixel rows, and one whose header claims 100000 x 100000 pixels.
  Bytes cut = kBmp24;
  cut.resize(cut.size() - 4);
  CHECK(has(decode_error(cut), {"node0", "BMP", "truncated"}));
  CHECK(has(decode_error(bmp(100000, 100000, 24, 0, {}, {})), {"node0", "BMP", "more than"}));
  CHECK(has(decode_error(bmp(2, 2, 24, 4, {}, {})), {"BMP", "not supported"}));  // embedded JPEG
  CHECK(has(decode_error(text("P6 2 1 255\n") + Bytes{1, 2, 3}), {"node0", "PNM", "truncated"}));
  CHECK(has(decode_error(text("P2 1 1 255 x")), {"PNM", "pixel value"}));
  CHECK(has(decode_error(text("P5 0 1 255\n")), {"PNM", "0 x 1"}));
  // JPEG, PNG, TIFF, WebP, JPEG 2000 signatures followed by garbage: a decoder error (or, in a build
  // without that codec, the package to install), never a crash.
  const Bytes junk = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  CHECK(has(decode_error(Bytes{0xFF, 0xD8, 0xFF, 0xE0} + junk), {"node0", "JPEG"}));
  CHECK(has(decode_error(Bytes{0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'} + junk), {"node0", "PNG"}));
  CHECK(has(decode_error(Bytes{'I', 'I', 42, 0} + junk), {"node0", "TIFF"}));
  CHECK(has(decode_error(text("RIFF") + Bytes{16, 0, 0, 0} + text("WEBPVP8 ") + junk), {"node0", "WebP"}));
  CHECK(has(decode_error(Bytes{0xFF, 0x4F, 0xFF, 0x51} + junk), {"node0", "JPEG 2000"}));
  // A PNG whose IHDR checksum is wrong, and one cut short inside IDAT.
  Bytes bad_crc = png(1, 1, 0, {5});
  bad_crc[29] ^= 0xFF;
  Bytes short_png = png(1, 1, 0, {5});
  short_png.resize(short_png.size() - 20);
  if (decode_error(png(1, 1, 0, {5})).empty()) {
    CHECK(has(decode_error(bad_crc), {"node0", "PNG", "libpng"}));
    CHECK(has(decode_error(short_png), {"node0", "PNG", "truncated"}));
  }
}

TEST_CASE("ImageDecoder rejects bad attributes and input types at session creation") {
  if (!have_image_decoder()) return;
  auto run_with = [](Tensor x, const std::string& format) {
    return error_of([&] {
      run_node(NodeRun{"ImageDecoder", {attr_string("pixel_format", format)}, 20}, {Value(std::move(x))});
    });
  };
  const Tensor encoded = Tensor::from_vector(kBmp24, {static_cast<int64_t>(kBmp24.size())});
  const std::string bad_format = run_with(encoded, "RGBA");
  CHECK(bad_format.find("node0") != std::string::npos);
  CHECK(bad_format.find("pixel_format is 'RGBA'") != std::string::npos);
  const std::string as_float = run_with(Tensor::from_vector(std::vector<float>{1.f, 2.f}, {2}), "RGB");
  CHECK(as_float.find("uint8") != std::string::npos);
  const std::string as_matrix =
      run_with(Tensor::from_vector(kBmp24, {1, static_cast<int64_t>(kBmp24.size())}), "RGB");
  CHECK(as_matrix.find("1-D") != std::string::npos);
}
