// Shared pieces of the `gan` kind's tests: a tiny experiment (8x8 images, 8-d latent), its parsing
// and building on one process, and random batches.
#pragma once

#include <memory>
#include <string>

#include "core/config/yaml_map.h"
#include "core/rng.h"
#include "distributed/local_communicator.h"
#include "trainers/kinds/gan.h"

namespace strata::gan_test {

// The root of an experiment around `trainer_keys` (extra lines of the trainer section, each
// indented by 2) with `d_input` as the discriminator's input shape.
inline std::string experiment_yaml(const std::string& trainer_keys = "",
                                   const std::string& d_input = "[1, 8, 8]") {
  return "trainer:\n"
         "  kind: gan\n"
         "  batch_size: 8\n"
         "  epochs: 1\n" +
         trainer_keys +
         "models:\n"
         "  generator:\n"
         "    input_shape: [8]\n"
         "    layers:\n"
         "      - {type: dense, units: 32}\n"
         "      - {type: batchnorm}\n"
         "      - {type: relu}\n"
         "      - {type: dense, units: 64}\n"
         "      - {type: tanh}\n"
         "      - {type: reshape, shape: [1, 8, 8]}\n"
         "  discriminator:\n"
         "    input_shape: " +
         d_input +
         "\n"
         "    layers:\n"
         "      - {type: conv2d, filters: 4, kernel: 3, stride: 2, padding: 1}\n"
         "      - {type: leaky_relu, slope: 0.2}\n"
         "      - {type: flatten}\n"
         "      - {type: dense, units: 1, name: logit}\n"
         "optimizer: {kind: adam, lr: 0.001, beta1: 0.5}\n";
}

inline GanConfig parse(const std::string& yaml) {
  const YamlMap root = YamlMap::parse(yaml, "gan_test.yaml");
  const YamlMap trainer = root.get_map("trainer");
  trainer.get_string("kind");
  trainer.get_int("batch_size");
  return parse_gan_config(root, trainer);
}

struct Built {
  LocalCommunicator comm;
  std::unique_ptr<GanTrainer> trainer;
};

inline std::unique_ptr<Built> build(const GanConfig& c, uint64_t seed = 7) {
  auto b = std::make_unique<Built>();
  const TrainerContext ctx{.comm = b->comm,
                           .seed = seed,
                           .batch_size = 8,
                           .train = nullptr,
                           .test = nullptr,
                           .data = nullptr,
                           .parallel = ParallelOptions{}};
  b->trainer = std::make_unique<GanTrainer>(c, ctx);
  return b;
}

// n images [n, 1, 8, 8] in [-1, 1], drawn from `key`.
inline Batch random_batch(int64_t n, uint64_t key) {
  Batch b;
  b.images = Tensor(Shape{n, 1, 8, 8});
  RandomStream rng(key, RngPurpose::kTest, 0, 0, 0);
  for (int64_t i = 0; i < b.images.numel(); ++i) b.images[i] = 2.0f * rng.uniform() - 1.0f;
  b.size = n;
  return b;
}

inline Tensor copy_of(const Tensor& t) {
  Tensor c(t.shape());
  c.copy_from(t);
  return c;
}

inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  double m = 0;
  for (int64_t i = 0; i < a.numel(); ++i)
    m = std::max(m, static_cast<double>(std::fabs(a[i] - b[i])));
  return m;
}

}  // namespace strata::gan_test
