// The math family's registration functions, one per file of ops/math/; register.cpp calls them all.
#pragma once

#include "onnxi/registry.h"

namespace onnxi::ops::math {

void register_unary(Registry& r);        // unary.cpp: Abs, Neg, Sqrt, Exp, trig, Round, IsNaN, ...
void register_binary(Registry& r);       // binary.cpp: Add, Sub, Mul, Div, Pow, Mod, BitShift, Bitwise*
void register_logic(Registry& r);        // logic.cpp: And, Or, Xor, Not, Equal, Less, Greater, ...
void register_variadic(Registry& r);     // variadic.cpp: Sum, Mean, Min, Max
void register_activations(Registry& r);  // activations.cpp: Relu, Sigmoid, Gelu, PRelu, ...
void register_clip_where(Registry& r);   // clip_where.cpp: Clip, Where

}  // namespace onnxi::ops::math
