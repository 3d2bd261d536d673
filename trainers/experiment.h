// An experiment file, parsed once into typed structs and checked before any work: unknown keys
// and wrong types are errors naming the file, line and key (core/config/yaml_map.h).
//
//   seed: 1
//   device: auto              auto | cpu | cuda (core/device_select.h)
//   precision: fp32           fp32 | tf32 | bf16 (core/precision.h)
//   cuda_graphs: true         each training step captured as a CUDA graph on a GPU
//   (core/step_graph.h) data: {...}               core/config/data_config.h trainer: kind:
//   autoencoder | stacked_autoencoder | gan | classifier,
//     kind: ...               batch_size (the global batch), and the kind's own keys
//     batch_size: 256
//   model: {...}              autoencoder, stacked_autoencoder, classifier
//   models: {generator: {...}, discriminator: {...}}     gan
//   optimizer: {...}          or optimizers: {generator: ..., discriminator: ...} (gan)
//   schedule: {...}           learning-rate schedule, per phase (trainers/schedule.h)
//   distributed: {...}        trainers/distributed_config.h
//   checkpoint: {every_epochs: 1, every_steps: 0, keep: 3}
//   logging: {every_steps: 50, samples_every_steps: 0, progress: auto, tensorboard: true}
//
// The kinds parse their own keys (trainer.*, model/models, optimizer/optimizers) through a
// TrainerSpec parser; the sections shared by every kind are parsed here.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/config/data_config.h"
#include "core/config/yaml_map.h"
#include "core/device_select.h"
#include "core/precision.h"
#include "trainers/distributed_config.h"
#include "trainers/phase.h"
#include "trainers/run/progress.h"
#include "trainers/schedule.h"

namespace strata {

struct CheckpointConfig {
  int64_t every_epochs = 1;  // at the end of every N-th epoch of a phase, and of its last one
  int64_t every_steps = 0;   // also every N steps (0: never)
  int keep = 3;              // checkpoints kept in checkpoints/
};

struct LoggingConfig {
  int64_t every_steps = 50;         // metrics.jsonl records and progress lines
  int64_t samples_every_steps = 0;  // pictures; 0: at the end of each epoch
  ProgressMode progress = ProgressMode::kAuto;
  bool tensorboard = true;  // TensorBoard's events file in the run folder (run/event_log.h)
};

struct Experiment {
  uint64_t seed = 1;
  DeviceRequest device = DeviceRequest::kAuto;  // `device`: auto | cpu | cuda
  Precision precision = Precision::kFp32;       // `precision`: fp32 | tf32 | bf16
  bool cuda_graphs = true;  // `cuda_graphs`: capture and replay training steps on a GPU
  DataConfig data;
  bool scale_given = false;  // data.scale was in the file (else the kind's default)
  DistributedConfig distributed;
  CheckpointConfig checkpoint;
  LoggingConfig logging;
  ScheduleConfig schedule;
  int64_t batch_size = 0;
  std::unique_ptr<TrainerSpec> trainer;
  std::string source;         // the file it came from
  std::string resolved_yaml;  // the experiment after --set, defaults filled in (config.yaml)
};

// A "--set key.path=value" override: applied to the YAML tree before parsing, so it is checked
// like a key in the file. key.path uses dots; list entries by index (model.layers.2.units=64).
struct Override {
  std::string key, value;
};
// Parses "key=value" (throws naming the argument when malformed).
Override parse_override(const std::string& arg);

// Loads path, applies the overrides, parses every section (the kind's too) and fails on the
// first error; nothing is built and no data is read.
Experiment load_experiment(const std::string& path, const std::vector<Override>& overrides = {});
// The same from text (tests; checkpoints carry their config as text).
Experiment parse_experiment(const std::string& yaml_text, const std::string& file_name,
                            const std::vector<Override>& overrides = {});

// The kinds' parsers (trainers/kinds/*): each reads `trainer` (kind and batch_size already read)
// and the root's model/models/optimizer/optimizers sections. parse_autoencoder_trainer takes the
// kinds autoencoder and stacked_autoencoder.
std::unique_ptr<TrainerSpec> parse_autoencoder_trainer(const YamlMap& config,
                                                       const YamlMap& trainer);
std::unique_ptr<TrainerSpec> parse_classifier_trainer(const YamlMap& config,
                                                      const YamlMap& trainer);
std::unique_ptr<TrainerSpec> parse_gan_trainer(const YamlMap& config, const YamlMap& trainer);

}  // namespace strata
