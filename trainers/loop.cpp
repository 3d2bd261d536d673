#include "trainers/loop.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "core/error.h"
#include "distributed/local_communicator.h"
#include "distributed/thread_plan.h"
#include "trainers/run/checkpoint.h"
#include "trainers/run/loss_curve.h"
#include "trainers/run/metrics_log.h"
#include "trainers/run/progress.h"
#include "trainers/run/run_folder.h"
#include "trainers/signals.h"
#include "trainers/state_sync.h"

namespace strata {

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The values of a window of steps, each weighted by this rank's samples, so that the sum over
// ranks divided by the samples over ranks is the mean over the global batches (exact also when
// ranks hold different numbers of samples).
struct Window {
  Metrics sum;
  int64_t steps = 0, samples = 0;
  double wait_ms = 0;
  void add(const Metrics& m, int64_t n, double wait) {
    if (sum.empty()) {
      sum = m;
      for (auto& kv : sum) kv.second = 0;
    }
    for (size_t i = 0; i < m.size() && i < sum.size(); ++i) sum[i].second += m[i].second * n;
    ++steps;
    samples += n;
    wait_ms += wait;
  }
  void clear() {
    for (auto& kv : sum) kv.second = 0;
    steps = samples = 0;
    wait_ms = 0;
  }
  // The window's means over all ranks' samples (collective; every rank has the same names in
  // the same order), and the mean data wait per step over ranks.
  Metrics mean_over_ranks(Communicator& comm, double* wait_out) const {
    std::vector<double> v;
    for (const auto& kv : sum) v.push_back(kv.second);
    v.push_back(static_cast<double>(samples));
    v.push_back(wait_ms / std::max<int64_t>(steps, 1));
    if (comm.size() > 1)
      comm.all_reduce(v.data(), static_cast<int64_t>(v.size()), DataType::kF64, ReduceOp::kSum);
    Metrics out = sum;
    const double n = std::max(1.0, v[sum.size()]);
    for (size_t i = 0; i < out.size(); ++i) out[i].second = v[i] / n;
    *wait_out = v.back() / comm.size();
    return out;
  }
};

std::string format_metrics(const Metrics& m) {
  std::ostringstream os;
  for (const auto& kv : m) os << " " << kv.first << " " << kv.second;
  return os.str();
}

// Whether any rank has a stop request (collective).
bool agree_on_stop(Communicator& comm) {
  int32_t stop = stop_requested() ? 1 : 0;
  if (comm.size() > 1) comm.all_reduce(&stop, 1, DataType::kI32, ReduceOp::kSum);
  return stop > 0;
}

std::string step_tag(const std::string& phase, int64_t step) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s_step-%09lld", phase.c_str(), static_cast<long long>(step));
  return buf;
}

