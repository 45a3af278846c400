#include "kernels/cpu/cpu_features.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__linux__)
#include <unistd.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace onnxi::kernels {
namespace {

#if defined(__x86_64__) || defined(__i386__)
unsigned long long xgetbv0() {
  unsigned eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<unsigned long long>(edx) << 32) | eax;
}

Isa probe() {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return Isa::Scalar;
  const bool fma = c & (1u << 12), osxsave = c & (1u << 27), avx = c & (1u << 28), f16c = c & (1u << 29);
  if (!(osxsave && avx && fma && f16c)) return Isa::Scalar;
  const unsigned long long xcr0 = xgetbv0();
  if ((xcr0 & 0x6) != 0x6) return Isa::Scalar;  // the OS saves xmm and ymm state
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return Isa::Scalar;
  const bool avx2 = b & (1u << 5);
  if (!avx2) return Isa::Scalar;
  const bool f = b & (1u << 16), dq = b & (1u << 17), bw = b & (1u << 30), vl = b & (1u << 31);
  const bool zmm_state = (xcr0 & 0xe6) == 0xe6;  // opmask, upper zmm0-15 and zmm16-31
  return (f && dq && bw && vl && zmm_state) ? Isa::Avx512 : Isa::Avx2;
}
#else
Isa probe() { return Isa::Scalar; }
#endif

Isa from_env(Isa detected) {
  const char* want = std::getenv("ONNXI_ISA");
  if (want == nullptr || *want == '\0') return detected;
  Isa asked;
  if (std::strcmp(want, "scalar") == 0) {
    asked = Isa::Scalar;
  } else if (std::strcmp(want, "avx2") == 0) {
    asked = Isa::Avx2;
  } else if (std::strcmp(want, "avx512") == 0) {
    asked = Isa::Avx512;
  } else {
    std::fprintf(stderr, "onnxi: warning: ONNXI_ISA=%s is not one of scalar, avx2, avx512; using %s\n", want,
                 isa_name(detected));
    return detected;
  }
  if (static_cast<int>(asked) > static_cast<int>(detected)) {
    std::fprintf(stderr, "onnxi: warning: ONNXI_ISA=%s but this CPU only has %s; using %s\n", want,
                 isa_name(detected), isa_name(detected));
    return detected;
  }
  return asked;
}

}  // namespace

Isa detected_isa() noexcept {
  static const Isa isa = probe();
  return isa;
}

Isa active_isa() noexcept {
  static const Isa isa = from_env(detected_isa());
  return isa;
}

const char* isa_name(Isa isa) noexcept {
  switch (isa) {
    case Isa::Scalar: return "scalar";
    case Isa::Avx2: return "avx2";
    case Isa::Avx512: return "avx512";
  }
  return "?";
}

int64_t l2_cache_bytes() noexcept {
  static const int64_t bytes = [] {
    int64_t b = 0;
#if defined(__linux__) && defined(_SC_LEVEL2_CACHE_SIZE)
    b = static_cast<int64_t>(sysconf(_SC_LEVEL2_CACHE_SIZE));
#endif
    return b > 0 ? b : int64_t{512} << 10;
  }();
  return bytes;
}

}  // namespace onnxi::kernels
