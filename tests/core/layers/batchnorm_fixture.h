// Test helpers for BatchNorm (batchnorm_test.cpp and batchnorm_sync_test.cpp): a layer built
// with its own parameter and gradient tensors, and the StepContext of a train or eval pass.
#pragma once

#include <cstdint>

#include "core/layer.h"
#include "core/layers/batchnorm.h"
#include "tests/support/gradcheck.h"

namespace strata::testing {

constexpr float kEps = 1e-5f;

// A BatchNorm built for `in` with its own gamma/beta and gradient tensors.
struct Bn {
  BatchNorm layer;
  Tensor gamma, beta, dgamma, dbeta;
  Bn(const Shape& in, BatchNormOptions o = {}) : layer(o) {
    layer.build(in);
    const int64_t c = in[1];
    gamma = Tensor(Shape{c});
    beta = Tensor::zeros(Shape{c});
    dgamma = Tensor::zeros(Shape{c});
    dbeta = Tensor::zeros(Shape{c});
    gamma.fill(1.0f);
    Tensor p[2] = {gamma, beta}, g[2] = {dgamma, dbeta};  // copies share storage
    layer.bind(p, g);
    scratch = setup_layer(layer, in);
  }
  LayerScratch scratch;
  Tensor& running_mean() { return *layer.state()[0]; }
  Tensor& running_var() { return *layer.state()[1]; }
};

// global_batch: the samples of a synchronised step over all ranks.
inline StepContext mode(bool training, bool param_grads = true, int64_t global_batch = 0) {
  StepContext c;
  c.training = training;
  c.param_grads = param_grads;
  c.global_batch = global_batch;
  return c;
}

}  // namespace strata::testing
