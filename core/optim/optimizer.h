// Optimizers: one pass over the model's flat parameter and gradient buffers per step.
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
  // first step and has the same size.
  virtual void step(Tensor& params, const Tensor& grads) = 0;
  // State to checkpoint (moments, step count as a 1-element tensor).
  virtual std::vector<Tensor*> state() = 0;
  float lr() const { return lr_; }
  void set_lr(float lr) { lr_ = lr; }
  int64_t steps() const { return steps_; }

 protected:
  float lr_ = 1e-3f;
  int64_t steps_ = 0;
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
  Tensor velocity_, step_count_;
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
  Tensor m_, v_, step_count_;
};

}  // namespace strata
