// The Layer interface: explicit forward and backward, no tape.
//
// Shapes always include the batch dimension first. A layer declares its parameters
// (param_specs); the model allocates them in one flat buffer and one flat gradient buffer on its
// device and hands the layer views into both (bind). setup() is called whenever the input shape
// changes and says what scratch memory the layer needs; the model allocates it on its device and
// hands it over (bind_scratch). forward and backward then allocate nothing, and run their compute
// through the ops of the step's backend (core/backend.h).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/init.h"
#include "core/ops/step_counter.h"
#include "core/precision.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace strata {

// What a step tells each layer.
struct StepContext {
  bool training = true;       // train mode (dropout active, batch statistics) or eval mode
  bool param_grads = true;    // false: backward computes only input gradients (a frozen network)
  uint64_t seed = 0;          // experiment seed
  uint64_t step = 0;          // optimizer step, for random draws
  int64_t sample_offset = 0;  // global index of this batch's first sample, for random draws
  int64_t global_batch = 0;   // samples of this step over all ranks (synchronised statistics)
  // When set, random draws take the step and sample offset from this counter in the model's
  // device memory instead (a step captured as a CUDA graph; core/ops/step_counter.h).
  const StepCounter* counter = nullptr;
  Backend* backend = &cpu_backend();  // where the model lives and its ops run
};

// Scratch memory a layer needs for one input shape, in floats:
//   workspace  used only inside one forward or one backward call; shared by all the layers of a
//              model (the model allocates the largest);
//   saved      written by forward and read by the next backward (a dropout mask, BatchNorm's
//              batch statistics); the layer's own.
struct ScratchNeeds {
  int64_t workspace = 0;
  int64_t saved = 0;
};

// A blocking, in-place sum of `count` floats over all data-parallel ranks, for layers whose
// forward or backward needs statistics of the global batch (synchronised BatchNorm). Collective:
// every rank calls it the same number of times with the same counts. core/ knows only this
// interface; distributed/ implements it over a Communicator.
class CrossRankSum {
 public:
  virtual ~CrossRankSum() = default;
  virtual void sum(float* data, int64_t count) = 0;
};

struct ParamSpec {
  std::string name;  // "weight", "bias", "gamma", "beta"
  Shape shape;
  InitSpec init;
  bool decay = true;  // subject to L2 weight decay (weights yes; biases and BN no)
};

class Layer {
 public:
  virtual ~Layer() = default;

  virtual const char* kind() const = 0;  // the YAML type name, e.g. "dense"
  // Called once, with the input shape for a batch of 1: checks that the input fits (throwing a
  // strata::Error that says what was expected and what was found), remembers what the layer
  // needs of it (in_features, channels...) and returns the output shape for a batch of 1.
  virtual Shape build(const Shape& in) = 0;
  // The parameters, known once build() has run.
  virtual std::vector<ParamSpec> param_specs() const { return {}; }
  // Views into the model's flat buffers, in the order of param_specs().
  virtual void bind(std::span<Tensor> params, std::span<Tensor> grads) {
    (void)params;
    (void)grads;
  }
  // Non-parameter state that is saved with the model and kept equal on all ranks
  // (BatchNorm's running statistics).
  virtual std::vector<Tensor*> state() { return {}; }
  // Called when the input's shape changes (full shape, batch first): plans the computation for
  // that shape on `backend` (the model's) and says what scratch it needs. Then bind_scratch hands
  // the scratch over: views on the model's device of at least the sizes asked for (empty when 0),
  // valid until the next setup. Their values are unspecified: a layer writes what it reads.
  virtual ScratchNeeds setup(const Shape& in, Backend& backend) {
    (void)in;
    (void)backend;
    return {};
  }
  virtual void bind_scratch(Tensor workspace, Tensor saved) {
    (void)workspace;
    (void)saved;
  }
  // Layers that can use global-batch statistics (BatchNorm) keep `sum` (not owned; nullptr: this
  // rank's batch only, the default). Others ignore it.
  virtual void set_cross_rank_sum(CrossRankSum* sum) { (void)sum; }
  // A view layer's output is its input's memory with another shape (Reshape, Flatten): the model
  // then passes views in both directions and calls neither forward nor backward, so it costs no
  // copy and no memory.
  virtual bool is_view() const { return false; }
  // Whether backward reads y, the output forward produced. A layer that answers false lets the
  // model overwrite its output with the next layer's, once that layer has read it (an in-place
  // activation). A layer that does not say is taken to need it.
  virtual bool backward_needs_output() const { return true; }
  // An elementwise layer that may run in place: forward(x, y) with y the memory of x writes f(x)
  // over x, and backward reads y and dy only (never x). The model runs it so when nobody else
  // reads the values it overwrites (the layer before needs not its output, no hook or
  // keep_activation reads it): Sequential::plan_in_place.
  virtual bool can_run_in_place() const { return false; }
  // Whether backward may be given dx in the memory of dy (dx has dy's size, and every dy value is
  // read before the dx value in its place is written: an elementwise layer, or one that reads all
  // of a channel's dy for its sums before it writes that channel's dx). The model then writes the
  // input gradient over the output gradient, when that is the model's own, and plans smaller
  // gradient buffers.
  virtual bool backward_dx_over_dy() const { return can_run_in_place(); }
  // A ReLU after this layer done by its own forward (a Dense on a GPU: cuBLASLt's epilogue). The
  // model asks can_fuse_relu for its backend and, when the next layer is_relu() and nothing reads
  // this layer's output on its own (no output-gradient hook), calls set_relu_fused(true): the
  // forward then writes relu(output), the ReLU layer's output is that memory, and only the ReLU's
  // forward is skipped (its backward, from the same values, gives this layer its gradient).
  virtual bool can_fuse_relu(const Backend& backend) const {
    (void)backend;
    return false;
  }
  virtual void set_relu_fused(bool fused) { (void)fused; }
  // The precision of the layer's matrix products (core/precision.h): Dense and the convolutions
  // take it, every other layer computes in fp32 and ignores it. Set before setup(), which sizes
  // the scratch for it.
  virtual void set_precision(Precision precision) { (void)precision; }
  virtual bool is_relu() const { return false; }
  // Tells the layer its position in the model (used to key its random stream).
  void set_index(uint32_t index) { index_ = index; }
  uint32_t index() const { return index_; }

  // y has the output shape of build() with x's batch size, and is overwritten.
  virtual void forward(const Tensor& x, Tensor& y, const StepContext& ctx) = 0;
  // Given x, the y that forward produced, and dL/dy: accumulates dL/dparams into the gradient
  // views (when ctx.param_grads) and, when dx is not null, overwrites *dx with dL/dx.
  virtual void backward(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx,
                        const StepContext& ctx) = 0;

 protected:
  uint32_t index_ = 0;
};

}  // namespace strata
