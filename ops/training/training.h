// The ai.onnx.preview.training family (ops/training/): optimizer steps (optimizers.cpp: Adagrad,
// Adam, Momentum) and Gradient (gradient.cpp, with its graph hook in gradient.h). register.cpp calls
// one function per file. Numeric loops live in kernels/cpu/ml_optimizers.h and ml_autodiff.h.
#pragma once

#include "onnxi/registry.h"

namespace onnxi::ops::training {

inline constexpr const char* kDomain = "ai.onnx.preview.training";

void register_optimizers(Registry& r);  // optimizers.cpp: Adagrad, Adam, Momentum
void register_gradient(Registry& r);    // gradient.cpp: Gradient

}  // namespace onnxi::ops::training
