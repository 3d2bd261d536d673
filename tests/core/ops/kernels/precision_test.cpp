// The operand roundings of the tf32 and bf16 precisions (core/ops/kernels/precision.h), exact
// values on the host, and the CUDA ops' host planning per precision: cuBLAS's types for the
// dense op (gemm_precision), the dense op's operand copies, cuDNN's math type and the
// convolutions' workspace with the rounded copies (conv_plan.h).
#include "core/ops/kernels/precision.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "core/error.h"
#include "core/ops/conv_plan.h"
#include "core/ops/dense_plan.h"
#include "core/precision.h"
#include "core/rng.h"
#include "tests/core/ops/kernels/conv_cases.h"
#include "tests/support/emulate_launch.h"

namespace strata {
namespace {

float from_bits(uint32_t b) {
  return bits_float(b);
}

TEST(Precision, NamesParseAndATypoNamesTheKeyAndTheChoices) {
  for (Precision p : {Precision::kFp32, Precision::kTf32, Precision::kBf16})
    EXPECT_EQ(parse_precision(precision_name(p)), p);
  try {
    parse_precision("bf61", "--precision");
    FAIL() << "bf61 was accepted";
  } catch (const Error& e) {
    const std::string m = e.message();
    EXPECT_NE(m.find("--precision"), std::string::npos) << m;
    EXPECT_NE(m.find("bf61"), std::string::npos) << m;
    EXPECT_NE(m.find("fp32, tf32 or bf16"), std::string::npos) << m;
  }
  EXPECT_THROW(parse_precision("FP32"), Error);
  EXPECT_THROW(parse_precision(""), Error);
}

TEST(RoundToBf16, ExactValuesAndTiesToEven) {
  EXPECT_EQ(round_to_bf16(1.0f), 1.0f);
  EXPECT_EQ(round_to_bf16(0.0f), 0.0f);
  EXPECT_TRUE(std::signbit(round_to_bf16(-0.0f)));
  // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: to the even one, 1.
  EXPECT_EQ(round_to_bf16(1.0f + 0x1p-8f), 1.0f);
  EXPECT_EQ(round_to_bf16(-(1.0f + 0x1p-8f)), -1.0f);
  // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even).
  EXPECT_EQ(round_to_bf16(1.0f + 3 * 0x1p-8f), 1.0f + 0x1p-6f);
  // Just past halfway rounds up; just below, down.
  EXPECT_EQ(round_to_bf16(1.0f + 0x1p-8f + 0x1p-20f), 1.0f + 0x1p-7f);
  EXPECT_EQ(round_to_bf16(1.0f + 0x1p-8f - 0x1p-20f), 1.0f);
  EXPECT_EQ(round_to_bf16(3.14159265f), 3.140625f);
  EXPECT_EQ(bf16_bits(3.14159265f), 0x4049);
  EXPECT_EQ(bf16_value(0x4049), 3.140625f);
  EXPECT_EQ(bf16_bits(-2.0f), 0xC000);
}

TEST(RoundToBf16, InfinityNanOverflowAndSubnormals) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(round_to_bf16(inf), inf);
  EXPECT_EQ(round_to_bf16(-inf), -inf);
  // The largest float is past the last bf16 (0x7F7F) by more than half a step: inf.
  EXPECT_EQ(round_to_bf16(std::numeric_limits<float>::max()), inf);
  EXPECT_EQ(round_to_bf16(from_bits(0x7F7F7FFFu)), from_bits(0x7F7F0000u));
  EXPECT_TRUE(std::isnan(round_to_bf16(std::numeric_limits<float>::quiet_NaN())));
  // A NaN whose payload is only in the low bits stays a NaN (not inf), with its sign.
  EXPECT_TRUE(std::isnan(round_to_bf16(from_bits(0x7F800001u))));
  EXPECT_EQ(bf16_bits(from_bits(0xFF800001u)), 0xFFC0);
  // Subnormals: the same rounding on the bit pattern.
  EXPECT_EQ(round_to_bf16(from_bits(0x00000001u)), 0.0f);
  EXPECT_EQ(round_to_bf16(from_bits(0x00008000u)), 0.0f);  // halfway, to even (0)
  EXPECT_EQ(round_to_bf16(from_bits(0x00018000u)), from_bits(0x00020000u));
  EXPECT_EQ(round_to_bf16(from_bits(0x00010000u)), from_bits(0x00010000u));
  EXPECT_EQ(round_to_bf16(from_bits(0x007FFFFFu)), from_bits(0x00800000u));  // to the normal
}

TEST(RoundToBf16, IsTheNearestBf16OnRandomValues) {
  RandomStream rng(11, RngPurpose::kTest, 0, 0, 0);
  for (int i = 0; i < 20000; ++i) {
    const float v = rng.normal() * std::ldexp(1.0f, static_cast<int>(rng.uniform() * 60) - 30);
    const float r = round_to_bf16(v);
    EXPECT_EQ(float_bits(r) & 0xFFFFu, 0u) << v;
    // No bf16 is nearer: the neighbours one bf16 step away are not closer.
    const uint32_t b = float_bits(r);
    const double err = std::fabs(static_cast<double>(r) - v);
    for (uint32_t nb : {b + 0x10000u, b - 0x10000u})
      EXPECT_LE(err, std::fabs(static_cast<double>(from_bits(nb)) - v)) << v;
  }
}

TEST(RoundToTf32, ExactValuesAndTiesAwayFromZero) {
  EXPECT_EQ(round_to_tf32(1.0f), 1.0f);
  EXPECT_EQ(round_to_tf32(1.0f + 0x1p-10f), 1.0f + 0x1p-10f);  // representable
  // 1 + 2^-11 lies halfway between 1 and 1 + 2^-10: away from zero (cvt.rna).
  EXPECT_EQ(round_to_tf32(1.0f + 0x1p-11f), 1.0f + 0x1p-10f);
  EXPECT_EQ(round_to_tf32(-(1.0f + 0x1p-11f)), -(1.0f + 0x1p-10f));
  EXPECT_EQ(round_to_tf32(1.0f + 0x1p-12f), 1.0f);
  EXPECT_EQ(round_to_tf32(1.0f + 0x1p-11f - 0x1p-23f), 1.0f);
  EXPECT_EQ(round_to_tf32(3.14159265f), 3.140625f);
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(round_to_tf32(inf), inf);
  EXPECT_EQ(round_to_tf32(-inf), -inf);
  EXPECT_EQ(round_to_tf32(std::numeric_limits<float>::max()), inf);
  EXPECT_EQ(float_bits(round_to_tf32(from_bits(0x7F800001u))), 0x7F800001u);  // NaN as it is
  EXPECT_EQ(round_to_tf32(from_bits(0x00000FFFu)), 0.0f);
  EXPECT_EQ(round_to_tf32(from_bits(0x00001000u)), from_bits(0x00002000u));  // halfway: away
  EXPECT_TRUE(std::signbit(round_to_tf32(-0.0f)));
}

TEST(RoundOperands, BodiesRoundEveryValueOnce) {
  std::vector<float> in(1000), out(1000, -7.0f);
  RandomStream rng(3, RngPurpose::kTest, 0, 0, 0);
  for (float& v : in) v = rng.normal();
  for (Precision p : {Precision::kTf32, Precision::kBf16}) {
    EXPECT_TRUE(test::emulate_each_once(1000, RoundOperandBody{in.data(), out.data(), p}));
    for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(out[i], round_operand(p, in[i]));
  }
  std::vector<uint16_t> h(1000);
  EXPECT_TRUE(test::emulate_each_once(1000, ToBf16Body{in.data(), h.data()}));
  for (size_t i = 0; i < in.size(); ++i) EXPECT_EQ(bf16_value(h[i]), round_to_bf16(in[i]));
  EXPECT_EQ(round_operand(Precision::kFp32, in[0]), in[0]);
}

TEST(DensePrecisionPlan, CublasTypesPerPrecision) {
  const GemmPrecision f = gemm_precision(Precision::kFp32);
  EXPECT_EQ(f.compute, GemmCompute::k32FPedantic);  // no TF32
  EXPECT_EQ(f.operands, GemmData::kF32);
  const GemmPrecision t = gemm_precision(Precision::kTf32);
  EXPECT_EQ(t.compute, GemmCompute::k32FFastTf32);
  EXPECT_EQ(t.operands, GemmData::kF32);
  const GemmPrecision b = gemm_precision(Precision::kBf16);
  EXPECT_EQ(b.compute, GemmCompute::k32F);  // fp32 sums of exact bf16 products
  EXPECT_EQ(b.operands, GemmData::kBf16);
  for (const GemmPrecision& g : {f, t, b}) {
    EXPECT_EQ(g.output, GemmData::kF32);  // y, dx, dW (accumulated) and the bias
    EXPECT_EQ(g.scale, GemmData::kF32);
  }
}

TEST(DensePrecisionPlan, OperandCopiesAreAlignedAndApart) {
  const DenseDims d{3, 250, 30, Precision::kBf16};
  for (int64_t bytes : {2, 4}) {
    const DenseOperandScratch s = dense_operand_scratch(d, bytes);
    EXPECT_EQ(s.x, 0);
    EXPECT_EQ(s.w % 64, 0);
    EXPECT_EQ(s.dy % 64, 0);
    EXPECT_GE(s.w * 4, 3 * 250 * bytes);
    EXPECT_GE((s.dy - s.w) * 4, 30 * 250 * bytes);
    EXPECT_GE((s.floats - s.dy) * 4, 3 * 30 * bytes);
    EXPECT_LT(s.floats - s.dy, (3 * 30 * bytes + 3) / 4 + 64);
  }
  // The benchmark's largest layer in bf16: half the floats of the fp32 copies (up to alignment).
  const DenseDims big{256, 784, 1000, Precision::kBf16};
  EXPECT_EQ(dense_operand_scratch(big, 2).floats * 2, dense_operand_scratch(big, 4).floats);
  EXPECT_THROW(dense_operand_scratch(DenseDims{-1, 2, 3}, 2), Error);
}

TEST(ConvPrecisionPlan, CudnnMathPerPrecision) {
  EXPECT_EQ(cudnn_math(Precision::kFp32), CudnnMath::kFma);  // no TF32
  EXPECT_EQ(cudnn_math(Precision::kTf32), CudnnMath::kDefault);
  EXPECT_EQ(cudnn_math(Precision::kBf16), CudnnMath::kDefault);
  EXPECT_FALSE(cudnn_rounds_operands(Precision::kFp32));
  EXPECT_FALSE(cudnn_rounds_operands(Precision::kTf32));
  EXPECT_TRUE(cudnn_rounds_operands(Precision::kBf16));
}

TEST(ConvPrecisionPlan, Bf16CopiesLieBetweenThePaddedBufferAndCudnnsSpace) {
  for (bool same_padding : {true, false}) {
    test::ConvCase cs =
        same_padding ? test::conv2d_case("same", 3, 2, 7, 7, 3, 4, 4, 2, 2, PaddingMode::kSame)
                     : test::benchmark_cases()[0];
    const CudnnConvPlan fp32 = plan_conv(cs.args, cs.transposed);
    cs.args.precision = Precision::kTf32;
    const CudnnConvPlan tf32 = plan_conv(cs.args, cs.transposed);
    cs.args.precision = Precision::kBf16;
    const CudnnConvPlan p = plan_conv(cs.args, cs.transposed);
    // fp32 and tf32: no copies, the layout of before.
    EXPECT_EQ(fp32.operands_end, fp32.padded_floats);
    EXPECT_EQ(tf32.cudnn_offset, fp32.cudnn_offset);
    EXPECT_EQ(conv_workspace_floats(fp32, 0), fp32.padded_floats);
    EXPECT_EQ(fp32.math, CudnnMath::kFma);
    EXPECT_EQ(tf32.math, CudnnMath::kDefault);
    ASSERT_TRUE(p.round_operands);
    const int64_t image = int64_t{p.n} * p.c * p.h * p.w;
    const int64_t columns = int64_t{p.n} * p.k * p.out_h * p.out_w;
    const int64_t filter = int64_t{p.k} * p.c * p.kernel_h * p.kernel_w;
    EXPECT_GE(p.image_copy, p.padded_floats);
    EXPECT_GE(p.columns_copy, p.image_copy + image);
    EXPECT_GE(p.filter_copy, p.columns_copy + columns);
    EXPECT_EQ(p.operands_end, p.filter_copy + filter);
    EXPECT_GE(p.cudnn_offset, p.operands_end);
    for (int64_t off : {p.image_copy, p.columns_copy, p.filter_copy, p.cudnn_offset})
      EXPECT_EQ(off % kCudnnAlignFloats, 0);
    EXPECT_EQ(conv_workspace_floats(p, 0), p.operands_end);
    EXPECT_EQ(conv_workspace_floats(p, 8), p.cudnn_offset + 2);
  }
}

}  // namespace
}  // namespace strata