// The run on comm; run_experiment below marks comm abandoned when an exception leaves it.
RunResult run_on(const Experiment& e, const RunOptions& o, Communicator* comm) {
  const bool root = comm->rank() == 0;
  RunResult result;
  result.rank = comm->rank();
  install_stop_handlers();  // a signal from here on stops the run cleanly
  const ThreadPlan threads = plan_cpu_threads(*comm, o.threads);

  // Data first: every file is opened and checked before anything is built or written.
  DataConfig dc = e.data;
  const DatasetInfo train = open_dataset(dc.train, dc.dataset);
  DatasetInfo test;
  if (!dc.test.empty()) test = open_dataset(dc.test, dc.dataset);
  const Shape want = e.trainer->input_shape();
  STRATA_CHECK(want.numel() == train.sample_values(),
               e.source << ": the model takes samples of " << want.str() << " but the images in "
                        << dc.train << " are " << train.channels << "x" << train.height << "x"
                        << train.width << "; change model.input_shape or the data");
  STRATA_CHECK(e.batch_size >= comm->size(),
               e.source << ": trainer.batch_size " << e.batch_size << " (the global batch) is "
                        << "smaller than the " << comm->size() << " ranks");
  STRATA_CHECK(train.total >= e.batch_size || !dc.drop_last,
               e.source << ": trainer.batch_size " << e.batch_size << " exceeds the " << train.total
                        << " training samples in " << dc.train);

  const TrainerContext ctx{*comm,
                           e.seed,
                           e.batch_size,
                           &train,
                           dc.test.empty() ? nullptr : &test,
                           &dc,
                           e.distributed.parallel};
  std::unique_ptr<Trainer> trainer = e.trainer->build(ctx);
  std::vector<Phase*> phases = trainer->phases();
  for (Phase* p : phases)
    STRATA_CHECK(!p->needs_labels() || train.has_labels,
                 e.source << ": phase '" << p->name() << "' trains on labels but " << dc.train
                          << " has no labels dataset ('" << dc.dataset.labels << "')");
  StateRegistry state;
  trainer->register_state(state);

  // The run folder: rank 0 decides whether the run may start or continue there before anything
  // is written; a refusal ends every rank at once.
  const fs::path dir(o.run_dir);
  const std::string samples_dir = (dir / "samples").string();
  RunStart start;
  std::exception_ptr refused;
  if (root) {
    try {
      start = plan_run_start(o.run_dir, o.resume, e.resolved_yaml);
    } catch (const Error&) {
      refused = std::current_exception();
    }
  }
  if (broadcast_value(*comm, refused ? 1 : 0) != 0) {
    if (refused) std::rethrow_exception(refused);
    STRATA_THROW("rank 0 refused the run folder " << o.run_dir << "; see its message");
  }

  // Resume: rank 0 reads the checkpoint; every rank gets its tensors and position.
  CheckpointMeta meta;
  meta.seed = e.seed;
  meta.world_size = comm->size();
  meta.config_yaml = e.resolved_yaml;
  int written_by = 0;  // ranks of the run that wrote the checkpoint
  if (root && !start.checkpoint.empty()) {
    const CheckpointMeta got = read_checkpoint(start.checkpoint, state);
    STRATA_CHECK(got.seed == e.seed, start.checkpoint << " was written with seed " << got.seed
                                                      << " but the experiment has seed " << e.seed
                                                      << "; resume with the same seed");
    meta.pos = got.pos;
    written_by = got.world_size;
    result.last_checkpoint = start.checkpoint;
  }
  const int64_t resumed = broadcast_value(*comm, start.checkpoint.empty() ? 0 : 1);
  if (resumed) {
    broadcast_state(*comm, state);
    broadcast_position(*comm, meta);
  }
  if (meta.pos.phase >= static_cast<int64_t>(phases.size())) {
    // A finished run: nothing is trained and nothing in its folder changes.
    if (root && !o.quiet)
      std::printf("the run in %s is already complete (step %lld); nothing to do\n", dir.c_str(),
                  static_cast<long long>(meta.pos.global_step));
    result.steps = meta.pos.global_step;
    return result;
  }
  // A stop requested while the run was being set up: nothing trained, nothing to save.
  if (agree_on_stop(*comm)) {
    if (root && !o.quiet)
      std::printf("stop requested (%s) before the first step; nothing to save\n",
                  stop_signal_name());
    result.steps = meta.pos.global_step;
    result.stopped = true;
    return result;
  }

  std::unique_ptr<MetricsLog> metrics;
  std::unique_ptr<CheckpointDir> checkpoints;
  if (root) {
    const std::string cleared =
        begin_run_folder(o.run_dir, start, e.resolved_yaml, meta.pos.global_step);
    checkpoints =
        std::make_unique<CheckpointDir>((dir / "checkpoints").string(), e.checkpoint.keep);
    metrics = std::make_unique<MetricsLog>((dir / "metrics.jsonl").string());
    if (!o.quiet) {
      std::printf("# resolved config (also in %s)\n%s", (dir / "config.yaml").c_str(),
                  e.resolved_yaml.c_str());
      std::printf("run folder: %s; %d rank(s) (%s), global batch %lld\n", dir.c_str(), comm->size(),
                  comm->name().c_str(), static_cast<long long>(e.batch_size));
      std::printf("cpu: %s\n", threads.describe().c_str());
      if (!cleared.empty()) std::printf("%s\n", cleared.c_str());
      if (resumed)
        std::printf("resuming from %s: phase %lld, epoch %lld, step %lld (written by %d rank(s))\n",
                    start.checkpoint.c_str(), static_cast<long long>(meta.pos.phase + 1),
                    static_cast<long long>(meta.pos.epoch + 1),
                    static_cast<long long>(meta.pos.global_step), written_by);
      else if (o.resume == "auto" && !start.start_over)
        std::printf("--resume auto: no checkpoint in %s yet; starting a new run\n",
                    (dir / "checkpoints").c_str());
      std::fflush(stdout);
    }
  }
  Progress progress(e.logging.progress, e.logging.every_steps, stdout);
  RunPosition pos = meta.pos;
  const auto run_start = Clock::now();
  int64_t samples_run = 0;

  auto save = [&](const RunPosition& at) {
    meta.pos = at;
    if (root) result.last_checkpoint = checkpoints->save(state, meta);
    comm->barrier();  // every rank knows the checkpoint exists before going on or exiting
  };

  for (int64_t p = pos.phase; p < static_cast<int64_t>(phases.size()); ++p) {
    Phase& phase = *phases[p];
    // A phase is entered fresh unless the checkpoint is from inside it (a checkpoint at a phase
    // boundary comes before the next phase's begin, which must then still run).
    const bool inside =
        resumed && p == meta.pos.phase && (meta.pos.epoch > 0 || meta.pos.step_in_epoch > 0);
    const bool fresh = !inside;
    if (p != pos.phase) pos = RunPosition{p, 0, 0, pos.global_step};
    phase.begin(fresh);

    ReaderOptions ro;
    ro.global_batch = e.batch_size;
    ro.rank = comm->rank();
    ro.world = comm->size();
    ro.seed = e.seed + 1000003ULL * static_cast<uint64_t>(p);  // each phase its own order
    ro.drop_last = dc.drop_last;
    ro.prefetch = dc.prefetch;
    ro.scale = dc.scale;
    DataReader reader(train, ro);
    const int64_t spe = reader.steps_per_epoch();
    const int64_t total = spe * phase.epochs();
    if (inside && pos.epoch >= phase.epochs() && root && !o.quiet)
      std::printf(
          "%s: the checkpoint is at epoch %lld, past this experiment's %lld epoch(s) of the phase "
          "(was an epochs key lowered?); nothing left to train in it\n",
          phase.name().c_str(), static_cast<long long>(pos.epoch + 1),
          static_cast<long long>(phase.epochs()));
    std::vector<Optimizer*> opts = phase.optimizers();
    std::vector<float> base_lr;
    for (Optimizer* opt : opts) base_lr.push_back(opt->lr());

    reader.start(pos.epoch, pos.step_in_epoch);
    if (root && !o.quiet)
      progress.begin_phase(phase.name(), total, pos.epoch * spe + pos.step_in_epoch);
    Window window;
    Metrics shown;  // the last values averaged over ranks: what the progress shows
    auto window_start = Clock::now();
    for (int64_t epoch = pos.epoch; epoch < phase.epochs(); ++epoch) {
      for (int64_t s = (epoch == pos.epoch ? pos.step_in_epoch : 0); s < spe; ++s) {
        const int64_t step_in_phase = epoch * spe + s;
        const double f = schedule_factor(e.schedule, step_in_phase, total, spe);
        for (size_t k = 0; k < opts.size(); ++k)
          opts[k]->set_lr(static_cast<float>(base_lr[k] * f));

        const Batch& b = reader.next();
        BatchPosition bp;
        bp.step = static_cast<uint64_t>(pos.global_step);
        bp.sample_offset = b.global_offset;
        bp.global_batch = e.batch_size;
        const Metrics m = phase.step(b, bp);
        ++pos.global_step;
        samples_run += b.size;
        window.add(m, b.size, reader.last_wait_ms());
        const RunPosition next{p, s + 1 == spe ? epoch + 1 : epoch, s + 1 == spe ? 0 : s + 1,
                               pos.global_step};
        if (o.after_step) o.after_step(pos.global_step);

        // Logging (collective: every rank reaches it at the same step), at the same steps of an
        // epoch whether or not the run was resumed inside it.
        if ((s + 1) % e.logging.every_steps == 0 || s + 1 == spe) {
          double wait = 0;
          const Metrics avg = window.mean_over_ranks(*comm, &wait);
          shown = avg;
          if (root) {
            Metrics rec = avg;
            metrics->write(pos.global_step, epoch + 1, phase.name(), [&] {
              std::vector<std::pair<std::string, double>> v(rec.begin(), rec.end());
              const double secs =
                  std::chrono::duration<double>(Clock::now() - window_start).count();
              v.emplace_back("samples_per_s", secs > 0 ? window.samples * comm->size() / secs : 0);
              v.emplace_back("data_wait_ms", wait);
              return v;
            }());
          }
          window.clear();
          window_start = Clock::now();
        }
        if (root && !o.quiet)
          progress.step(step_in_phase + 1, epoch + 1, b.size * comm->size(),
                        shown.empty() ? m : shown, reader.last_wait_ms());

        // A stop request on any rank stops every rank here, after a checkpoint.
        if (agree_on_stop(*comm)) {
          save(next);
          if (root && !o.quiet) {
            progress.line(std::string("stop requested (") +
                          (stop_requested() ? stop_signal_name() : "on another rank") +
                          "): checkpoint " + result.last_checkpoint +
                          "; resume with --resume auto");
          }
          result.steps = pos.global_step;
          result.stopped = true;
          return result;
        }
        if (e.checkpoint.every_steps > 0 && pos.global_step % e.checkpoint.every_steps == 0 &&
            s + 1 != spe)
          save(next);
        if (root && e.logging.samples_every_steps > 0 &&
            pos.global_step % e.logging.samples_every_steps == 0)
          phase.write_samples(samples_dir, step_tag(phase.name(), pos.global_step));
      }
      // End of the epoch: evaluation, pictures, a checkpoint.
      const Metrics eval = phase.evaluate();
      result.last_evaluation = eval;
      const bool last_epoch = epoch + 1 == phase.epochs();
      if (root) {
        if (!eval.empty()) metrics->write(pos.global_step, epoch + 1, phase.name(), eval);
        if (!o.quiet)
          progress.line(phase.name() + " epoch " + std::to_string(epoch + 1) +
                        " done:" + format_metrics(eval));
        // Pictures every epoch, or every samples_every_steps steps and at the end of the phase.
        const bool just_written = e.logging.samples_every_steps > 0 &&
                                  pos.global_step % e.logging.samples_every_steps == 0;
        if (e.logging.samples_every_steps == 0 || (last_epoch && !just_written))
          phase.write_samples(samples_dir, step_tag(phase.name(), pos.global_step));
        update_loss_curve(o.run_dir);  // loss.png, up to date after every epoch
      }
      if (last_epoch || (epoch + 1) % e.checkpoint.every_epochs == 0)
        save(RunPosition{last_epoch ? p + 1 : p, last_epoch ? 0 : epoch + 1, 0, pos.global_step});
    }
    if (root && !o.quiet) progress.end_phase();
    pos = RunPosition{p + 1, 0, 0, pos.global_step};
  }
  if (root) update_loss_curve(o.run_dir);  // the finished run's loss.png
  const double secs = std::chrono::duration<double>(Clock::now() - run_start).count();
  result.steps = pos.global_step;
  result.samples_per_s = secs > 0 ? samples_run * comm->size() / secs : 0;
  return result;
}

}  // namespace

RunResult run_experiment(const Experiment& e, const RunOptions& o) {
  STRATA_CHECK(!o.run_dir.empty(), "a run needs a run folder (--run-dir)");
  std::unique_ptr<Communicator> owned;
  Communicator* comm = o.comm;
  if (comm == nullptr) {
    owned = make_communicator(e.distributed);
    comm = owned.get();
  }
  try {
    return run_on(e, o, comm);
  } catch (const std::exception& error) {
    // This rank leaves the run's collectives unfinished; the other ranks may be inside one.
    comm->abandon(error.what());
    throw;
  }
}

}  // namespace strata
