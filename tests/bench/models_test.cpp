// The benchmark models have exactly the architectures of bench/MODELS.md: parameter counts
// computed by hand from the description, and output shapes.
#include <gtest/gtest.h>

#include <cmath>

#include "bench/models.h"
#include "core/error.h"

namespace strata::bench {
namespace {

// Dense in -> out with bias: in * out + out.
constexpr int64_t dense(int64_t in, int64_t out) {
  return in * out + out;
}
// Conv / ConvT with a k x k kernel: cin * cout * k * k (+ cout with bias).
constexpr int64_t conv(int64_t cin, int64_t cout, int64_t k, bool bias) {
  return cin * cout * k * k + (bias ? cout : 0);
}
constexpr int64_t bn(int64_t c) {
  return 2 * c;
}  // gamma and beta

TEST(BenchModels, SaeFinetuneParameterCount) {
  // 784-1000-500-250-30-250-500-1000-784, every Dense with a bias:
  // 785,000 + 500,500 + 125,250 + 7,530 + 7,750 + 125,500 + 501,000 + 784,784 = 2,837,314.
  constexpr int64_t expected = dense(784, 1000) + dense(1000, 500) + dense(500, 250) +
                               dense(250, 30) + dense(30, 250) + dense(250, 500) +
                               dense(500, 1000) + dense(1000, 784);
  static_assert(expected == 2837314);
  Sequential m = make_autoencoder(find_model("sae_finetune"), 1);
  EXPECT_EQ(count_params(m), expected);
  EXPECT_EQ(m.output_sample_shape(), Shape{784});
  // 8 Dense, 6 ReLU (not after the 30-unit code), 1 sigmoid.
  EXPECT_EQ(m.num_layers(), 15);
  EXPECT_STREQ(m.layer(6).kind(), "dense");  // the 30-unit code, followed directly by a Dense
  EXPECT_STREQ(m.layer(7).kind(), "dense");
  EXPECT_STREQ(m.layer(14).kind(), "sigmoid");
}

TEST(BenchModels, SaeLayer1ParameterCount) {
  // 784-1000-784: 785,000 + 784,784 = 1,569,784.
  constexpr int64_t expected = dense(784, 1000) + dense(1000, 784);
  static_assert(expected == 1569784);
  Sequential m = make_autoencoder(find_model("sae_layer1"), 1);
  EXPECT_EQ(count_params(m), expected);
  EXPECT_EQ(m.output_sample_shape(), Shape{784});
  EXPECT_STREQ(m.layer(1).kind(), "sigmoid");
  EXPECT_STREQ(m.layer(3).kind(), "sigmoid");
  EXPECT_FLOAT_EQ(find_model("sae_layer1").corruption, 0.3f);
}

TEST(BenchModels, Dcgan28ParameterCounts) {
  // G: Dense 100->6272 (633,472) + BN1d 6272 (12,544) + ConvT 128->64 k4 (131,136)
  //    + BN 64 (128) + ConvT 64->1 k4 (1,025) = 778,305.
  constexpr int64_t g =
      dense(100, 6272) + bn(6272) + conv(128, 64, 4, true) + bn(64) + conv(64, 1, 4, true);
  static_assert(g == 778305);
  // D: Conv 1->64 k4 (1,088) + Conv 64->128 k4 (131,200) + BN 128 (256) + Dense 6272->1 (6,273)
  //    = 138,817.
  constexpr int64_t d = conv(1, 64, 4, true) + conv(64, 128, 4, true) + bn(128) + dense(6272, 1);
  static_assert(d == 138817);
  Gan gan = make_gan(find_model("dcgan28"), 1);
  EXPECT_EQ(count_params(gan.g), g);
  EXPECT_EQ(count_params(gan.d), d);
  EXPECT_EQ(gan.g.input_sample_shape(), Shape{100});
  EXPECT_EQ(gan.g.output_sample_shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(gan.d.output_sample_shape(), Shape{1});
}

TEST(BenchModels, Dcgan64ParameterCounts) {
  // Radford et al., ngf = ndf = 64, no bias. G: ConvT 100->512 (819,200) + BN 512 (1,024)
  // + ConvT 512->256 (2,097,152) + BN 256 (512) + ConvT 256->128 (524,288) + BN 128 (256)
  // + ConvT 128->64 (131,072) + BN 64 (128) + ConvT 64->3 (3,072) = 3,576,704.
  constexpr int64_t g = conv(100, 512, 4, false) + bn(512) + conv(512, 256, 4, false) + bn(256) +
                        conv(256, 128, 4, false) + bn(128) + conv(128, 64, 4, false) + bn(64) +
                        conv(64, 3, 4, false);
  static_assert(g == 3576704);
  // D: Conv 3->64 (3,072) + Conv 64->128 (131,072) + BN 128 (256) + Conv 128->256 (524,288)
  // + BN 256 (512) + Conv 256->512 (2,097,152) + BN 512 (1,024) + Conv 512->1 (8,192)
  // = 2,765,568.
  constexpr int64_t d = conv(3, 64, 4, false) + conv(64, 128, 4, false) + bn(128) +
                        conv(128, 256, 4, false) + bn(256) + conv(256, 512, 4, false) + bn(512) +
                        conv(512, 1, 4, false);
  static_assert(d == 2765568);
  Gan gan = make_gan(find_model("dcgan64"), 1);
  EXPECT_EQ(count_params(gan.g), g);
  EXPECT_EQ(count_params(gan.d), d);
  EXPECT_EQ(gan.g.input_sample_shape(), (Shape{100, 1, 1}));
  EXPECT_EQ(gan.g.output_sample_shape(), (Shape{3, 64, 64}));
  EXPECT_EQ(gan.d.output_sample_shape(), (Shape{1, 1, 1}));
}

TEST(BenchModels, DcganWeightsAreNormalWithStd002) {
  Gan gan = make_gan(find_model("dcgan28"), 7);
  for (Sequential* m : {&gan.g, &gan.d}) {
    for (const NamedParam& p : m->named_params()) {
      if (p.name.find(".weight") == std::string::npos ||
          p.name.find("batchnorm") != std::string::npos)
        continue;
      double s = 0, s2 = 0;
      const int64_t n = p.value.numel();
      for (int64_t i = 0; i < n; ++i) {
        s += p.value[i];
        s2 += static_cast<double>(p.value[i]) * p.value[i];
      }
      const double mean = s / n, sd = std::sqrt(s2 / n - mean * mean);
      if (n < 1000) continue;  // too few values for a tight estimate
      EXPECT_NEAR(mean, 0.0, 0.003) << p.name;
      EXPECT_NEAR(sd, 0.02, 0.002) << p.name;
    }
  }
}

TEST(BenchModels, BatchSizesAndOptimizersFollowModelsMd) {
  EXPECT_EQ(find_model("sae_finetune").batch, 256);
  EXPECT_EQ(find_model("sae_layer1").batch, 256);
  EXPECT_EQ(find_model("dcgan28").batch, 256);
  EXPECT_EQ(find_model("dcgan64").batch, 128);
  EXPECT_FLOAT_EQ(find_model("sae_finetune").adam.lr, 1e-3f);
  EXPECT_FLOAT_EQ(find_model("dcgan64").adam.lr, 2e-4f);
  EXPECT_FLOAT_EQ(find_model("dcgan64").adam.beta1, 0.5f);
  EXPECT_FLOAT_EQ(find_model("dcgan28").adam.beta2, 0.999f);
}

TEST(BenchModels, UnknownNameListsTheModels) {
  try {
    find_model("resnet50");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("sae_finetune"), std::string::npos) << e.message();
    EXPECT_NE(e.message().find("dcgan64"), std::string::npos) << e.message();
  }
}

}  // namespace
}  // namespace strata::bench
