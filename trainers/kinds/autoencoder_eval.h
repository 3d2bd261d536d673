// Test-set evaluation for the autoencoder and classifier kinds, collective over ranks: every rank
// reads its share of each test batch (no shuffling; the last batch is padded by the reader and the
// padded rows are left out), runs its network in eval mode, and the sums and sample counts are
// combined with one all-reduce at the end. Also the fixed picture batch for write_samples.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/config/data_config.h"
#include "core/data/dataset.h"
#include "core/data/reader.h"
#include "distributed/communicator.h"
#include "trainers/phase.h"

namespace strata {

struct EvalData {
  Communicator* comm = nullptr;
  const DatasetInfo* test = nullptr;  // nullptr: evaluation reports nothing
  const DataConfig* data = nullptr;
  int64_t batch = 256;  // global batch of the evaluation
};

EvalData eval_data(const TrainerContext& ctx);

// The eval-mode step context.
StepContext eval_context();

// Calls fn(images [n, C, H, W], labels [n] or empty, valid) for this rank's share of every test
// batch, as the reader delivers them (on the host or a device); rows [0, valid) are real samples.
void for_each_test_batch(const EvalData& d, bool need_labels,
                         const std::function<void(const Tensor&, const Tensor&, int64_t)>& fn);

// Mean per-sample MSE over the test set: run(images) returns (target, reconstruction), both
// [n, ...] with the same number of values per sample, on any device (read back to the host).
// {"test_mse", m}; {} without a test set.
using ReconstructFn = std::function<std::pair<const Tensor*, const Tensor*>(const Tensor& images)>;
Metrics evaluate_reconstruction(const EvalData& d, const ReconstructFn& run);

// Accuracy and mean cross-entropy over the test set: logits(images) returns [n, classes] on any
// device (read back to the host).
// {"test_accuracy", a, "test_loss", l}; {} without a test set.
Metrics evaluate_classification(const EvalData& d,
                                const std::function<const Tensor&(const Tensor&)>& logits);

// The first `count` samples of `info` (no shuffle, one process), scaled as the data section says,
// on the host: the inputs shown in sample pictures. Not collective.
Tensor read_sample_images(const DatasetInfo& info, const DataConfig& dc, int64_t count);

// The picture value range of a pixel scale: unit [0, 1], symmetric [-1, 1].
void pixel_range(PixelScale s, float* low, float* high);

}  // namespace strata
