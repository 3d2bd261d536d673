// The Layer interface: explicit forward and backward, no tape.
//
// Shapes always include the batch dimension first. A layer declares its parameters
// (param_specs); the model allocates them in one flat buffer and one flat gradient buffer and
// hands the layer views into both (bind). setup() is called whenever the input shape changes,
// and is the only place a layer may allocate scratch memory; forward and backward then allocate
// nothing.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/init.h"
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
  // Called when the input's batch size changes (full shape, batch first): size scratch buffers.
  virtual void setup(const Shape& in) { (void)in; }
  // Layers that can use global-batch statistics (BatchNorm) keep `sum` (not owned; nullptr: this
  // rank's batch only, the default). Others ignore it.
  virtual void set_cross_rank_sum(CrossRankSum* sum) { (void)sum; }
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
