// StepGraph (core/step_graph.h) off the GPU: which mode a device gets, and the check mode of the
// emulated device - a warm-up step per key runs as it is, every later step under a CaptureScope
// where a wait for the device throws; a new key (shape, or device memory allocated or freed)
// warms up again. StepStaging keeps fixed buffers and a counter on the device.
#include "core/step_graph.h"

#include <gtest/gtest.h>

#include <string>

#include "core/backend.h"
#include "core/error.h"
#include "core/step_capture.h"
#include "core/tensor.h"

namespace strata {
namespace {

using Mode = StepGraph::Mode;

TEST(StepGraph, ModeForEachDevice) {
  EXPECT_EQ(StepGraph::mode_for(true, Device::cpu(), true), Mode::kEager);
  EXPECT_EQ(StepGraph::mode_for(true, Device::emulated(), true), Mode::kCheck);
  EXPECT_EQ(StepGraph::mode_for(true, Device::cuda(0), true), Mode::kGraph);
  // Not allowed, or collectives that cannot be captured (MPI): eager everywhere.
  EXPECT_EQ(StepGraph::mode_for(false, Device::cuda(0), true), Mode::kEager);
  EXPECT_EQ(StepGraph::mode_for(true, Device::cuda(0), false), Mode::kEager);
  EXPECT_EQ(StepGraph::mode_for(true, Device::emulated(), false), Mode::kEager);
}

TEST(StepGraph, EagerRunsEveryStepAsItIs) {
  StepGraph g(Mode::kEager, Device::cpu());
  int runs = 0;
  for (int i = 0; i < 3; ++i)
    g.run({Shape{2}}, [&] {
      EXPECT_FALSE(capturing());
      ++runs;
    });
  EXPECT_EQ(runs, 3);
  EXPECT_EQ(g.eager_steps(), 3);
  EXPECT_EQ(g.replays(), 0);
}

TEST(StepGraph, CheckModeRejectsAWaitAfterTheWarmUp) {
  const Device emu = Device::emulated();
  StepGraph g(Mode::kCheck, emu);
  Backend& be = backend_for(emu);
  int runs = 0;
  const auto waits = [&] {
    ++runs;
    be.synchronize();  // a wait for the device
  };
  g.run({Shape{4}}, waits);  // the warm-up may wait (a phase's first-step preparation)
  EXPECT_EQ(g.eager_steps(), 1);
  EXPECT_THROW(g.run({Shape{4}}, waits), Error);  // later steps of the key may not
  EXPECT_EQ(runs, 2);
  EXPECT_FALSE(capturing());  // the scope ended with the exception

  // A step that does not wait runs under the scope.
  bool checked = false;
  g.run({Shape{4}}, [&] { checked = capturing(); });
  EXPECT_TRUE(checked);

  // Another shape warms up again; so does the same shape after device memory changed.
  g.run({Shape{8}}, waits);
  EXPECT_THROW(g.run({Shape{8}}, waits), Error);
  {
    Tensor t(Shape{16}, emu);  // an allocation and, at scope end, a free on the device
  }
  g.run({Shape{8}}, waits);
  EXPECT_EQ(g.eager_steps(), 3);
}

TEST(StepStaging, FixedBuffersAndTheCounter) {
  const Device emu = Device::emulated();
  StepStaging staging(emu);
  Tensor a = Tensor::zeros(Shape{2, 3}).to(emu);
  Tensor host_b = Tensor::zeros(Shape{2, 3});
  for (int64_t i = 0; i < host_b.numel(); ++i) host_b.data()[i] = 5.0f;
  Tensor b = host_b.to(emu);
  const float* first = staging.stage(0, a).data();
  const Tensor& again = staging.stage(0, b);
  EXPECT_EQ(again.data(), first) << "the same shape keeps its buffer";
  EXPECT_EQ(again.to(Device::cpu())[4], 5.0f);
  EXPECT_NE(again.data(), b.data()) << "a copy, not the batch itself";
  EXPECT_TRUE(staging.stage(1, Tensor()).empty());
  const StepCounter* c = staging.counter(7, 700);
  EXPECT_EQ(c->step, 7u);  // emulated device memory is host memory
  EXPECT_EQ(c->first_sample, 700);
  EXPECT_EQ(staging.counter(8, 800), c) << "one counter, rewritten";
  EXPECT_EQ(c->step, 8u);
}

}  // namespace
}  // namespace strata
