#include "trainers/autoencoder_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <vector>

#include "core/config/model_yaml.h"
#include "core/config/optimizer_yaml.h"
#include "core/data/idx.h"
#include "core/error.h"
#include "core/losses/loss.h"
#include "core/rng.h"

namespace strata {

namespace {

struct Images {
  std::vector<float> pixels;  // N x (H*W) in [0, 1]
  int64_t count = 0, height = 0, width = 0;
};

Images load_idx_images(const YamlValue& where, const std::string& path, int64_t limit) {
  IdxArray a = read_idx(path);
  if (a.dims.size() != 3)
    where.fail(path + ": expected IDX images [N, H, W], found " + std::to_string(a.dims.size()) +
               " dimensions");
  Images im;
  im.count = limit > 0 ? std::min(limit, a.dims[0]) : a.dims[0];
  im.height = a.dims[1];
  im.width = a.dims[2];
  const int64_t n = im.count * im.height * im.width;
  im.pixels.resize(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) im.pixels[i] = a.values[i] * (1.0f / 255.0f);
  return im;
}

// Fisher-Yates permutation of [0, n) drawn from (seed, epoch): the same on every rank.
void permutation(std::vector<int64_t>& order, uint64_t seed, uint64_t epoch) {
  std::iota(order.begin(), order.end(), 0);
  RandomStream rng(seed, RngPurpose::kShuffle, 0, epoch, 0);
  for (int64_t i = static_cast<int64_t>(order.size()) - 1; i > 0; --i) {
    const uint64_t r = (uint64_t{rng.next_u32()} << 32) | rng.next_u32();
    std::swap(order[i], order[r % static_cast<uint64_t>(i + 1)]);
  }
}

void gather(const Images& im, const std::vector<int64_t>& order, int64_t first, Tensor& batch) {
  const int64_t n = batch.dim(0), d = im.height * im.width;
#pragma omp parallel for if (n * d >= 65536)
  for (int64_t s = 0; s < n; ++s)
    std::copy_n(im.pixels.data() + order[first + s] * d, d, batch.data() + s * d);
}

double evaluate(Sequential& model, const Images& test, int64_t batch_size) {
  MSELoss mse;
  StepContext ctx;
  ctx.training = false;
  const Shape sample = model.input_sample_shape();
  std::vector<int64_t> order(test.count);
  std::iota(order.begin(), order.end(), 0);
  double sum = 0;
  int64_t seen = 0;
  Tensor batch;
  for (int64_t first = 0; first < test.count; first += batch_size) {
    const int64_t n = std::min(batch_size, test.count - first);
    batch.resize(batched(n, sample));
    gather(test, order, first, batch);
    const Tensor target = batch.reshaped(batched(n, model.output_sample_shape()));
    sum += static_cast<double>(mse.forward(model.forward(batch, ctx), target)) * n;
    seen += n;
  }
  return seen ? sum / seen : 0.0;
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

  YamlMap data = config.get_map("data");
  data.get_choice("format", {"idx"});
  const int64_t limit = data.get_int_or("limit", 0, IntRange::non_negative());
  const YamlValue train_path = data.get("train_images", "a path to an IDX image file");
  const YamlValue test_path = data.get("test_images", "a path to an IDX image file");
  data.finish();

  Sequential model = build_model(config.get_map("model"), seed);
  std::unique_ptr<Optimizer> opt = make_optimizer(config.get_map("optimizer"));
  config.finish();

  const Images train = load_idx_images(train_path, train_path.as_string(), limit);
  const Images test = load_idx_images(test_path, test_path.as_string(), limit);
  const Shape sample = model.input_sample_shape();
  if (sample.numel() != train.height * train.width)
    config.fail("model.input_shape " + sample.str() + " does not fit the images (" +
                std::to_string(train.height) + "x" + std::to_string(train.width) + ")");
  if (model.output_sample_shape().numel() != sample.numel())
    config.fail("an autoencoder's output must have the input's size: output " +
                model.output_sample_shape().str() + ", input " + sample.str());
  STRATA_CHECK(train.count >= batch_size, "trainer.batch_size " << batch_size << " exceeds the "
                                                                << train.count
                                                                << " training images");

  std::printf("model: %s", model.summary().c_str());
  std::printf("data: %lld training and %lld test images of %lldx%lld\n",
              static_cast<long long>(train.count), static_cast<long long>(test.count),
              static_cast<long long>(train.height), static_cast<long long>(train.width));
  std::fflush(stdout);

  MSELoss mse;
  Tensor batch(batched(batch_size, sample));
  Tensor target = batch.reshaped(batched(batch_size, model.output_sample_shape()));
  Tensor dy(target.shape());
  std::vector<int64_t> order(train.count);
  const int64_t steps_per_epoch = train.count / batch_size;  // the last partial batch is dropped
  AutoencoderRunResult result;
  StepContext ctx;
  ctx.seed = seed;
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  auto window_start = start;
  for (int64_t epoch = 0; epoch < epochs; ++epoch) {
    permutation(order, seed, static_cast<uint64_t>(epoch));
    double epoch_loss = 0, window_loss = 0;
    int64_t window_steps = 0;
    for (int64_t i = 0; i < steps_per_epoch; ++i) {
      ctx.step = static_cast<uint64_t>(result.steps);
      ctx.sample_offset = i * batch_size;
      gather(train, order, i * batch_size, batch);
      model.zero_grads();
      const float loss = mse.forward_backward(model.forward(batch, ctx), target, dy);
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
        std::printf("epoch %lld step %lld loss %.5f samples/s %.0f\n",
                    static_cast<long long>(epoch + 1), static_cast<long long>(result.steps),
                    window_loss / window_steps, window_steps * batch_size / secs);
        std::fflush(stdout);
        window_start = now;
        window_loss = 0;
        window_steps = 0;
      }
    }
    result.final_train_loss = epoch_loss / steps_per_epoch;
    result.test_mse = evaluate(model, test, batch_size);
    std::printf("epoch %lld done: train loss %.5f, test mse %.5f\n",
                static_cast<long long>(epoch + 1), result.final_train_loss, result.test_mse);
    std::fflush(stdout);
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  result.samples_per_s = result.steps * batch_size / secs;
  return result;
}

}  // namespace strata
