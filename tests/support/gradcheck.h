// Finite-difference gradient checks for layers and losses.
//
// For a layer, the scalar checked is L = sum(y * r) with a fixed random r, so dL/dy = r. Central
// differences in double accumulation over a float32 forward: each checked element is nudged by
// +-eps and (L+ - L-) / (2 eps) is compared with the analytic gradient. Tolerance:
// |analytic - numeric| <= atol + rtol * max(|analytic|, |numeric|).
#pragma once

#include <functional>
#include <string>

#include "core/layer.h"
#include "core/losses/loss.h"

namespace strata::testing {

struct GradCheckOptions {
  float eps = 1e-2f;
  float atol = 2e-3f;
  float rtol = 2e-2f;
  int max_checks = 400;  // checked elements per tensor (spread evenly); all if fewer
  bool training = true;
  uint64_t seed = 1234;
};

// Fills t with N(0, scale) values (keyed by `stream`), nudged away from 0 by at least `margin` so
// that kinks (ReLU) are not crossed by the finite difference.
void fill_random(Tensor& t, uint32_t stream, float scale = 1.0f, float margin = 0.0f);

// Builds `layer` for `in_shape` (batch included; the layer's params get their own flat buffers
// here), then checks dL/dx and dL/dparam for every parameter. Reports failures through
// GoogleTest (EXPECT) with the tensor name and index. Returns the number of mismatches.
int check_layer_gradients(Layer& layer, const Shape& in_shape, const GradCheckOptions& opt = {},
                          float input_margin = 0.0f);

// A layer used on its own in a test (outside a Sequential): setup() for `in` on the CPU backend,
// and the scratch it asked for, owned here and bound to it. Keep it alive while the layer runs.
struct LayerScratch {
  Tensor workspace, saved;
};
LayerScratch setup_layer(Layer& layer, const Shape& in);

// Checks dL/dpred of a loss at `pred` for the given target.
int check_loss_gradient(Loss& loss, Tensor pred, const Tensor& target,
                        const GradCheckOptions& opt = {});

// Checks a scalar function of a tensor against its analytic gradient.
int check_function_gradient(const std::function<float(const Tensor&)>& f,
                            const std::function<void(const Tensor&, Tensor&)>& grad, Tensor x,
                            const std::string& what, const GradCheckOptions& opt = {});

}  // namespace strata::testing
