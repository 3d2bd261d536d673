// Evaluation passes over a data set with a trained network: reconstruction error, accuracy, and
// the feature vectors of a classifier for the Frechet distance (trainers/eval/frechet.h).
//
// The feature vector of a classifier (kind classifier: Trainer::network("classifier"), a
// Sequential) is the input of its last layer, activation(num_layers() - 2), computed in eval mode
// and flattened per sample.
#pragma once

#include <cstdint>
#include <functional>

#include "core/data/dataset.h"
#include "core/data/reader.h"
#include "core/sequential.h"
#include "trainers/eval/frechet.h"

namespace strata {

// Calls fn(images, labels) for the first `count` samples of `info` (all of them when count <= 0),
// in file order, at most `batch` at a time: images [m, C, H, W] scaled as `scale` says, labels [m]
// (empty when the data set has none), where the reader delivers them (the host or a device).
using BatchFn = std::function<void(const Tensor& images, const Tensor& labels)>;
void for_each_batch(const DatasetInfo& info, PixelScale scale, int64_t count, int64_t batch,
                    const BatchFn& fn);

// Maps pixel values of host images from one scale to another in place (through the stored
// 0..255 range: unit x = raw / 255, symmetric x = raw / 127.5 - 1). kNone cannot be converted to
// or from another scale.
void rescale(Tensor& images, PixelScale from, PixelScale to);

// The length of the classifier's feature vector (the input of its last layer).
int64_t feature_dim(Sequential& classifier);
// Runs the classifier on images ([n, ...] with its input's values per row; on any device) in eval
// mode and adds the feature vectors (read back to the host) to stats.
void add_features(Sequential& classifier, const Tensor& images, FeatureStats& stats);

struct EvalResult {
  double value = 0;   // the mean squared error or the accuracy
  int64_t count = 0;  // samples evaluated
};
// Mean squared error of autoencoder(x) against x over the samples.
EvalResult reconstruction_mse(Sequential& autoencoder, const DatasetInfo& info, PixelScale scale,
                              int64_t count, int64_t batch);
// Fraction of samples whose arg-max logit is the label (the data set needs labels).
EvalResult accuracy(Sequential& classifier, const DatasetInfo& info, PixelScale scale,
                    int64_t count, int64_t batch);

// Pixel values are compared to outputs reshaped to the same number of values per sample; a
// mismatch throws naming both shapes.
void check_sample_size(const Sequential& net, const DatasetInfo& info, const char* what);

}  // namespace strata
