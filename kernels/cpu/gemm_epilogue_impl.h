// Which instantiation of an ISA file's SgemmEpilogue loop runs (activation x clamp), written once
// for gemm__avx2.cpp and gemm__avx512.cpp. Internal linkage on purpose: each ISA file instantiates
// it with its own flags (docs/ARCHITECTURE.md on code shared between ISA files).
#pragma once

#include "kernels/cpu/gemm.h"

namespace onnxi::kernels {
namespace {

// Calls rows.template operator()<kAct, kClamp>() for e's activation and whether it clamps.
template <class Rows>
inline void dispatch_sgemm_epilogue(const SgemmEpilogue& e, const Rows& rows) {
  const bool clamp = e.lo > -__builtin_inff() || e.hi < __builtin_inff();  // a NaN bound clamps nothing
  auto with = [&]<SgemmActivation kAct>() {
    if (clamp) return rows.template operator()<kAct, true>();
    rows.template operator()<kAct, false>();
  };
  switch (e.activation) {
    case SgemmActivation::GeluErf: return with.template operator()<SgemmActivation::GeluErf>();
    case SgemmActivation::GeluTanh: return with.template operator()<SgemmActivation::GeluTanh>();
    case SgemmActivation::None: break;
  }
  with.template operator()<SgemmActivation::None>();
}

}  // namespace
}  // namespace onnxi::kernels
