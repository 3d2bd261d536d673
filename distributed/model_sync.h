// A Sequential in data-parallel training: make every rank start from root's weights (and
// BatchNorm running statistics), describe its gradients to a GradientReducer and report to it
// during backward, and average a scalar (a loss) for logging.
#pragma once

#include "core/sequential.h"
#include "distributed/communicator.h"
#include "distributed/gradient_reducer.h"

namespace strata {

// Copies root's flat parameter buffer (model.params()) and every state() tensor (BatchNorm
// running statistics) into every rank's model, wherever it lives (staged through the host for a
// model on a device and a host-buffer communicator). Collective: every rank calls it with a model
// of the same architecture, built. No-op with world size 1.
void broadcast_model(Communicator& comm, Sequential& model, int root = 0);

// The model's flat gradient buffer and its layers' slices (the model must be built).
GradientBuffer gradient_buffer_of(Sequential& model);

// Makes model's backward report each layer's final gradients to `reducer` (nullptr: stop).
void report_grads_to(Sequential& model, GradientReducer* reducer);

// The mean of value over all ranks (collective), e.g. a loss for logging.
float average_scalar(Communicator& comm, float value);

}  // namespace strata
