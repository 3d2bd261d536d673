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
#include "distributed/model_sync.h"
#include "trainers/autoencoder_step.h"
#include "trainers/distributed_config.h"
#include "trainers/parallel_net.h"

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

// Reconstruction MSE over every test sample once, in eval mode, each rank taking its share of
// each batch. The reader pads the last batch from the start of the data; padded rows are left
// out of the mean.
double evaluate(Sequential& model, Communicator& comm, const DatasetInfo& test,
                const DataConfig& dc, int64_t batch) {
  ReaderOptions ro;
  ro.global_batch = std::max<int64_t>(comm.size(), std::min(batch, test.total));
  ro.rank = comm.rank();
  ro.world = comm.size();
  ro.shuffle = false;
  ro.drop_last = false;
  ro.prefetch = dc.prefetch;
  ro.scale = dc.scale;
  DataReader reader(test, ro);
  reader.start(0, 0);
  StepContext ctx;
  ctx.training = false;
  double sum = 0;
  int64_t seen = 0;  // samples
  for (int64_t s = 0; s < reader.steps_per_epoch(); ++s) {
    const Batch& b = reader.next();
    if (b.size == 0) continue;
    const Tensor x = as_input(b, model.input_sample_shape());
    const Tensor& y = model.forward(x, ctx);
    const int64_t valid = std::clamp<int64_t>(test.total - b.global_offset, 0, b.size);
    const int64_t d = y.numel() / b.size;
    double batch_sum = 0;
    for (int64_t i = 0; i < valid * d; ++i) {
      const double e = static_cast<double>(y[i]) - x[i];
      batch_sum += e * e;
    }
    sum += batch_sum / static_cast<double>(d);
    seen += valid;
  }
  // Per-sample mean squared errors and sample counts, summed over ranks (counts exact below 2^24).
  float totals[2] = {static_cast<float>(sum), static_cast<float>(seen)};
  comm.all_reduce(totals, 2, ReduceOp::kSum);
  return totals[1] > 0 ? totals[0] / totals[1] : 0.0;
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
  const DistributedConfig dist = parse_distributed_config(config);
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

  std::unique_ptr<Communicator> comm = make_communicator(dist);
  const bool root = comm->rank() == 0;
  STRATA_CHECK(batch_size >= comm->size(),
               "trainer.batch_size " << batch_size << " (the global batch) is smaller than the "
                                     << comm->size() << " ranks; raise it or use fewer ranks");
  if (root) {
    std::printf("model: %s", model.summary().c_str());
    std::printf(
        "data: %lld training samples in %zu shard(s) (%s), %lld test samples, %lldx%lldx%lld\n",
        static_cast<long long>(train.total), train.shards.size(), dc.train.c_str(),
        static_cast<long long>(test.total), static_cast<long long>(train.channels),
        static_cast<long long>(train.height), static_cast<long long>(train.width));
    std::printf("distributed: %s, %d rank(s), global batch %lld\n", comm->name().c_str(),
                comm->size(), static_cast<long long>(batch_size));
    std::fflush(stdout);
  }

  ReaderOptions ro;
  ro.global_batch = batch_size;
  ro.rank = comm->rank();
  ro.world = comm->size();
  ro.seed = seed;
  ro.drop_last = dc.drop_last;
  ro.prefetch = dc.prefetch;
  ro.scale = dc.scale;
  DataReader reader(train, ro);
  reader.start(0, 0);

  ParallelNet pnet(model, *comm, dist.parallel);  // every rank starts from rank 0's weights
  AutoencoderStep step(pnet, *opt, AutoencoderStepOptions{seed, 0.0f});
  AutoencoderRunResult result;
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
      BatchPosition pos;
      pos.step = static_cast<uint64_t>(result.steps);
      pos.sample_offset = b.global_offset;
      pos.global_batch = batch_size;
      const float loss = step.run(as_input(b, model.input_sample_shape()), pos);
      ++result.steps;
      epoch_loss += loss;
      window_loss += loss;
      ++window_steps;
      if (result.steps % log_every == 0) {
        // Losses and data waits averaged over ranks (one small collective per log line).
        float stats[2] = {static_cast<float>(window_loss / window_steps),
                          static_cast<float>(window_wait / window_steps)};
        comm->all_reduce(stats, 2, ReduceOp::kAverage);
        const auto now = Clock::now();
        const double secs = std::chrono::duration<double>(now - window_start).count();
        if (root) {
          std::printf("epoch %lld step %lld loss %.5f samples/s %.0f data_wait_ms %.2f\n",
                      static_cast<long long>(epoch + 1), static_cast<long long>(result.steps),
                      stats[0], window_steps * batch_size / secs, stats[1]);
          std::fflush(stdout);
        }
        window_start = now;
        window_loss = window_wait = 0;
        window_steps = 0;
      }
    }
    result.final_train_loss =
        average_scalar(*comm, static_cast<float>(epoch_loss / steps_per_epoch));
    if (test.total > 0) result.test_mse = evaluate(model, *comm, test, dc, batch_size);
    if (root) {
      std::printf("epoch %lld done: train loss %.5f, test mse %.5f\n",
                  static_cast<long long>(epoch + 1), result.final_train_loss, result.test_mse);
      std::fflush(stdout);
    }
  }
  const double secs = std::chrono::duration<double>(Clock::now() - start).count();
  result.samples_per_s = result.steps * batch_size / secs;
  result.rank = comm->rank();
  result.world = comm->size();
  return result;
}

}  // namespace strata
