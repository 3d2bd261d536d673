// A plain autoencoder training run on HDF5 shards, data-parallel over the ranks of the optional
// `distributed` section (trainers/distributed_config.h): the loop behind `strata train` until the
// full trainers (stacked, GAN, checkpoints) arrive. Only rank 0 prints progress.
//
// The DataReader visits the training samples in a permutation drawn from (seed, epoch), reading
// ahead on its own thread; each step reconstructs a batch under MSE; at the end of each epoch the
// test set is reconstructed in eval mode and its MSE reported. Progress lines carry the time a
// step waited for data (data_wait_ms).
#pragma once

#include <cstdint>
#include <string>

#include "core/config/yaml_map.h"

namespace strata {

struct AutoencoderRunResult {
  double final_train_loss = 0;  // mean over the last epoch
  double test_mse = 0;
  int64_t steps = 0;
  double samples_per_s = 0;
  int rank = 0, world = 1;  // this process's rank and the number of ranks
};

// Runs the experiment file's `trainer`, `data`, `model` and `optimizer` sections (see
// configs/fashion_mnist_ae.yaml); prints progress lines to stdout.
AutoencoderRunResult run_autoencoder(const YamlMap& config);

}  // namespace strata
