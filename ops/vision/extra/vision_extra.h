// ops/vision/extra: vision ops with heavy dependencies (image codecs), built into libonnxi_extras.so.
#pragma once

#include "onnxi/registry.h"

namespace onnxi::ops {

void register_image_decoder(Registry& r);  // image_decoder.cpp: ImageDecoder (opset 20)

}  // namespace onnxi::ops
