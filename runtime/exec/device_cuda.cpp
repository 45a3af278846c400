// The device check behind SessionOptions::device. The core library does not link the CUDA runtime:
// it asks the driver (libcuda.so.1, loaded on demand) whether a device exists, so a CPU machine
// needs no CUDA libraries at all.
#include "runtime/exec/device_cuda.h"

#include <dlfcn.h>

#include "onnxi/error.h"

namespace onnxi::exec {
namespace {

// Number of CUDA devices the driver reports; -1 when there is no usable driver. The library stays
// loaded: unloading a driver that cuInit has started is not worth the risk for one query.
int cuda_device_count() {
  void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) return -1;
  using InitFn = int (*)(unsigned);
  using CountFn = int (*)(int*);
  auto init = reinterpret_cast<InitFn>(dlsym(lib, "cuInit"));
  auto count_fn = reinterpret_cast<CountFn>(dlsym(lib, "cuDeviceGetCount"));
  if (!init || !count_fn) return -1;
  constexpr int kNoDevice = 100;  // CUDA_ERROR_NO_DEVICE
  const int rc = init(0);
  if (rc == kNoDevice) return 0;
  int count = 0;
  if (rc != 0 || count_fn(&count) != 0) return -1;
  return count;
}

}  // namespace

void require_device(const std::string& device) {
  if (device == "cpu" || device.empty()) return;
  if (device != "cuda")
    fail(ErrorCode::InvalidArgument, cat("unknown device '", device, "': use 'cpu' or 'cuda'"));
#if !defined(ONNXI_WITH_CUDA)
  fail(ErrorCode::NotImplemented,
       "device 'cuda': onnxi was built without CUDA; reconfigure with -DONNXI_CUDA=ON (needs nvcc) or use "
       "device 'cpu'");
#else
  const int count = cuda_device_count();
  if (count < 0)
    fail(ErrorCode::NotImplemented, "device 'cuda': no CUDA driver found (libcuda.so.1); install the NVIDIA driver or "
                                    "use device 'cpu'");
  if (count == 0) fail(ErrorCode::NotImplemented, "device 'cuda': no CUDA device found; use device 'cpu'");
  fail(ErrorCode::NotImplemented,
       "device 'cuda': this build has the CUDA kernels (kernels/cuda) but does not run graphs on them yet; use "
       "device 'cpu'");
#endif
}

}  // namespace onnxi::exec
