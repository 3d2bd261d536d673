#include "trainers/loop/step_runner.h"

namespace strata::loop {

const StepValues& StepRunner::run(Phase& phase, const Batch& b, const BatchPosition& pos,
                                  const std::vector<Optimizer*>& opts) {
  if (graph_.mode() == StepGraph::Mode::kEager) return phase.step(b, pos);
  // The check mode runs the step as a capture would see it: staged batch, counter, rates.
  staged_ = b;  // sizes, offsets and the host copies (a captured step may check labels there)
  staged_.images = staging_.stage(0, b.images);
  staged_.labels = staging_.stage(1, b.labels);
  BatchPosition staged_pos = pos;
  staged_pos.counter = staging_.counter(pos.step, pos.sample_offset);
  for (Optimizer* opt : opts) opt->publish_lr();
  graph_.run({staged_.images.shape(), staged_.labels.shape()},
             [&] { values_ = &phase.step(staged_, staged_pos); });
  return *values_;  // the same object every step (Phase::step), also after a replay
}

std::string StepRunner::summary() const {
  if (graph_.mode() != StepGraph::Mode::kGraph) return "";
  return "cuda graphs: " + std::to_string(graph_.captures()) + " captured, " +
         std::to_string(graph_.replays()) + " replayed, " + std::to_string(graph_.eager_steps()) +
         " eager steps";
}

}  // namespace strata::loop
