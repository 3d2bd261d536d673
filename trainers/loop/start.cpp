// The start of a run (run_state.h): data, trainer, run folder and resume.
#include <cstdio>
#include <exception>
#include <filesystem>

#include "core/error.h"
#include "trainers/loop/run_state.h"
#include "trainers/signals.h"
#include "trainers/state_sync.h"

namespace strata::loop {

namespace fs = std::filesystem;

bool agree_on_stop(Communicator& comm) {
  int32_t stop = stop_requested() ? 1 : 0;
  if (comm.size() > 1) comm.all_reduce(&stop, 1, DataType::kI32, ReduceOp::kSum);
  return stop > 0;
}

void RunState::save(const RunPosition& at) {
  meta.pos = at;
  if (root) result.last_checkpoint = checkpoints->save(state, meta);
  comm.barrier();  // every rank knows the checkpoint exists before going on or exiting
}

std::string RunState::samples_dir() const {
  return (fs::path(o.run_dir) / "samples").string();
}

void prepare(RunState& r) {
  const Experiment& e = r.e;
  install_stop_handlers();  // a signal from here on stops the run cleanly
  r.threads = plan_cpu_threads(r.comm, r.o.threads);

  // Data first: every file is opened and checked before anything is built or written.
  r.data = e.data;
  const DataConfig& dc = r.data;
  r.train = open_dataset(dc.train, dc.dataset);
  if (!dc.test.empty()) r.test = open_dataset(dc.test, dc.dataset);
  const Shape want = e.trainer->input_shape();
  STRATA_CHECK(want.numel() == r.train.sample_values(),
               e.source << ": the model takes samples of " << want.str() << " but the images in "
                        << dc.train << " are " << r.train.channels << "x" << r.train.height << "x"
                        << r.train.width << "; change model.input_shape or the data");
  STRATA_CHECK(e.batch_size >= r.comm.size(),
               e.source << ": trainer.batch_size " << e.batch_size << " (the global batch) is "
                        << "smaller than the " << r.comm.size() << " ranks");
  STRATA_CHECK(r.train.total >= e.batch_size || !dc.drop_last,
               e.source << ": trainer.batch_size " << e.batch_size << " exceeds the "
                        << r.train.total << " training samples in " << dc.train);

  r.device = select_device(e.device, r.comm.local_rank());
  const TrainerContext ctx{r.comm,
                           e.seed,
                           e.batch_size,
                           &r.train,
                           dc.test.empty() ? nullptr : &r.test,
                           &r.data,
                           e.distributed.parallel,
                           r.device,
                           e.precision};
  r.trainer = e.trainer->build(ctx);
  r.phases = r.trainer->phases();
  for (Phase* p : r.phases)
    STRATA_CHECK(!p->needs_labels() || r.train.has_labels,
                 e.source << ": phase '" << p->name() << "' trains on labels but " << dc.train
                          << " has no labels dataset ('" << dc.dataset.labels << "')");
  r.trainer->register_state(r.state);
}

bool locate_start(RunState& r) {
  const Experiment& e = r.e;
  // The run folder: rank 0 decides whether the run may start or continue there before anything
  // is written; a refusal ends every rank at once.
  std::exception_ptr refused;
  if (r.root) {
    try {
      r.start = plan_run_start(r.o.run_dir, r.o.resume, e.resolved_yaml);
    } catch (const Error&) {
      refused = std::current_exception();
    }
  }
  if (broadcast_value(r.comm, refused ? 1 : 0) != 0) {
    if (refused) std::rethrow_exception(refused);
    STRATA_THROW("rank 0 refused the run folder " << r.o.run_dir << "; see its message");
  }

  // Resume: rank 0 reads the checkpoint; every rank gets its tensors and position.
  r.meta.seed = e.seed;
  r.meta.world_size = r.comm.size();
  r.meta.config_yaml = e.resolved_yaml;
  if (r.root && !r.start.checkpoint.empty()) {
    const CheckpointMeta got = read_checkpoint(r.start.checkpoint, r.state);
    STRATA_CHECK(got.seed == e.seed, r.start.checkpoint << " was written with seed " << got.seed
                                                        << " but the experiment has seed " << e.seed
                                                        << "; resume with the same seed");
    r.meta.pos = got.pos;
    r.written_by = got.world_size;
    r.result.last_checkpoint = r.start.checkpoint;
  }
  r.resumed = broadcast_value(r.comm, r.start.checkpoint.empty() ? 0 : 1) != 0;
  if (r.resumed) {
    broadcast_state(r.comm, r.state);
    broadcast_position(r.comm, r.meta);
  }
  r.pos = r.meta.pos;
  r.result.steps = r.pos.global_step;
  if (r.meta.pos.phase >= static_cast<int64_t>(r.phases.size())) {
    // A finished run: nothing is trained and nothing in its folder changes.
    if (r.root && !r.o.quiet)
      std::printf("the run in %s is already complete (step %lld); nothing to do\n",
                  r.o.run_dir.c_str(), static_cast<long long>(r.meta.pos.global_step));
    return false;
  }
  // A stop requested while the run was being set up: nothing trained, nothing to save.
  if (agree_on_stop(r.comm)) {
    if (r.root && !r.o.quiet)
      std::printf("stop requested (%s) before the first step; nothing to save\n",
                  stop_signal_name());
    r.result.stopped = true;
    return false;
  }
  return true;
}

void open_run_folder(RunState& r) {
  const Experiment& e = r.e;
  r.progress = std::make_unique<Progress>(e.logging.progress, e.logging.every_steps, stdout);
  if (!r.root) return;
  const fs::path dir(r.o.run_dir);
  const std::string cleared =
      begin_run_folder(r.o.run_dir, r.start, e.resolved_yaml, r.meta.pos.global_step);
  r.checkpoints =
      std::make_unique<CheckpointDir>((dir / "checkpoints").string(), e.checkpoint.keep);
  r.metrics = std::make_unique<MetricsLog>((dir / "metrics.jsonl").string());
  // The events file continues like metrics.jsonl: the records up to the checkpoint's step. With
  // tensorboard off, an earlier attempt's file is still cut to them (and gets no new records).
  const int64_t keep_through = r.resumed ? r.meta.pos.global_step : -1;
  int64_t events_dropped = 0;
  if (e.logging.tensorboard) {
    r.events = std::make_unique<EventLog>(r.o.run_dir, keep_through);
    r.metrics->also_to(r.events.get());
    events_dropped = r.events->dropped();
  } else if (!events_files(r.o.run_dir).empty()) {
    events_dropped = EventLog(r.o.run_dir, keep_through).dropped();
  }
  if (r.o.quiet) return;
  std::printf("# resolved config (also in %s)\n%s", (dir / "config.yaml").c_str(),
              e.resolved_yaml.c_str());
  std::printf("run folder: %s; %d rank(s) (%s), global batch %lld\n", dir.c_str(), r.comm.size(),
              r.comm.name().c_str(), static_cast<long long>(e.batch_size));
  std::printf("cpu: %s\n", r.threads.describe().c_str());
  std::printf("device: %s (device: %s), precision: %s\n", describe_device(r.device).c_str(),
              device_request_name(e.device), precision_name(e.precision));
  if (!cleared.empty()) std::printf("%s\n", cleared.c_str());
  if (r.resumed && events_dropped > 0)
    std::printf("events file: dropped %lld record(s) after step %lld\n",
                static_cast<long long>(events_dropped), static_cast<long long>(keep_through));
  if (r.resumed)
    std::printf("resuming from %s: phase %lld, epoch %lld, step %lld (written by %d rank(s))\n",
                r.start.checkpoint.c_str(), static_cast<long long>(r.meta.pos.phase + 1),
                static_cast<long long>(r.meta.pos.epoch + 1),
                static_cast<long long>(r.meta.pos.global_step), r.written_by);
  else if (r.o.resume == "auto" && !r.start.start_over)
    std::printf("--resume auto: no checkpoint in %s yet; starting a new run\n",
                (dir / "checkpoints").c_str());
  std::fflush(stdout);
}

}  // namespace strata::loop
