// Optimizers: one pass over the model's flat parameter and gradient buffers per step.
//
// On a GPU the learning rate and the step count live in device memory, where the step reads them
// (core/ops/sgd.h, adam.h): each step writes the learning rate there and the step advances the
// count on the device, so that a step can be captured in a CUDA graph and replayed.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace strata {

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual const char* kind() const = 0;
  // params and grads are the flat buffers (same size); the optimizer's state is allocated on the
  // first step, on the parameters' device, and has the same size.
  virtual void step(Tensor& params, const Tensor& grads) = 0;
  // State to checkpoint (moments, then the step count as a 1-element tensor). The tensors live on
  // the parameters' device once a step has run there; before the first step they are on the CPU
  // (the moments empty), where a checkpoint reader may fill them: the next step moves them.
  virtual std::vector<Tensor*> state() = 0;
  float lr() const { return lr_; }
  void set_lr(float lr) { lr_ = lr; }
  // Writes lr() where a GPU step reads it (queued on the parameters' stream). A step does this
  // itself, except when it is captured as a CUDA graph (core/step_capture.h): a replay then reads
  // what the last publish_lr() wrote, so the loop calls it before each replay. Nothing to do on
  // the CPU (the step takes lr() as an argument) or before the first step on a GPU.
  void publish_lr();
  // Steps taken: the step count of state() (read back from the device when it lives on a GPU).
  int64_t steps() const;

 protected:
  // Makes `buffer` (a moment, the velocity) ready for a step on `params`: on the first step, n
  // zeros on the parameters' device; state a checkpoint left on another device moves there. Its
  // size must be the parameters'.
  void prepare_state(Tensor& buffer, const Tensor& params);
  // On a GPU: the device memory a step reads, made on the first step there: [0] the learning
  // rate, [1] the step count (step_count_ becomes a view of it, its value carried over), then
  // `workspace` floats for the op.
  float* device_scalars(Device device, int64_t workspace);

  float lr_ = 1e-3f;
  Tensor step_count_ = Tensor::zeros(Shape{1});

 private:
  Tensor device_scalars_;
};

// SGD with momentum (PyTorch's form: v = mu * v + g; p -= lr * v; Nesterov: p -= lr * (g + mu * v))
// and L2 weight decay added to the gradient (g += wd * p).
struct SGDOptions {
  float lr = 0.01f, momentum = 0.0f, weight_decay = 0.0f;
  bool nesterov = false;
};

class SGD final : public Optimizer {
 public:
  explicit SGD(const SGDOptions& o);
  const char* kind() const override { return "sgd"; }
  void step(Tensor& params, const Tensor& grads) override;
  std::vector<Tensor*> state() override;

 private:
  SGDOptions o_;
  Tensor velocity_;
};

// Adam with bias correction (Kingma & Ba). weight_decay: Adam adds wd * p to the gradient;
// AdamW (decoupled = true) multiplies p by (1 - lr * wd) before the update (Loshchilov & Hutter).
struct AdamOptions {
  float lr = 1e-3f, beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f, weight_decay = 0.0f;
  bool decoupled = false;  // AdamW
};

class Adam final : public Optimizer {
 public:
  explicit Adam(const AdamOptions& o);
  const char* kind() const override { return o_.decoupled ? "adamw" : "adam"; }
  void step(Tensor& params, const Tensor& grads) override;
  std::vector<Tensor*> state() override;

 private:
  AdamOptions o_;
  Tensor m_, v_;
};

}  // namespace strata
