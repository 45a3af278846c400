// Which SIMD instruction sets this CPU has, probed once with CPUID, and which one kernels use.
//
// Kernels with ISA variants (files named `*__avx2.cpp`, `*__avx512.cpp`, the only ones CMake gives
// those flags) are chosen once from active_isa() into a table of function pointers. The environment
// variable ONNXI_ISA=scalar|avx2|avx512 lowers the choice (for tests and benchmarks); asking for more
// than the CPU has is ignored with a warning on stderr.
#pragma once

#include <cstdint>

namespace onnxi::kernels {

enum class Isa { Scalar = 0, Avx2 = 1, Avx512 = 2 };

// The best ISA the CPU and OS support: AVX2+FMA+F16C, or AVX-512 F/BW/DQ/VL (zmm state enabled).
Isa detected_isa() noexcept;
// detected_isa(), lowered by ONNXI_ISA when set; read once.
Isa active_isa() noexcept;
const char* isa_name(Isa isa) noexcept;

// One core's L2 cache in bytes (sysconf on Linux; 512 KiB when unknown), read once. Blocking that
// must fit a core's L2 reads it: Zen 3 has 512 KiB, Zen 4 1 MiB.
int64_t l2_cache_bytes() noexcept;

}  // namespace onnxi::kernels
