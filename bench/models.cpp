#include "bench/models.h"

#include <memory>
#include <sstream>
#include <vector>

#include "core/error.h"
#include "core/layers/activations.h"
#include "core/layers/batchnorm.h"
#include "core/layers/conv2d.h"
#include "core/layers/conv_transpose2d.h"
#include "core/layers/dense.h"
#include "core/layers/reshape.h"

namespace strata::bench {

namespace {

using K = InitSpec::Kind;
constexpr float kDcganStd = 0.02f;  // DCGAN weights: N(0, 0.02)

constexpr AdamOptions kAdamAe{.lr = 1e-3f};
constexpr AdamOptions kAdamGan{.lr = 2e-4f, .beta1 = 0.5f};

const ModelInfo kModels[] = {
    {"sae_finetune", ModelKind::kAutoencoder, 256, 0.0f, kAdamAe,
     "MLP autoencoder 784-1000-500-250-30-250-500-1000-784, batch 256"},
    {"sae_layer1", ModelKind::kAutoencoder, 256, 0.3f, kAdamAe,
     "denoising autoencoder 784-1000-784 (sigmoid), mask p=0.3, batch 256"},
    {"dcgan28", ModelKind::kGan, 256, 0.0f, kAdamGan, "DCGAN at 28x28x1, batch 256"},
    {"dcgan64", ModelKind::kGan, 128, 0.0f, kAdamGan,
     "DCGAN of Radford et al. at 64x64x3, ngf = ndf = 64, no bias, batch 128"},
};

std::unique_ptr<Layer> dense(int64_t units, bool dcgan = false) {
  DenseOptions o{.units = units};
  if (dcgan) {
    o.init = K::kNormal;
    o.init_stddev = kDcganStd;
  }
  return std::make_unique<Dense>(o);
}

std::unique_ptr<Layer> act(ActivationKind kind, float slope = 0.01f) {
  return std::make_unique<Activation>(kind, slope);
}

std::unique_ptr<Layer> batchnorm() {
  return std::make_unique<BatchNorm>(BatchNormOptions{});
}

// Conv k4 with the given stride and padding, weights N(0, 0.02).
std::unique_ptr<Layer> conv(int64_t filters, int64_t stride, int64_t pad, bool bias) {
  return std::make_unique<Conv2D>(Conv2DOptions{.filters = filters,
                                                .kernel_h = 4,
                                                .kernel_w = 4,
                                                .stride_h = stride,
                                                .stride_w = stride,
                                                .pad_h = pad,
                                                .pad_w = pad,
                                                .bias = bias,
                                                .init = K::kNormal,
                                                .init_stddev = kDcganStd});
}

std::unique_ptr<Layer> conv_t(int64_t filters, int64_t stride, int64_t pad, bool bias) {
  return std::make_unique<ConvTranspose2D>(ConvTranspose2DOptions{.filters = filters,
                                                                  .kernel_h = 4,
                                                                  .kernel_w = 4,
                                                                  .stride_h = stride,
                                                                  .stride_w = stride,
                                                                  .pad_h = pad,
                                                                  .pad_w = pad,
                                                                  .bias = bias,
                                                                  .init = K::kNormal,
                                                                  .init_stddev = kDcganStd});
}

Sequential sae_finetune(uint64_t seed, Device device) {
  constexpr int64_t kUnits[] = {1000, 500, 250, 30, 250, 500, 1000, 784};
  Sequential m;
  for (int64_t units : kUnits) {
    m.add(dense(units));
    if (units == 784)
      m.add(act(ActivationKind::kSigmoid));  // output
    else if (units != 30)
      m.add(act(ActivationKind::kReLU));  // hidden; the code stays linear
  }
  m.build(Shape{784}, seed, device);
  return m;
}

Sequential sae_layer1(uint64_t seed, Device device) {
  Sequential m;
  m.add(dense(1000));
  m.add(act(ActivationKind::kSigmoid));
  m.add(dense(784));
  m.add(act(ActivationKind::kSigmoid));
  m.build(Shape{784}, seed, device);
  return m;
}

Gan dcgan28(uint64_t seed, Device device) {
  Gan gan;
  gan.z_sample = Shape{100};
  gan.image_sample = Shape{1, 28, 28};
  Sequential& g = gan.g;
  g.add(dense(6272, true));
  g.add(batchnorm());
  g.add(act(ActivationKind::kReLU));
  g.add(std::make_unique<Reshape>(std::vector<int64_t>{128, 7, 7}));
  g.add(conv_t(64, 2, 1, true));  // 7 -> 14
  g.add(batchnorm());
  g.add(act(ActivationKind::kReLU));
  g.add(conv_t(1, 2, 1, true));  // 14 -> 28
  g.add(act(ActivationKind::kTanh));
  g.build(gan.z_sample, seed, device);

  Sequential& d = gan.d;
  d.add(conv(64, 2, 1, true));  // 28 -> 14
  d.add(act(ActivationKind::kLeakyReLU, 0.2f));
  d.add(conv(128, 2, 1, true));  // 14 -> 7
  d.add(batchnorm());
  d.add(act(ActivationKind::kLeakyReLU, 0.2f));
  d.add(std::make_unique<Reshape>());  // flatten: 128 * 7 * 7 = 6272
  d.add(dense(1, true));
  d.build(gan.image_sample, seed + 1, device);
  return gan;
}

Gan dcgan64(uint64_t seed, Device device) {
  constexpr int64_t kNgf = 64, kNdf = 64;
  Gan gan;
  gan.z_sample = Shape{100, 1, 1};
  gan.image_sample = Shape{3, 64, 64};
  Sequential& g = gan.g;
  g.add(conv_t(kNgf * 8, 1, 0, false));  // 1 -> 4
  for (int64_t mult : {4, 2, 1}) {       // 4 -> 8 -> 16 -> 32
    g.add(batchnorm());
    g.add(act(ActivationKind::kReLU));
    g.add(conv_t(kNgf * mult, 2, 1, false));
  }
  g.add(batchnorm());
  g.add(act(ActivationKind::kReLU));
  g.add(conv_t(3, 2, 1, false));  // 32 -> 64
  g.add(act(ActivationKind::kTanh));
  g.build(gan.z_sample, seed, device);

  Sequential& d = gan.d;
  d.add(conv(kNdf, 2, 1, false));  // 64 -> 32
  d.add(act(ActivationKind::kLeakyReLU, 0.2f));
  for (int64_t mult : {2, 4, 8}) {  // 32 -> 16 -> 8 -> 4
    d.add(conv(kNdf * mult, 2, 1, false));
    d.add(batchnorm());
    d.add(act(ActivationKind::kLeakyReLU, 0.2f));
  }
  d.add(conv(1, 1, 0, false));  // 4 -> 1: one logit, shape [1, 1, 1]
  d.build(gan.image_sample, seed + 1, device);
  return gan;
}

}  // namespace

std::span<const ModelInfo> model_infos() {
  return kModels;
}

const ModelInfo& find_model(const std::string& name) {
  for (const ModelInfo& m : kModels)
    if (name == m.name) return m;
  std::ostringstream known;
  for (const ModelInfo& m : kModels) known << (&m == kModels ? "" : ", ") << m.name;
  STRATA_THROW("unknown benchmark model '" << name << "'; the models are " << known.str()
                                           << " (see bench/MODELS.md)");
}

Sequential make_autoencoder(const ModelInfo& info, uint64_t seed, Device device) {
  const std::string name = info.name;
  if (name == "sae_finetune") return sae_finetune(seed, device);
  if (name == "sae_layer1") return sae_layer1(seed, device);
  STRATA_THROW("'" << name << "' is not an autoencoder benchmark model");
}

Gan make_gan(const ModelInfo& info, uint64_t seed, Device device) {
  const std::string name = info.name;
  if (name == "dcgan28") return dcgan28(seed, device);
  if (name == "dcgan64") return dcgan64(seed, device);
  STRATA_THROW("'" << name << "' is not a GAN benchmark model");
}

int64_t count_params(Sequential& model) {
  int64_t n = 0;
  for (const NamedParam& p : model.named_params()) n += p.value.numel();
  return n;
}

}  // namespace strata::bench
