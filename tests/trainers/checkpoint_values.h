// For the loop and resume tests: every tensor a run's checkpoint holds, read into the networks of
// the experiment (built on one process) and concatenated in registration order, to compare runs.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "distributed/local_communicator.h"
#include "trainers/experiment.h"
#include "trainers/run/checkpoint.h"

namespace strata::testing {

inline std::vector<float> checkpoint_values(const Experiment& e, const std::string& path) {
  LocalCommunicator local;
  const DatasetInfo train = open_dataset(e.data.train, e.data.dataset);
  const DatasetInfo test = open_dataset(e.data.test, e.data.dataset);
  const TrainerContext ctx{local, e.seed,  e.batch_size,          &train,
                           &test, &e.data, e.distributed.parallel};
  std::unique_ptr<Trainer> t = e.trainer->build(ctx);
  StateRegistry state;
  t->register_state(state);
  read_checkpoint(path, state);
  std::vector<float> all;
  for (const StateItem& it : state.items())
    all.insert(all.end(), it.tensor->data(), it.tensor->data() + it.tensor->numel());
  return all;
}

}  // namespace strata::testing
