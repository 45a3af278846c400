// The signal family (ops/signal/): DFT, STFT, the cosine windows (Hann, Hamming, Blackman) and
// MelWeightMatrix. One register function per op file; register.cpp calls them all. The transforms
// and the window formulas live in kernels/cpu/fft.h and compute in double.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "onnxi/registry.h"
#include "ops/common.h"

namespace onnxi::ops::signal {

void register_dft(Registry& r);                // dft.cpp: DFT-17, DFT-20
void register_stft(Registry& r);               // stft.cpp: STFT-17
void register_windows(Registry& r);            // windows.cpp: HannWindow, HammingWindow, BlackmanWindow
void register_mel_weight_matrix(Registry& r);  // mel_weight_matrix.cpp: MelWeightMatrix

// float16, float, double, bfloat16: the signal types T1 of DFT and STFT.
extern const TypeList kSignalTypes;
// Every integer and float type but the 1-bit and narrow ones: the output_datatype choices (T2/T3)
// of the windows and MelWeightMatrix.
extern const TypeList kNumericOutputTypes;

// Inference: the value of a constant scalar int32/int64 input i; false when absent or not known.
bool constant_int(const InferContext& ctx, size_t i, int64_t& value);

// Run time: a one-element int32/int64 input (rank 0, or rank 1 of size 1).
int64_t scalar_int(const KernelContext& ctx, size_t i, const char* name);
// Run time: a one-element float input (float16, float, double, bfloat16).
double scalar_float(const KernelContext& ctx, size_t i, const char* name);

// The output_datatype attribute, checked against kNumericOutputTypes (default float).
DataType output_datatype(const Node& node, const std::function<void(const std::string&)>& fail);

// Any numeric tensor's elements as doubles.
std::vector<double> widen(const Tensor& t);
// A tensor of `dtype` holding `values` (floats round to nearest even, integers truncate).
Tensor narrow(const std::vector<double>& values, DataType dtype, Shape shape);

}  // namespace onnxi::ops::signal
