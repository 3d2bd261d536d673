#include "trainers/autoencoder_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>

#include "core/config/data_config.h"
#include "core/config/model_yaml.h"
#include "core/config/optimizer_yaml.h"
#include "core/data/reader.h"
#include "core/error.h"
#include "core/losses/loss.h"

namespace strata {

namespace {

// The images of a batch as the model's input: [n, C, H, W] viewed with the model's sample shape.
Tensor as_input(const Batch& b, const Shape& sample) {
  return b.images.reshaped(batched(b.size, sample));
}

void check_fits(const YamlMap& config, const DatasetInfo& data, const std::string& which,
                const Sequential& model) {
  const Shape sample = model.input_sample_shape();
  if (sample.numel() != data.sample_values())
    config.fail("model.input_shape " + sample.str() + " does not fit the " + which + " images (" +
                std::to_string(data.channels) + "x" + std::to_string(data.height) + "x" +
                std::to_string(data.width) + " in " + data.shards.front().path + ")");
}

// Reconstruction MSE over every test sample once, in eval mode. The reader pads the last batch
// from the start of the data; padded rows are left out of the mean.
double evaluate(Sequential& model, const DatasetInfo& test, const DataConfig& dc, int64_t batch) {
  ReaderOptions ro;
  ro.global_batch = std::min(batch, test.total);
  ro.shuffle = false;
  ro.drop_last = false;
  ro.prefetch = dc.prefetch;
  ro.scale = dc.scale;
  DataReader reader(test, ro);
  reader.start(0, 0);
  StepContext ctx;
  ctx.training = false;
  double sum = 0;
  int64_t seen = 0;
  for (int64_t s = 0; s < reader.steps_per_epoch(); ++s) {
    const Batch& b = reader.next();
    const Tensor x = as_input(b, model.input_sample_shape());
    const Tensor& y = model.forward(x, ctx);
    const int64_t valid = std::min(b.size, test.total - b.global_offset);
    const int64_t d = y.numel() / b.size;
    for (int64_t i = 0; i < valid * d; ++i) {
      const double e = static_cast<double>(y[i]) - x[i];
      sum += e * e;
    }
    seen += valid * d;
  }
  return seen ? sum / static_cast<double>(seen) : 0.0;
}

}  // namespace

AutoencoderRunResult run_autoencoder(const YamlMap& config) {
  const uint64_t seed =
      static_cast<uint64_t>(config.get_int_or("seed", 1, IntRange::non_negative()));

  YamlMap trainer = config.get_map("trainer");
  trainer.get_choice("kind", {"autoencoder"});
  const int64_t epochs = trainer.get_int("epochs", IntRange::positive());
  const int64_t batch_size = trainer.get_int("batch_size", IntRange::positive());
  const int64_t log_every = trainer.get_int_or("log_every", 100, IntRange::positive());
  trainer.finish();

  const DataConfig dc = parse_data_config(config.get_map("data"));
  Sequential model = build_model(config.get_map("model"), seed);
  std::unique_ptr<Optimizer> opt = make_optimizer(config.get_map("optimizer"));
  config.finish();

  // Every data file is opened and checked before any training step.
  const DatasetInfo train = open_dataset(dc.train, dc.dataset);
  check_fits(config, train, "training", model);
  DatasetInfo test;
  if (!dc.test.empty()) {
    test = open_dataset(dc.test, dc.dataset);
    check_fits(config, test, "test", model);
  }
  if (model.output_sample_shape().numel() != model.input_sample_shape().numel())
    config.fail("an autoencoder's output must have the input's size: output " +
                model.output_sample_shape().str() + ", input " + model.input_sample_shape().str());
  STRATA_CHECK(train.total >= batch_size, "trainer.batch_size "
                                              << batch_size << " exceeds the " << train.total
                                              << " training samples in " << dc.train);

  std::printf("model: %s", model.summary().c_str());
  std::printf(
      "data: %lld training samples in %zu shard(s) (%s), %lld test samples, %lldx%lldx%lld\n",
      static_cast<long long>(train.total), train.shards.size(), dc.train.c_str(),
      static_cast<long long>(test.total), static_cast<long long>(train.channels),
      static_cast<long long>(train.height), static_cast<long long>(train.width));
  std::fflush(stdout);

  ReaderOptions ro;
  ro.global_batch = batch_size;
  ro.seed = seed;
  ro.drop_last = dc.drop_last;
  ro.prefetch = dc.prefetch;
  ro.scale = dc.scale;
  DataReader reader(train, ro);
  reader.start(0, 0);

  MSELoss mse;
  Tensor dy;
  AutoencoderRunResult result;
  StepContext ctx;
  ctx.seed = seed;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto window_start = start;
  const int64_t steps_per_epoch = reader.steps_per_epoch();
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    double epoch_loss = 0, window_loss = 0, window_wait = 0;
    int64_t window_steps = 0;
    for (int64_t i = 0; i < steps_per_epoch; ++i) {
      const Batch& b = reader.next();
      window_wait += reader.last_wait_ms();
      const Tensor x = as_input(b, model.input_sample_shape());
      const Tensor target = x.reshaped(batched(b.size, model.output_sample_shape()));
      dy.resize(target.shape());
      ctx.step = static_cast<uint64_t>(result.steps);
      ctx.sample_offset = b.global_offset;
      model.zero_grads();
      const float loss = mse.forward_backward(model.forward(x, ctx), target, dy);
      STRATA_CHECK(std::isfinite(loss), "the loss became " << loss << " at step " << result.steps
                                                           << "; lower optimizer.lr");
      model.backward(dy, ctx, false);
      opt->step(model.params(), model.grads());
      ++result.steps;
      epoch_loss += loss;
      window_loss += loss;
      ++window_steps;
      if (result.steps % log_every == 0) {
        const auto now = Clock::now();
        const double secs = std::chrono::duration<double>(now - window_start).count();
        std::printf("epoch %lld step %lld loss %.5f samples/s %.0f data_wait_ms %.2f\n",
                    static_cast<long long>(epoch + 1), static_cast<long long>(result.steps),
                    window_loss / window_steps, window_steps * batch_size / secs,
                    window_wait / window_steps);
        std::fflush(stdout);
        window_start = now;
        window_loss = window_wait = 0;
        window_steps = 0;
      }
    }
    result.final_train_loss = epoch_loss / steps_per_epoch;
    if (test.total > 0) result.test_mse = evaluate(model, test, dc, batch_size);
    std::printf("epoch %lld done: train loss %.5f, test mse %.5f\n",
                static_cast<long long>(epoch + 1), result.final_train_loss, result.test_mse);
    std::fflush(stdout);
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  result.samples_per_s = result.steps * batch_size / secs;
  return result;
}

}  // namespace strata
