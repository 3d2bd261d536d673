// The values every trainer kind logs, accumulated on the device (trainers/step_values.h,
// trainers/loop/step_log.h), against a host recomputation from the same steps' values read back
// one by one - the arithmetic the loop used when every step returned its values to the host:
// per step, each logged value as a double (a GAN's D values the mean over its k D steps), the
// window sums value * samples, their means. The means and the metrics.jsonl records must be the
// same bits; the autoencoder's loss slot must be the float sum of its MSE and penalty.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "tests/core/ops/kernels/step_values_test.h"
#include "tests/support/temp_dir.h"
#include "tests/trainers/kinds/gan_test_util.h"
#include "tests/trainers/kinds/kinds_test_util.h"
#include "trainers/loop/step_log.h"
#include "trainers/run/metrics_log.h"

namespace strata {
namespace {

const char* const kSparseAutoencoder = R"(
model:
  input_shape: [1, 8, 8]
  layers:
    - {type: flatten}
    - {type: dense, units: 6, name: code}
    - {type: sigmoid}
    - {type: dense, units: 64}
    - {type: reshape, shape: [1, 8, 8]}
optimizer: {kind: adam, lr: 0.01}
trainer:
  kind: autoencoder
  batch_size: 16
  corruption: {kind: mask, p: 0.2}
  sparsity: {kind: kl, target: 0.2, weight: 0.01, layer: 2}
)";

const char* const kClassifier = R"(
model:
  input_shape: [1, 8, 8]
  layers:
    - {type: flatten}
    - {type: dense, units: 12}
    - {type: relu}
    - {type: dense, units: 4}
optimizer: {kind: adam, lr: 0.01}
trainer: {kind: classifier, batch_size: 16, epochs: 1}
)";

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Without the timing fields, which differ between any two logs.
std::string without_timing(const std::string& text) {
  std::string out;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const size_t t = line.find(", \"samples_per_s\"");
    out += (t == std::string::npos ? line : line.substr(0, t)) + "\n";
  }
  return out;
}

// Runs `steps` steps of `phase` on batches from `batch(s)`, logging every `every` steps through
// StepLog (on the device) and through the host recomputation; both written to metrics logs.
template <class MakeBatch>
void expect_logged_like_the_host(Phase& phase, int steps, int every, MakeBatch batch,
                                 bool autoencoder_with_penalty = false) {
  testing::TempDir dir("strata_logged_values");
  LocalCommunicator comm;
  std::vector<std::string> names;
  {
    MetricsLog device_log(dir.path("device.jsonl")), host_log(dir.path("host.jsonl"));
    loop::StepLog log(comm, &device_log);
    std::vector<double> sums;
    int64_t samples = 0;
    for (int s = 0; s < steps; ++s) {
      const Batch b = batch(s);
      const StepValues& v = phase.step(b, test::position(static_cast<uint64_t>(s), b.size));
      log.add(v, b.size, s, 0.0);
      // The host side: this step's slots read back, its values as the phase returned them.
      const std::vector<float> slots = v.read_slots();
      if (autoencoder_with_penalty) {  // slots mse, sparsity, loss
        const float loss = slots[0] + slots[1];
        EXPECT_EQ(slots[2], loss) << "loss = mse + sparsity in float, step " << s;
      }
      names = v.names();
      if (sums.empty()) sums.assign(names.size(), 0.0);
      test::host_accumulate(sums, test::host_step_values(v.layout(), slots), b.size);
      samples += b.size;
      if ((s + 1) % every != 0) continue;
      log.write(s + 1, 1, phase.name(), {});
      Metrics mean;
      for (size_t i = 0; i < names.size(); ++i)
        mean.emplace_back(names[i], sums[i] / static_cast<double>(samples));
      ASSERT_EQ(log.shown().size(), mean.size());
      for (size_t i = 0; i < mean.size(); ++i) {
        EXPECT_EQ(log.shown()[i].first, mean[i].first);
        EXPECT_TRUE(test::same_bits(log.shown()[i].second, mean[i].second))
            << mean[i].first << " at step " << s + 1 << ": " << log.shown()[i].second << " vs "
            << mean[i].second;
      }
      mean.emplace_back("samples_per_s", 0.0);
      host_log.write(s + 1, 1, phase.name(), mean);
      sums.assign(names.size(), 0.0);
      samples = 0;
    }
  }
  const std::string device = without_timing(read_text(dir.path("device.jsonl")));
  EXPECT_FALSE(device.empty());
  EXPECT_EQ(device, without_timing(read_text(dir.path("host.jsonl"))));
}

TEST(LoggedValues, AutoencoderWithAPenaltyIsTheHostArithmetic) {
  auto built = test::build_kind(*test::parse_kind(kSparseAutoencoder), 16);
  Phase& p = *built->trainer->phases().at(0);
  p.begin(true);
  // Uneven batches (a last short batch): the weights differ per step.
  expect_logged_like_the_host(
      p, 9, 3,
      [](int s) { return test::separable_batch(s % 3 == 2 ? 5 : 16, 4, static_cast<uint64_t>(s)); },
      true);
}

TEST(LoggedValues, ClassifierIsTheHostArithmetic) {
  auto built = test::build_kind(*test::parse_kind(kClassifier), 16);
  Phase& p = *built->trainer->phases().at(0);
  p.begin(true);
  expect_logged_like_the_host(p, 8, 4, [](int s) {
    return test::separable_batch(s % 4 == 3 ? 7 : 16, 4, static_cast<uint64_t>(s));
  });
}

TEST(LoggedValues, GanWithSeveralDStepsIsTheHostArithmetic) {
  for (int k : {1, 3}) {
    auto built = gan_test::build(
        gan_test::parse(gan_test::experiment_yaml("  d_steps: " + std::to_string(k) + "\n")));
    Phase& p = *built->trainer->phases().at(0);
    p.begin(true);
    expect_logged_like_the_host(
        p, 6, 2, [](int s) { return gan_test::random_batch(8, static_cast<uint64_t>(s)); });
  }
}

}  // namespace
}  // namespace strata
