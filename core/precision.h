// The precision of a model's matrix products (the experiment's `precision` key, `strata bench
// --precision`):
//   fp32  fp32 operands, fp32 products and sums, on every device: no TF32 anywhere (the default)
//   tf32  the GEMM and convolution operands rounded to TF32 (10-bit mantissa), fp32 sums: NVIDIA
//         tensor cores' TF32 mode
//   bf16  the GEMM and convolution operands rounded to bfloat16 (7-bit mantissa), fp32 sums
// Only the operands of Dense's and the convolutions' products (x, W and dy) change: their
// outputs, the bias, activations, BatchNorm, losses and the optimizer stay fp32, and parameters
// and gradients are fp32 (the master weights). The CPU computes tf32 and bf16 by rounding the
// operands (core/ops/kernels/precision.h) and running its fp32 products on them, which is what a
// GPU computes up to the order of the sums.
#pragma once

#include <string>

namespace strata {

enum class Precision { kFp32, kTf32, kBf16 };

// "fp32", "tf32" or "bf16"; anything else throws a strata::Error that names `key` (the setting
// it came from, e.g. "precision" or "--precision") and lists the choices.
Precision parse_precision(const std::string& name, const std::string& key = "precision");
const char* precision_name(Precision p);

}  // namespace strata
