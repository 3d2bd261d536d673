// Rebuilding a trained run's networks from a checkpoint (trainers/eval/load_run.h).
#include "trainers/eval/load_run.h"

#include "core/device_select.h"
#include "core/error.h"

namespace strata {

PixelScale LoadedRun::scale() const {
  return experiment.scale_given ? experiment.data.scale : experiment.trainer->default_scale();
}

Sequential* LoadedRun::find_network(const std::string& role) const {
  return trainer->network(role);
}

Sequential& LoadedRun::network(const std::string& role) const {
  Sequential* net = trainer->network(role);
  STRATA_CHECK(net != nullptr, "the checkpoint " << checkpoint << " is of a '" << kind()
                                                 << "' run, which has no " << role << " network");
  return *net;
}

std::unique_ptr<LoadedRun> load_run(const std::string& path_or_dir, const std::string& data_pattern,
                                    bool initial_weights, const std::string& device) {
  auto run = std::make_unique<LoadedRun>();
  run->checkpoint = resolve_checkpoint(path_or_dir);
  run->meta = read_checkpoint_meta(run->checkpoint);
  STRATA_CHECK(!run->meta.config_yaml.empty(),
               "the checkpoint " << run->checkpoint
                                 << " carries no config; it cannot be rebuilt without one");
  run->experiment = parse_experiment(run->meta.config_yaml, run->checkpoint + ":config");
  if (!data_pattern.empty())
    run->data =
        std::make_unique<DatasetInfo>(open_dataset(data_pattern, run->experiment.data.dataset));
  run->device =
      select_device(device.empty() ? run->experiment.device : parse_device_request(device), 0);
  const TrainerContext ctx{.comm = run->comm,
                           .seed = run->meta.seed,
                           .batch_size = run->experiment.batch_size,
                           .train = run->data.get(),
                           .test = run->data.get(),
                           .data = &run->experiment.data,
                           .parallel = ParallelOptions{},
                           .device = run->device,
                           .precision = run->experiment.precision};
  run->trainer = run->experiment.trainer->build(ctx);
  run->trainer->register_state(run->state);
  if (!initial_weights) read_checkpoint(run->checkpoint, run->state);
  return run;
}

}  // namespace strata
