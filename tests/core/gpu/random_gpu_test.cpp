// The CUDA random ops against the CPU's: dropout masks and outputs, the dropout backward and the
// masking corruption bitwise equal (the same Philox words, a compare, one multiply); the Gaussian
// corruption and the normal draws within 1e-6 relative (CUDA's sqrt, log and cos are within an ulp
// or two of the host's; for x + stddev z the bound is relative to |x| + |stddev z|). Batches of 1,
// 3 and 256 (the autoencoders' batch, 784 values per sample), odd per-sample sizes, a step past
// 2^32 and a first sample far from 0. Outputs start as NaN, so a value left unwritten fails; two
// runs are bitwise equal.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/ops/corruption.h"
#include "core/ops/dropout.h"
#include "core/ops/normal_draw.h"
#include "tests/core/gpu/op_check.h"

namespace strata {
namespace {

using gpu_test::close;
using gpu_test::device_nan;
using gpu_test::download;
using gpu_test::gpu;
using gpu_test::inputs;
using gpu_test::upload;

const int64_t kBatches[] = {1, 3, 256};
const int64_t kPerSample[] = {784, 1, 3, 5, 1001};

std::string shape_str(int64_t batch, int64_t per) {
  return "batch " + std::to_string(batch) + ", per sample " + std::to_string(per);
}

TEST(DropoutGpu, MasksAndOutputsAreTheCpus) {
  for (float rate : {0.1f, 0.5f})
    for (int64_t batch : kBatches)
      for (int64_t per : kPerSample) {
        const DropoutArgs a{.rate = rate,
                            .seed = 1234,
                            .step = (uint64_t{2} << 32) + 5,
                            .layer = 3,
                            .first_sample = 1000003,
                            .batch = batch,
                            .per_sample = per};
        const int64_t n = batch * per;
        const std::vector<float> x = inputs(n, 2.0f, 1), dy = inputs(n, 1.0f, 2);
        std::vector<float> y(n), mask(n), dx(n);
        dropout_forward(cpu_backend(), a, x.data(), y.data(), mask.data());
        dropout_backward(cpu_backend(), dy.data(), mask.data(), dx.data(), n);
        const std::string what = "rate " + std::to_string(rate) + ", " + shape_str(batch, per);
        for (int run = 0; run < 2; ++run) {  // the second run must give the same bits
          Tensor gx = upload(x), gy = device_nan(n), gm = device_nan(n), gdy = upload(dy),
                 gdx = device_nan(n);
          dropout_forward(gpu(), a, gx.data(), gy.data(), gm.data());
          dropout_backward(gpu(), gdy.data(), gm.data(), gdx.data(), n);
          ASSERT_TRUE(close(download(gm), mask, 0.0f, 0.0f, "mask, " + what));
          ASSERT_TRUE(close(download(gy), y, 0.0f, 0.0f, "y, " + what));
          ASSERT_TRUE(close(download(gdx), dx, 0.0f, 0.0f, "dx, " + what));
        }
      }
}

CorruptionArgs corruption_args(int64_t batch, int64_t per) {
  return {.seed = 99,
          .step = (uint64_t{1} << 32) + 12345,
          .first_sample = 60000 - 7,
          .batch = batch,
          .per_sample = per};
}

TEST(CorruptionGpu, MaskIsTheCpus) {
  for (int64_t batch : kBatches)
    for (int64_t per : kPerSample) {
      const CorruptionArgs a = corruption_args(batch, per);
      const int64_t n = batch * per;
      const std::vector<float> x = inputs(n, 1.0f, 3);
      std::vector<float> y(n);
      corrupt_mask(cpu_backend(), a, 0.3f, x.data(), y.data());
      for (int run = 0; run < 2; ++run) {
        Tensor gx = upload(x), gy = device_nan(n);
        corrupt_mask(gpu(), a, 0.3f, gx.data(), gy.data());
        ASSERT_TRUE(close(download(gy), y, 0.0f, 0.0f, shape_str(batch, per)));
      }
    }
}

TEST(CorruptionGpu, GaussianWithinTheStatedToleranceOfTheCpu) {
  const float stddev = 0.5f;
  for (int64_t batch : kBatches)
    for (int64_t per : kPerSample) {
      const CorruptionArgs a = corruption_args(batch, per);
      const int64_t n = batch * per;
      const std::vector<float> x = inputs(n, 1.0f, 4);
      std::vector<float> y(n);
      corrupt_gaussian(cpu_backend(), a, stddev, x.data(), y.data());
      std::vector<float> first;
      for (int run = 0; run < 2; ++run) {
        Tensor gx = upload(x), gy = device_nan(n);
        corrupt_gaussian(gpu(), a, stddev, gx.data(), gy.data());
        const std::vector<float> got = download(gy);
        for (int64_t i = 0; i < n; ++i) {
          const double noise = std::fabs(static_cast<double>(y[i]) - x[i]);
          const double bound = 1e-6 * (std::fabs(x[i]) + noise) + 1e-7;
          ASSERT_LE(std::fabs(static_cast<double>(got[i]) - y[i]), bound)
              << shape_str(batch, per) << ", index " << i << ": " << got[i] << " vs " << y[i];
        }
        if (run == 0)
          first = got;
        else
          ASSERT_TRUE(close(got, first, 0.0f, 0.0f, "second run"));
      }
    }
}

TEST(NormalDrawGpu, WithinTheStatedToleranceOfTheCpu) {
  for (RngPurpose purpose : {RngPurpose::kLatent, RngPurpose::kTest})
    for (int64_t batch : {int64_t{1}, int64_t{3}, int64_t{128}, int64_t{256}})
      for (int64_t per : {int64_t{100}, int64_t{1}, int64_t{3}, int64_t{5}, int64_t{784}}) {
        const NormalDrawArgs a{.seed = 2024,
                               .step = 77,
                               .purpose = purpose,
                               .index = 1,
                               .first_sample = 512,
                               .batch = batch,
                               .per_sample = per};
        const int64_t n = batch * per;
        std::vector<float> z(n);
        normal_draw(cpu_backend(), a, z.data());
        std::vector<float> first;
        for (int run = 0; run < 2; ++run) {
          Tensor gz = device_nan(n);
          normal_draw(gpu(), a, gz.data());
          const std::vector<float> got = download(gz);
          ASSERT_TRUE(close(got, z, 1e-6f, 1e-7f, shape_str(batch, per)));
          if (run == 0)
            first = got;
          else
            ASSERT_TRUE(close(got, first, 0.0f, 0.0f, "second run"));
        }
      }
}

}  // namespace
}  // namespace strata
