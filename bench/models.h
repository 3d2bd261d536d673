// The benchmark models of bench/MODELS.md, built from the layer classes.
//
//   sae_finetune  MLP autoencoder 784-1000-500-250-30-250-500-1000-784, ReLU after every hidden
//                 layer, linear 30-unit code, sigmoid output; batch 256, Adam lr 1e-3, MSE.
//   sae_layer1    784-1000-784, sigmoid code and output, input masked with p = 0.3; batch 256,
//                 Adam lr 1e-3, MSE.
//   dcgan28       G: z(100) -> Dense 6272 -> BN, ReLU -> reshape 128x7x7 -> ConvT 128->64 k4 s2 p1
//                 -> BN, ReLU -> ConvT 64->1 k4 s2 p1 -> tanh.
//                 D: Conv 1->64 k4 s2 p1 -> LeakyReLU 0.2 -> Conv 64->128 k4 s2 p1 -> BN ->
//                 LeakyReLU 0.2 -> Dense 6272->1 (logit); batch 256, Adam lr 2e-4 beta1 0.5.
//   dcgan64       Radford et al. 2015 at 64x64x3, nz 100, ngf = ndf = 64, no bias; batch 128.
//
// Weights: DCGAN N(0, 0.02), the autoencoders the layer defaults. Biases stay on except where
// MODELS.md says "no bias" (dcgan64).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/optim/optimizer.h"
#include "core/sequential.h"

namespace strata::bench {

enum class ModelKind { kAutoencoder, kGan };

struct ModelInfo {
  const char* name;
  ModelKind kind;
  int64_t batch;        // MODELS.md's batch size
  float corruption;     // autoencoders: probability that an input value is masked to 0
  AdamOptions adam;     // the optimizer of MODELS.md
  const char* summary;  // one line, for --help
};

// The four models, in MODELS.md's order.
std::span<const ModelInfo> model_infos();
// Throws a strata::Error naming the known models when `name` is not one of them.
const ModelInfo& find_model(const std::string& name);

// An autoencoder, built for samples of shape {784} on `device`.
Sequential make_autoencoder(const ModelInfo& info, uint64_t seed, Device device = Device::cpu());

// A GAN: the generator maps z (shape z_sample) to images (shape image_sample); the discriminator
// maps images to one logit per sample. Both built.
struct Gan {
  Sequential g, d;
  Shape z_sample;      // {100} for dcgan28, {100, 1, 1} for dcgan64
  Shape image_sample;  // {1, 28, 28} or {3, 64, 64}
};
Gan make_gan(const ModelInfo& info, uint64_t seed, Device device = Device::cpu());

// The number of parameter values of a model, without the alignment padding of its flat buffer.
int64_t count_params(Sequential& model);

}  // namespace strata::bench
