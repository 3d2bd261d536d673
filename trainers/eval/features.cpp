// Evaluation passes over data sets: batches in file order, rescaling, classifier features,
// reconstruction error and accuracy (trainers/eval/features.h).
#include "trainers/eval/features.h"

#include <algorithm>

#include "core/error.h"
#include "trainers/device_input.h"

namespace strata {

namespace {

StepContext eval_context() {
  StepContext ctx;
  ctx.training = false;
  ctx.param_grads = false;
  return ctx;
}

// The first m rows of t as a view (on t's device).
Tensor rows(const Tensor& t, int64_t m, const Shape& sample) {
  return Tensor::view(const_cast<float*>(t.data()), batched(m, sample), t.device());
}

}  // namespace

void for_each_batch(const DatasetInfo& info, PixelScale scale, int64_t count, int64_t batch,
                    const BatchFn& fn) {
  const int64_t total = count <= 0 ? info.total : std::min(count, info.total);
  STRATA_CHECK(total > 0, "the data set " << (info.shards.empty() ? "" : info.shards[0].path)
                                          << " holds no samples");
  ReaderOptions ro;
  ro.global_batch = std::min(batch, total);
  ro.shuffle = false;
  ro.drop_last = false;
  ro.scale = scale;
  DataReader reader(info, ro);
  reader.start(0, 0);
  const Shape image{info.channels, info.height, info.width};
  for (int64_t done = 0; done < total;) {
    const Batch& b = reader.next();
    const int64_t m = std::min(b.size, total - done);
    const Tensor labels = b.labels.empty() ? Tensor()
                                           : Tensor::view(const_cast<float*>(b.labels.data()),
                                                          Shape{m}, b.labels.device());
    fn(rows(b.images, m, image), labels);
    done += m;
  }
}

void rescale(Tensor& images, PixelScale from, PixelScale to) {
  if (from == to) return;
  STRATA_CHECK(images.on_cpu(),
               "rescale works on host images; these are on " << images.device().str());
  STRATA_CHECK(from != PixelScale::kNone && to != PixelScale::kNone,
               "pixels stored as is (scale: none) cannot be converted to another scale");
  // unit -> symmetric: 2x - 1; symmetric -> unit: (x + 1) / 2.
  const bool to_sym = to == PixelScale::kSymmetric;
  float* p = images.data();
  const int64_t n = images.numel();
  for (int64_t i = 0; i < n; ++i) p[i] = to_sym ? 2.0f * p[i] - 1.0f : 0.5f * (p[i] + 1.0f);
}

int64_t feature_dim(Sequential& classifier) {
  STRATA_CHECK(classifier.num_layers() >= 2,
               "a classifier needs at least two layers to give features (the input of its last "
               "layer); this one has "
                   << classifier.num_layers());
  // The output shape of layer num_layers() - 2 for one sample: run one zero sample through it.
  const Tensor x =
      Tensor::zeros(batched(1, classifier.input_sample_shape())).to(classifier.device());
  classifier.forward(x, eval_context());
  return classifier.activation(classifier.num_layers() - 2).numel();
}

void add_features(Sequential& classifier, const Tensor& images, FeatureStats& stats) {
  const Shape in = classifier.input_sample_shape();
  const int64_t n = images.dim(0);
  STRATA_CHECK(images.numel() == n * in.numel(), "images " << images.shape().str()
                                                           << " do not fit the classifier's input "
                                                           << in.str());
  Tensor on_net;  // the images on the classifier's device (when elsewhere)
  classifier.forward(on_device(images, classifier.device(), on_net).reshaped(batched(n, in)),
                     eval_context());
  const Tensor f = classifier.activation(classifier.num_layers() - 2).to(Device::cpu());
  STRATA_CHECK(f.numel() == n * stats.dim(), "the classifier's features "
                                                 << f.shape().str() << " are not " << n
                                                 << " rows of " << stats.dim());
  stats.add(f.data(), n);
}

void check_sample_size(const Sequential& net, const DatasetInfo& info, const char* what) {
  const Shape data{info.channels, info.height, info.width};
  STRATA_CHECK(net.input_sample_shape().numel() == data.numel(),
               "the " << what << " takes " << net.input_sample_shape().str()
                      << " but the data's images are " << data.str());
}

EvalResult reconstruction_mse(Sequential& autoencoder, const DatasetInfo& info, PixelScale scale,
                              int64_t count, int64_t batch) {
  check_sample_size(autoencoder, info, "autoencoder");
  STRATA_CHECK(autoencoder.output_sample_shape().numel() == info.sample_values(),
               "the autoencoder makes " << autoencoder.output_sample_shape().str()
                                        << " per sample but the images have "
                                        << info.sample_values() << " values");
  double sum = 0;
  EvalResult r;
  const Shape in = autoencoder.input_sample_shape();
  Tensor on_net, host_x, host_y;  // copies to the network's device and back (when needed)
  for_each_batch(info, scale, count, batch, [&](const Tensor& images, const Tensor&) {
    const int64_t m = images.dim(0);
    const Tensor& out = autoencoder.forward(
        on_device(images, autoencoder.device(), on_net).reshaped(batched(m, in)), eval_context());
    const Tensor& x = on_host(images, host_x);
    const Tensor& y = on_host(out, host_y);
    for (int64_t i = 0; i < x.numel(); ++i) {
      const double d = static_cast<double>(y[i]) - x[i];
      sum += d * d;
    }
    r.count += m;
  });
  r.value = sum / static_cast<double>(r.count * info.sample_values());
  return r;
}

EvalResult accuracy(Sequential& classifier, const DatasetInfo& info, PixelScale scale,
                    int64_t count, int64_t batch) {
  check_sample_size(classifier, info, "classifier");
  STRATA_CHECK(info.has_labels, "accuracy needs labels, but "
                                    << (info.shards.empty() ? "the data" : info.shards[0].path)
                                    << " has no labels dataset");
  const Shape in = classifier.input_sample_shape();
  const int64_t k = classifier.output_sample_shape().numel();
  int64_t right = 0;
  EvalResult r;
  Tensor on_net, host_y, host_labels;  // copies to the network's device and back (when needed)
  for_each_batch(info, scale, count, batch, [&](const Tensor& x, const Tensor& batch_labels) {
    const int64_t m = x.dim(0);
    const Tensor& out = classifier.forward(
        on_device(x, classifier.device(), on_net).reshaped(batched(m, in)), eval_context());
    const Tensor& y = on_host(out, host_y);
    const Tensor& labels = on_host(batch_labels, host_labels);
    for (int64_t i = 0; i < m; ++i) {
      const float* row = y.data() + i * k;
      const int64_t best = std::max_element(row, row + k) - row;
      if (best == static_cast<int64_t>(labels[i])) ++right;
    }
    r.count += m;
  });
  r.value = static_cast<double>(right) / static_cast<double>(r.count);
  return r;
}

}  // namespace strata
