// Helpers for the trainer-kind tests: parse a kind from YAML text, build it on one process, make
// random and separable batches.
#pragma once

#include <memory>
#include <string>

#include "core/config/yaml_map.h"
#include "core/data/reader.h"
#include "core/rng.h"
#include "distributed/local_communicator.h"
#include "trainers/experiment.h"
#include "trainers/phase.h"

namespace strata::test {

// The kind's spec from an experiment's text (only trainer, model and optimizer are read).
inline std::unique_ptr<TrainerSpec> parse_kind(const std::string& yaml) {
  const YamlMap root = YamlMap::parse(yaml, "kind.yaml");
  const YamlMap trainer = root.get_map("trainer");
  const std::string kind = trainer.get_string("kind");
  trainer.get_int("batch_size");
  if (kind == "classifier") return parse_classifier_trainer(root, trainer);
  return parse_autoencoder_trainer(root, trainer);
}

// The message of the error that parsing `yaml` throws ("" when it does not throw).
inline std::string parse_error(const std::string& yaml) {
  try {
    parse_kind(yaml);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

struct Built {
  LocalCommunicator comm;
  std::unique_ptr<Trainer> trainer;
};

inline std::unique_ptr<Built> build_kind(const TrainerSpec& spec, int64_t batch = 16,
                                         uint64_t seed = 3,
                                         Precision precision = Precision::kFp32) {
  auto b = std::make_unique<Built>();
  TrainerContext ctx{.comm = b->comm,
                     .seed = seed,
                     .batch_size = batch,
                     .train = nullptr,
                     .test = nullptr,
                     .data = nullptr,
                     .parallel = {},
                     .precision = precision};
  b->trainer = spec.build(ctx);
  return b;
}

// n images [n, 1, 8, 8] in [0, 1]: class c (labels[i] = i % classes) lights up row band c, plus
// a little noise: separable, and compressible by a small autoencoder.
inline Batch separable_batch(int64_t n, int classes, uint64_t key, int64_t side = 8) {
  Batch b;
  b.images = Tensor(Shape{n, 1, side, side});
  b.labels = Tensor(Shape{n});
  b.size = n;
  for (int64_t i = 0; i < n; ++i) {
    RandomStream rng(key, RngPurpose::kTest, 0, 0, static_cast<uint64_t>(i));
    const int c = static_cast<int>(i % classes);
    b.labels[i] = static_cast<float>(c);
    for (int64_t y = 0; y < side; ++y)
      for (int64_t x = 0; x < side; ++x) {
        const bool on = (y * classes / side) == c;
        b.images[(i * side + y) * side + x] = (on ? 0.8f : 0.1f) + 0.1f * rng.uniform();
      }
  }
  return b;
}

inline BatchPosition position(uint64_t step, int64_t n) {
  BatchPosition p;
  p.step = step;
  p.sample_offset = 0;
  p.global_batch = n;
  return p;
}

inline double metric(const Metrics& m, const std::string& name) {
  for (const auto& [k, v] : m)
    if (k == name) return v;
  return -1.0;
}

}  // namespace strata::test
