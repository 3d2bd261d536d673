// StepGraph: runs a training step eagerly, or captures it once as a CUDA graph and replays it
// while its shapes stay the same (llm.c's and PyTorch's whole-step graphs: a small model's step
// is a few hundred short kernels, and launching them one by one from the host, not the
// arithmetic, sets its speed).
//
// A captured step's host code runs once, at the capture; a replay repeats its launches with
// whatever its buffers hold then. So the caller writes everything that changes from step to step
// into fixed device buffers before each run(), outside the graph: the batch (copied on the GPU
// into buffers the step always reads), the step and first sample that key the random draws
// (core/ops/step_counter.h) and each optimizer's learning rate (Optimizer::publish_lr); the
// training loop does this in trainers/loop/staging.h, the benchmark in bench/bench.cpp. The rest
// of a step is the same every time: its shapes (the caller's key), the networks' buffers (checked:
// the count of allocations and frees on the device is part of the key, so an evaluation that
// resized activations leads to a new warm-up and capture) and its values, which it leaves on the
// device (trainers/step_values.h) and never reads back.
//
// Modes (mode_for): kGraph on a GPU when graphs are allowed (the experiment's cuda_graphs) and
// the step's collectives can be captured (one rank, or NCCL); kCheck on the emulated device that
// stands for a GPU in the CPU tests: after the warm-up step of each key, every step runs eagerly
// under a CaptureScope, so a step that would wait for the device fails there exactly as its
// capture would on a GPU (replays() counts them); kEager otherwise
// (the CPU; MPI between GPU ranks, which cannot be captured; cuda_graphs: false).
//
// In kGraph a key is first run eagerly once (the warm-up: scratch, plans, optimizer state and
// NCCL's first-call setup happen then), captured the next time it comes (and the capture replayed
// at once, so that step runs too) and replayed after. A replay computes what the same eager step
// computes, bit for bit (tests/device/graphs.sh).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/backend.h"
#include "core/ops/step_counter.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace strata {

class StepGraph {
 public:
  enum class Mode { kEager, kCheck, kGraph };

  // The mode for steps on `device`; allowed: graphs are wanted; capturable_collectives: the
  // step's communicator can be captured (world size 1, or device-buffer collectives: NCCL).
  static Mode mode_for(bool allowed, Device device, bool capturable_collectives);

  StepGraph(Mode mode, Device device);
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  // Runs step() (eagerly, under a CaptureScope, or as a capture) or replays its capture. `shapes`:
  // what makes a step different (the batch's shapes); the caller has staged the step's inputs.
  void run(const std::vector<Shape>& shapes, const std::function<void()>& step);

  Mode mode() const { return mode_; }
  Device device() const { return device_; }
  int64_t captures() const { return captures_; }
  int64_t replays() const { return replays_; }
  int64_t eager_steps() const { return eager_; }

 private:
  struct Key {
    std::vector<Shape> shapes;
    int64_t memory_events = 0;  // allocations + frees on the device so far
    bool operator==(const Key& o) const {
      return shapes == o.shapes && memory_events == o.memory_events;
    }
  };
  Key key_of(const std::vector<Shape>& shapes) const;

  Mode mode_;
  Device device_;
  std::unique_ptr<CapturedWork> work_;
  Key captured_key_, warm_key_;
  bool warm_ = false;
  int64_t captures_ = 0, replays_ = 0, eager_ = 0;
};

// The fixed device buffers a captured step reads, written before each run: copies of the step's
// inputs (the batch) and the StepCounter that keys its random draws.
class StepStaging {
 public:
  explicit StepStaging(Device device) : device_(device) {}

  // src copied into fixed buffer `slot` on the device (queued on its stream, not waited for; the
  // buffer is reallocated only when src's shape changes). An empty src gives an empty tensor.
  const Tensor& stage(size_t slot, const Tensor& src);
  // The counter, set to {step, first_sample} on the device's stream.
  const StepCounter* counter(uint64_t step, int64_t first_sample);

 private:
  Device device_;
  std::vector<Tensor> buffers_;
  Tensor counter_;  // a StepCounter's bytes
};

}  // namespace strata
