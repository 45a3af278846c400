// SessionOptions::device: "cpu" runs; "cuda" is refused with the reason (a CPU-only build, no driver
// or device, or, on a CUDA build with a device, that graphs do not run on CUDA yet).
#pragma once

#include <string>

namespace onnxi::exec {

// Throws onnxi::Error naming the fix unless `device` is one this build can run.
void require_device(const std::string& device);

}  // namespace onnxi::exec
