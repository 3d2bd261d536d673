// Internal to the training loop: runs a phase's steps through a StepGraph (core/step_graph.h):
// eagerly, checked, or as a replayed CUDA graph. Outside the eager mode it first stages what
// changes from step to step in fixed device buffers (StepStaging): the batch's images and labels
// and the StepCounter that keys the random draws; and it publishes each optimizer's learning
// rate. In the eager mode the batch goes to the step as it came.
#pragma once

#include <string>
#include <vector>

#include "core/data/reader.h"
#include "core/optim/optimizer.h"
#include "core/step_graph.h"
#include "trainers/phase.h"

namespace strata::loop {

class StepRunner {
 public:
  StepRunner(StepGraph::Mode mode, Device device) : graph_(mode, device), staging_(device) {}

  const StepValues& run(Phase& phase, const Batch& b, const BatchPosition& pos,
                        const std::vector<Optimizer*>& opts);

  const StepGraph& graph() const { return graph_; }
  // "cuda graphs: 2 captured, 118 replayed, 3 eager steps" (graph mode), or "".
  std::string summary() const;

 private:
  StepGraph graph_;
  StepStaging staging_;
  Batch staged_;
  const StepValues* values_ = nullptr;
};

}  // namespace strata::loop
