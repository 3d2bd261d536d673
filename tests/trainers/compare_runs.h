// Comparing runs in the trainers tests: every tensor a run's checkpoint holds (read into the
// experiment's networks, built on one process, concatenated in registration order), and the
// relative error of one set of values against another.
#pragma once

#include <algorithm>
#include <cmath>
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

// max |got - want| / max |want|: the error relative to the values' scale (infinite when the sizes
// differ).
inline double relative_error(const std::vector<float>& got, const std::vector<float>& want) {
  if (got.size() != want.size()) return INFINITY;
  double diff = 0, scale = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    diff = std::max(diff, static_cast<double>(std::fabs(got[i] - want[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(want[i])));
  }
  return scale > 0 ? diff / scale : diff;
}

}  // namespace strata::testing
