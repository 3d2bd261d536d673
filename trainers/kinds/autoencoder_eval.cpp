// Collective test-set evaluation (reconstruction MSE, classification accuracy and loss) and the
// sample-picture batch (trainers/kinds/autoencoder_eval.h).
#include "trainers/kinds/autoencoder_eval.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/losses/loss.h"
#include "trainers/device_input.h"

namespace strata {

EvalData eval_data(const TrainerContext& ctx) {
  EvalData d;
  d.comm = &ctx.comm;
  d.test = ctx.test;
  d.data = ctx.data;
  d.batch = ctx.batch_size;
  return d;
}

StepContext eval_context() {
  StepContext ctx;
  ctx.training = false;
  ctx.param_grads = false;
  return ctx;
}

void for_each_test_batch(const EvalData& d, bool need_labels,
                         const std::function<void(const Tensor&, const Tensor&, int64_t)>& fn) {
  STRATA_CHECK(d.comm && d.test && d.data, "evaluation needs a test set (data.test)");
  Communicator& comm = *d.comm;
  ReaderOptions ro;
  ro.global_batch = std::max<int64_t>(comm.size(), std::min(d.batch, d.test->total));
  ro.rank = comm.rank();
  ro.world = comm.size();
  ro.shuffle = false;
  ro.drop_last = false;
  ro.prefetch = d.data->prefetch;
  ro.scale = d.data->scale;
  DataReader reader(*d.test, ro);
  reader.start(0, 0);
  for (int64_t s = 0; s < reader.steps_per_epoch(); ++s) {
    const Batch& b = reader.next();
    if (b.size == 0) continue;
    STRATA_CHECK(!need_labels || b.labels.numel() == b.size,
                 "the test set " << d.data->test << " has no labels; a classifier needs them");
    const int64_t valid = std::clamp<int64_t>(d.test->total - b.global_offset, 0, b.size);
    fn(b.images, b.labels, valid);
  }
}

Metrics evaluate_reconstruction(const EvalData& d, const ReconstructFn& run) {
  if (!d.test) return {};
  double sum = 0, seen = 0;
  Tensor host_target, host_out;  // the network's values read back (when on a device)
  for_each_test_batch(d, false, [&](const Tensor& images, const Tensor&, int64_t valid) {
    const auto [device_target, device_out] = run(images);
    const int64_t n = images.dim(0);
    const int64_t per = device_out->numel() / n;
    STRATA_CHECK(device_target->numel() == device_out->numel(),
                 "reconstruction " << device_out->shape().str() << " does not match target "
                                   << device_target->shape().str());
    const Tensor* target = &on_host(*device_target, host_target);
    const Tensor* out = &on_host(*device_out, host_out);
    double batch_sum = 0;
    for (int64_t i = 0; i < valid * per; ++i) {
      const double e = static_cast<double>((*out)[i]) - (*target)[i];
      batch_sum += e * e;
    }
    sum += batch_sum / static_cast<double>(per);
    seen += static_cast<double>(valid);
  });
  // Per-sample mean squared errors and sample counts, summed over ranks.
  double totals[2] = {sum, seen};
  d.comm->all_reduce(totals, 2, DataType::kF64, ReduceOp::kSum);
  return {{"test_mse", totals[1] > 0 ? totals[0] / totals[1] : 0.0}};
}

Metrics evaluate_classification(const EvalData& d,
                                const std::function<const Tensor&(const Tensor&)>& logits) {
  if (!d.test) return {};
  double correct = 0, loss = 0, seen = 0;
  Tensor host_logits, host_labels;  // read back (when on a device)
  for_each_test_batch(
      d, true, [&](const Tensor& images, const Tensor& batch_labels, int64_t valid) {
        const Tensor& z = on_host(logits(images), host_logits);
        const Tensor& labels = on_host(batch_labels, host_labels);
        const int64_t k = z.numel() / images.dim(0);
        for (int64_t i = 0; i < valid; ++i) {
          const float* row = z.data() + i * k;
          const int64_t label = static_cast<int64_t>(labels[i]);
          STRATA_CHECK(label >= 0 && label < k, "test label " << label << " is outside the " << k
                                                              << " classes of the model");
          int64_t best = 0;
          float mx = row[0];
          for (int64_t c = 1; c < k; ++c)
            if (row[c] > mx) mx = row[c], best = c;
          double se = 0;
          for (int64_t c = 0; c < k; ++c) se += std::exp(static_cast<double>(row[c]) - mx);
          loss += std::log(se) + mx - row[label];
          correct += best == label ? 1.0 : 0.0;
        }
        seen += static_cast<double>(valid);
      });
  double totals[3] = {correct, loss, seen};
  d.comm->all_reduce(totals, 3, DataType::kF64, ReduceOp::kSum);
  if (totals[2] <= 0) return {};
  return {{"test_accuracy", totals[0] / totals[2]}, {"test_loss", totals[1] / totals[2]}};
}

Tensor read_sample_images(const DatasetInfo& info, const DataConfig& dc, int64_t count) {
  ReaderOptions ro;
  ro.global_batch = std::min(count, info.total);
  ro.shuffle = false;
  ro.drop_last = true;
  ro.prefetch = 1;
  ro.scale = dc.scale;
  DataReader reader(info, ro);
  reader.start(0, 0);
  return reader.next().images.to(Device::cpu());
}

void pixel_range(PixelScale s, float* low, float* high) {
  *low = s == PixelScale::kSymmetric ? -1.0f : 0.0f;
  *high = 1.0f;
  if (s == PixelScale::kNone) *high = 255.0f;
}

}  // namespace strata
