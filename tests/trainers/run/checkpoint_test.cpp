// Checkpoint files: a bit-exact round trip of a trained Sequential and its Adam state (also from
// and to a model on a device, the emulated one standing for a GPU), resizing of empty optimizer
// state, the errors of read_checkpoint (missing, extra and mis-shaped items,
// files that are not checkpoints or are truncated) and the atomicity of write_checkpoint.
#include "trainers/run/checkpoint.h"

#include <gtest/gtest.h>
#include <hdf5.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>

#include "core/layers/batchnorm.h"
#include "core/layers/dense.h"
#include "core/sequential.h"
#include "tests/trainers/run/run_test_util.h"

namespace strata {
namespace {

using run_test::error_of;
using run_test::expect_contains;
using run_test::TempDir;
namespace fs = std::filesystem;

// A small model on `device` trained for one step, so that parameters, BatchNorm statistics and
// Adam's moments all hold values that are not their initial ones.
struct Trained {
  Sequential net;
  Adam adam{AdamOptions{}};

  explicit Trained(uint64_t seed, bool step, Device device = Device::cpu()) {
    net.add(std::make_unique<Dense>(DenseOptions{.units = 4}));
    net.add(std::make_unique<BatchNorm>(BatchNormOptions{}));
    net.add(std::make_unique<Dense>(DenseOptions{.units = 2}));
    net.build(Shape{3}, seed, device);
    if (!step) return;
    Tensor x(Shape{5, 3});
    for (int64_t i = 0; i < x.numel(); ++i) x[i] = std::sin(0.7f * static_cast<float>(i) + seed);
    StepContext ctx;
    ctx.seed = seed;
    const Tensor& y = net.forward(x.to(device), ctx);
    Tensor dy(y.shape());
    for (int64_t i = 0; i < dy.numel(); ++i) dy[i] = 0.1f * static_cast<float>(i % 3) - 0.1f;
    net.zero_grads();
    net.backward(dy.to(device), ctx, false);
    adam.step(net.params(), net.grads());
  }
  StateRegistry registry() {
    StateRegistry r;
    r.add_network("model", net);
    r.add_optimizer("model", adam, net.device());
    return r;
  }
};

CheckpointMeta sample_meta() {
  CheckpointMeta m;
  m.pos = {2, 3, 17, 12345};
  m.seed = 0xfedcba9876543210ull;  // above INT64_MAX: must survive as unsigned
  m.world_size = 3;
  m.config_yaml = "kind: autoencoder\nmodel:\n  - dense: {units: 4}\n";
  return m;
}

// Bit equality of two tensors on any devices.
bool same_bits(const Tensor& a_anywhere, const Tensor& b_anywhere) {
  const Tensor a = a_anywhere.to(Device::cpu()), b = b_anywhere.to(Device::cpu());
  return a.numel() == b.numel() &&
         std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<size_t>(a.numel())) == 0;
}

TEST(Checkpoint, RoundTripIsBitExactForAModelAndItsAdamState) {
  TempDir dir;
  const std::string path = dir.path("ck.h5");
  Trained a(1, true);
  StateRegistry ra = a.registry();
  write_checkpoint(path, ra, sample_meta());

  Trained b(2, false);  // other parameters, no optimizer state yet
  StateRegistry rb = b.registry();
  ASSERT_EQ(ra.items().size(), rb.items().size());
  ASSERT_TRUE(b.adam.state()[0]->empty());
  const CheckpointMeta m = read_checkpoint(path, rb);
  for (size_t i = 0; i < ra.items().size(); ++i) {
    const StateItem& x = ra.items()[i];
    const StateItem& y = rb.items()[i];
    EXPECT_EQ(x.group + "/" + x.name, y.group + "/" + y.name);
    EXPECT_EQ(y.tensor->shape(), x.tensor->shape()) << y.group << "/" << y.name;
    EXPECT_TRUE(same_bits(*x.tensor, *y.tensor)) << y.group << "/" << y.name;
  }
  const CheckpointMeta want = sample_meta();
  EXPECT_EQ(m.pos.phase, want.pos.phase);
  EXPECT_EQ(m.pos.epoch, want.pos.epoch);
  EXPECT_EQ(m.pos.step_in_epoch, want.pos.step_in_epoch);
  EXPECT_EQ(m.pos.global_step, want.pos.global_step);
  EXPECT_EQ(m.seed, want.seed);
  EXPECT_EQ(m.world_size, want.world_size);
  EXPECT_EQ(m.config_yaml, want.config_yaml);
  const CheckpointMeta only = read_checkpoint_meta(path);
  EXPECT_EQ(only.seed, want.seed);
  EXPECT_EQ(only.config_yaml, want.config_yaml);
  EXPECT_FALSE(fs::exists(path + ".tmp-" + std::to_string(::getpid())));
}

// A checkpoint holds values, not devices: one written from a model on a device reads into a CPU
// model and the other way round, bit for bit; optimizer state that did not exist yet is made on
// the device of the parameters it belongs to (the registry's item device), tensors that exist
// are filled where they live.
TEST(Checkpoint, ModelsOnADeviceRoundTripToAndFromTheHost) {
  TempDir dir;
  const std::string from_cpu = dir.path("cpu.h5"), from_device = dir.path("device.h5");
  Trained on_cpu(1, true);
  Trained on_device(1, true, Device::emulated());
  StateRegistry rc = on_cpu.registry(), rd = on_device.registry();
  ASSERT_EQ(rc.items().size(), rd.items().size());
  for (size_t i = 0; i < rc.items().size(); ++i)  // the emulated device computes the CPU's bits
    EXPECT_TRUE(same_bits(*rc.items()[i].tensor, *rd.items()[i].tensor)) << rd.items()[i].name;
  write_checkpoint(from_cpu, rc, sample_meta());
  write_checkpoint(from_device, rd, sample_meta());

  Trained to_cpu(2, false);
  Trained to_device(2, false, Device::emulated());
  StateRegistry r1 = to_cpu.registry(), r2 = to_device.registry();
  read_checkpoint(from_device, r1);
  read_checkpoint(from_cpu, r2);
  for (size_t i = 0; i < rc.items().size(); ++i) {
    const StateItem& want = rc.items()[i];
    const StateItem& a = r1.items()[i];
    const StateItem& b = r2.items()[i];
    EXPECT_TRUE(same_bits(*want.tensor, *a.tensor)) << a.group << "/" << a.name;
    EXPECT_TRUE(same_bits(*want.tensor, *b.tensor)) << b.group << "/" << b.name;
    EXPECT_EQ(a.tensor->shape(), want.tensor->shape()) << a.group << "/" << a.name;
    EXPECT_EQ(b.tensor->shape(), want.tensor->shape()) << b.group << "/" << b.name;
    EXPECT_TRUE(a.tensor->on_cpu()) << a.group << "/" << a.name;
  }
  // Adam's moments did not exist before the read: made on the parameters' device.
  EXPECT_EQ(to_device.adam.state()[0]->device(), Device::emulated());
  EXPECT_EQ(to_device.adam.state()[1]->device(), Device::emulated());
  EXPECT_EQ(to_cpu.adam.state()[0]->device(), Device::cpu());
  for (const StateItem& it : r2.items()) {
    if (it.group.starts_with("net/")) {
      EXPECT_EQ(it.tensor->device(), Device::emulated()) << it.name;
    }
  }
}

TEST(Checkpoint, SpecialValuesAndScalarsRoundTrip) {
  TempDir dir;
  const std::string path = dir.path("ck.h5");
  Tensor v(Shape{2, 3}), scalar(Shape{}), none;
  const float values[6] = {-0.0f,
                           std::numeric_limits<float>::quiet_NaN(),
                           std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::denorm_min(),
                           std::numeric_limits<float>::max(),
                           1.0f / 3.0f};
  std::memcpy(v.data(), values, sizeof(values));
  scalar[0] = 42.5f;
  StateRegistry w;
  w.add("net/x", "a.b.c", &v);
  w.add("other", "scalar", &scalar);
  w.add("opt/x", "state0", &none);  // written as an empty dataset
  write_checkpoint(path, w, {});

  Tensor v2(Shape{6}), scalar2(Shape{}), none2;
  StateRegistry r;
  r.add("net/x", "a.b.c", &v2);
  r.add("other", "scalar", &scalar2);
  r.add("opt/x", "state0", &none2);
  read_checkpoint(path, r);
  EXPECT_TRUE(same_bits(v, v2));
  EXPECT_EQ(v2.shape(), Shape({6}));  // same number of values: the registered shape stays
  EXPECT_EQ(scalar2[0], 42.5f);
  EXPECT_TRUE(none2.empty());
}

TEST(Checkpoint, EmptyOptimizerStateIsResizedToTheStoredShape) {
  TempDir dir;
  const std::string path = dir.path("ck.h5");
  Tensor m(Shape{7}), count(Shape{1});
  for (int i = 0; i < 7; ++i) m[i] = 0.5f * i;
  count[0] = 3;
  StateRegistry w;
  w.add("opt/g", "state0", &m);
  w.add("opt/g", "state1", &count);
  write_checkpoint(path, w, {});

  Tensor m2, count2(Shape{1});
  StateRegistry r;
  r.add("opt/g", "state0", &m2);
  r.add("opt/g", "state1", &count2);
  read_checkpoint(path, r);
  ASSERT_FALSE(m2.empty());
  EXPECT_EQ(m2.shape(), Shape({7}));
  EXPECT_TRUE(same_bits(m, m2));
  EXPECT_EQ(count2[0], 3.0f);
}

// A file with net/m/w [3] and net/m/b [2].
std::string small_checkpoint(const TempDir& dir) {
  static Tensor w(Shape{3}), b(Shape{2});
  w.fill(1.5f);
  b.fill(-2.0f);
  StateRegistry s;
  s.add("net/m", "0.dense.weight", &w);
  s.add("net/m", "0.dense.bias", &b);
  const std::string path = dir.path("small.h5");
  write_checkpoint(path, s, {});
  return path;
}

TEST(Checkpoint, MissingItemIsAnErrorNamingFileGroupAndName) {
  TempDir dir;
  const std::string path = small_checkpoint(dir);
  Tensor w = Tensor::zeros(Shape{3}), b(Shape{2}), extra(Shape{4});
  StateRegistry r;
  r.add("net/m", "0.dense.weight", &w);
  r.add("net/m", "0.dense.bias", &b);
  r.add("net/m", "1.batchnorm.running_mean", &extra);
  const std::string msg = error_of([&] { read_checkpoint(path, r); });
  expect_contains(msg, {path, "/net/m/1.batchnorm.running_mean", "[4]", "config"});
  EXPECT_EQ(w[0], 0.0f);  // nothing was read: the model is unchanged
}

TEST(Checkpoint, ItemNotRegisteredIsAnError) {
  TempDir dir;
  const std::string path = small_checkpoint(dir);
  Tensor w(Shape{3});
  StateRegistry r;
  r.add("net/m", "0.dense.weight", &w);
  const std::string msg = error_of([&] { read_checkpoint(path, r); });
  expect_contains(msg, {path, "/net/m/0.dense.bias", "different model"});
}

TEST(Checkpoint, WrongShapeNamesBothShapes) {
  TempDir dir;
  const std::string path = small_checkpoint(dir);
  Tensor w(Shape{3}), b(Shape{2, 2});
  StateRegistry r;
  r.add("net/m", "0.dense.weight", &w);
  r.add("net/m", "0.dense.bias", &b);
  const std::string msg = error_of([&] { read_checkpoint(path, r); });
  expect_contains(msg, {path, "/net/m/0.dense.bias", "[2]", "[2, 2]"});
}

TEST(Checkpoint, FilesThatAreNotCheckpointsAreRejected) {
  TempDir dir;
  StateRegistry r;
  // An HDF5 file without the format attribute.
  const std::string plain = dir.path("plain.h5");
  hid_t f = H5Fcreate(plain.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  H5Fclose(f);
  expect_contains(error_of([&] { read_checkpoint(plain, r); }), {plain, "not a Strata checkpoint"});
  expect_contains(error_of([&] { read_checkpoint_meta(plain); }), {"not a Strata checkpoint"});
  // A text file.
  const std::string text = dir.path("notes.h5");
  std::ofstream(text) << "hello\n";
  expect_contains(error_of([&] { read_checkpoint(text, r); }), {text, "cannot be opened"});
  // No file at all.
  expect_contains(error_of([&] { read_checkpoint(dir.path("none.h5"), r); }), {"none.h5"});
}

TEST(Checkpoint, TruncatedFileIsAnError) {
  TempDir dir;
  Trained a(1, true);
  StateRegistry ra = a.registry();
  const std::string path = dir.path("ck.h5");
  write_checkpoint(path, ra, sample_meta());
  fs::resize_file(path, fs::file_size(path) / 2);
  Trained b(2, false);
  StateRegistry rb = b.registry();
  expect_contains(error_of([&] { read_checkpoint(path, rb); }), {path, "truncated"});
}

TEST(Checkpoint, FailedWritesLeaveNoFileBehind) {
  TempDir dir;
  Tensor w(Shape{3});
  StateRegistry s;
  s.add("net/m", "w", &w);

  // The folder does not exist.
  const std::string nowhere = dir.path("missing/ck.h5");
  expect_contains(error_of([&] { write_checkpoint(nowhere, s, {}); }), {nowhere, "folder"});
  EXPECT_FALSE(fs::exists(nowhere));
  EXPECT_FALSE(fs::exists(nowhere + ".tmp-" + std::to_string(::getpid())));

  // The final name is a folder: the rename fails and the temporary file is removed.
  const std::string taken = dir.path("taken.h5");
  fs::create_directories(fs::path(taken) / "inside");
  expect_contains(error_of([&] { write_checkpoint(taken, s, {}); }), {taken, "rename"});
  EXPECT_TRUE(fs::is_directory(taken));
  EXPECT_FALSE(fs::exists(taken + ".tmp-" + std::to_string(::getpid())));

  // HDF5 fails half-way (an item's path runs through a dataset): an older checkpoint under the
  // final name is left as it was.
  const std::string path = dir.path("ck.h5");
  write_checkpoint(path, s, {});
  const auto before = fs::file_size(path);
  Tensor y(Shape{2});
  StateRegistry bad;
  bad.add("net/m", "w", &w);
  bad.add("net/m/w", "y", &y);
  expect_contains(error_of([&] { write_checkpoint(path, bad, {}); }), {path, "/net/m/w/y"});
  EXPECT_FALSE(fs::exists(path + ".tmp-" + std::to_string(::getpid())));
  EXPECT_EQ(fs::file_size(path), before);
  Tensor w2(Shape{3});
  StateRegistry r;
  r.add("net/m", "w", &w2);
  read_checkpoint(path, r);  // still a good checkpoint
  EXPECT_EQ(dir.files(), std::vector<std::string>({"ck.h5", "taken.h5"}));
}

}  // namespace
}  // namespace strata
