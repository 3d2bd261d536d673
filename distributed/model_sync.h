// Model synchronisation helpers for data-parallel training: make every rank start from root's
// weights (and BatchNorm running statistics), and average a scalar (a loss) for logging.
#pragma once

#include "core/sequential.h"
#include "distributed/communicator.h"

namespace strata {

// Copies root's flat parameter buffer (model.params()) and every state() tensor (BatchNorm
// running statistics) into every rank's model. Collective: every rank calls it with a model of the
// same architecture, built. No-op with world size 1.
void broadcast_model(Communicator& comm, Sequential& model, int root = 0);

// The mean of value over all ranks (collective), e.g. a loss for logging.
float average_scalar(Communicator& comm, float value);

}  // namespace strata
