// One phase of a run (run_state.h): its epochs of steps, each followed by logging, stop
// agreement and checkpoints; each epoch by evaluation, pictures and a checkpoint. A step's values
// stay on the device (step_log.h); they are read back at logging steps and checked before
// anything is saved, so a value that stopped being finite stops the run before a checkpoint
// holds its parameters.
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "core/backend.h"
#include "core/data/reader.h"
#include "trainers/loop/run_state.h"
#include "trainers/loop/step_log.h"
#include "trainers/loop/step_runner.h"
#include "trainers/plot/loss_curve.h"
#include "trainers/run/text_file.h"
#include "trainers/schedule.h"
#include "trainers/signals.h"

namespace strata::loop {

namespace {

std::string format_metrics(const Metrics& m) {
  std::ostringstream os;
  for (const auto& kv : m) os << " " << kv.first << " " << kv.second;
  return os.str();
}

std::string step_tag(const std::string& phase, int64_t step) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s_step-%09lld", phase.c_str(), static_cast<long long>(step));
  return buf;
}

// The double whose shortest decimal form is the float's (0.01f logs as 0.01, not 0.0099999998).
double shortest(float f) {
  char buf[32];
  const std::to_chars_result r = std::to_chars(buf, buf + sizeof(buf) - 1, f);
  *r.ptr = '\0';
  return std::strtod(buf, nullptr);
}

// The learning rates of the phase's optimizers now, as metrics.jsonl names them.
Metrics learning_rates(const Phase& phase, const std::vector<Optimizer*>& opts) {
  const std::vector<std::string> names = phase.optimizer_names();
  Metrics lr;
  for (size_t k = 0; k < opts.size(); ++k)
    lr.emplace_back(k < names.size() ? "lr_" + names[k] : "lr", shortest(opts[k]->lr()));
  return lr;
}

// The phase's pictures at the current step in samples/ and, with the same PNG, in the events file.
void write_pictures(RunState& r, Phase& phase) {
  const std::string tag = step_tag(phase.name(), r.pos.global_step);
  phase.write_samples(r.samples_dir(), tag);
  if (!r.events) return;
  const std::string png = r.samples_dir() + "/" + tag + ".png";
  std::error_code ec;
  if (!std::filesystem::exists(png, ec)) return;  // a phase without pictures
  r.events->image(r.pos.global_step, phase.name() + "/samples", read_text_file(png));
}

// The reader of phase p: this rank's slice of each global batch, in the phase's own order.
ReaderOptions reader_options(const RunState& r, int64_t p) {
  ReaderOptions ro;
  ro.global_batch = r.e.batch_size;
  ro.rank = r.comm.rank();
  ro.world = r.comm.size();
  ro.seed = r.e.seed + 1000003ULL * static_cast<uint64_t>(p);
  ro.drop_last = r.data.drop_last;
  ro.prefetch = r.data.prefetch;
  ro.scale = r.data.scale;
  ro.device = r.device;  // batches arrive on the model's device, copied while the step runs
  ro.stream = backend_for(r.device).stream();
  return ro;
}

// The end of an epoch: evaluation, pictures, loss.png, and a checkpoint.
void end_epoch(RunState& r, Phase& phase, int64_t p, int64_t epoch) {
  const Experiment& e = r.e;
  const Metrics eval = phase.evaluate();
  r.result.last_evaluation = eval;
  const bool last_epoch = epoch + 1 == phase.epochs();
  if (r.root) {
    if (!eval.empty()) r.metrics->write(r.pos.global_step, epoch + 1, phase.name(), eval);
    if (!r.o.quiet)
      r.progress->line(phase.name() + " epoch " + std::to_string(epoch + 1) +
                       " done:" + format_metrics(eval));
    // Pictures every epoch, or every samples_every_steps steps and at the end of the phase.
    const bool just_written =
        e.logging.samples_every_steps > 0 && r.pos.global_step % e.logging.samples_every_steps == 0;
    if (e.logging.samples_every_steps == 0 || (last_epoch && !just_written))
      write_pictures(r, phase);
    update_loss_curve(r.o.run_dir);  // loss.png, up to date after every epoch
  }
  if (last_epoch || (epoch + 1) % e.checkpoint.every_epochs == 0)
    r.save(RunPosition{last_epoch ? p + 1 : p, last_epoch ? 0 : epoch + 1, 0, r.pos.global_step});
}

}  // namespace

bool run_phase(RunState& r, int64_t p) {
  const Experiment& e = r.e;
  Phase& phase = *r.phases[p];
  // A phase is entered fresh unless the checkpoint is from inside it (a checkpoint at a phase
  // boundary comes before the next phase's begin, which must then still run).
  const bool inside =
      r.resumed && p == r.meta.pos.phase && (r.meta.pos.epoch > 0 || r.meta.pos.step_in_epoch > 0);
  if (p != r.pos.phase) r.pos = RunPosition{p, 0, 0, r.pos.global_step};
  phase.begin(!inside);

  DataReader reader(r.train, reader_options(r, p));
  const int64_t spe = reader.steps_per_epoch();
  const int64_t total = spe * phase.epochs();
  const bool talk = r.root && !r.o.quiet;
  if (inside && r.pos.epoch >= phase.epochs() && talk)
    std::printf(
        "%s: the checkpoint is at epoch %lld, past this experiment's %lld epoch(s) of the phase "
        "(was an epochs key lowered?); nothing left to train in it\n",
        phase.name().c_str(), static_cast<long long>(r.pos.epoch + 1),
        static_cast<long long>(phase.epochs()));
  std::vector<Optimizer*> opts = phase.optimizers();
  std::vector<float> base_lr;
  for (Optimizer* opt : opts) base_lr.push_back(opt->lr());

  reader.start(r.pos.epoch, r.pos.step_in_epoch);
  if (talk) r.progress->begin_phase(phase.name(), total, r.pos.epoch * spe + r.pos.step_in_epoch);
  StepLog log(r.comm, r.metrics.get());
  // Eagerly, or each batch shape captured once as a CUDA graph and replayed (core/step_graph.h).
  StepRunner runner(
      StepGraph::mode_for(e.cuda_graphs, r.device, r.comm.size() == 1 || r.comm.device_buffers()),
      r.device);
  for (int64_t epoch = r.pos.epoch; epoch < phase.epochs(); ++epoch) {
    for (int64_t s = (epoch == r.pos.epoch ? r.pos.step_in_epoch : 0); s < spe; ++s) {
      const int64_t step_in_phase = epoch * spe + s;
      const double f = schedule_factor(e.schedule, step_in_phase, total, spe);
      for (size_t k = 0; k < opts.size(); ++k) opts[k]->set_lr(static_cast<float>(base_lr[k] * f));

      const Batch& b = reader.next();
      BatchPosition bp;
      bp.step = static_cast<uint64_t>(r.pos.global_step);
      bp.sample_offset = b.global_offset;
      bp.global_batch = e.batch_size;
      const StepValues& values = runner.run(phase, b, bp, opts);
      log.add(values, b.size, r.pos.global_step, reader.last_wait_ms());
      ++r.pos.global_step;
      r.samples_run += b.size;
      const RunPosition next{p, s + 1 == spe ? epoch + 1 : epoch, s + 1 == spe ? 0 : s + 1,
                             r.pos.global_step};
      if (r.o.after_step) r.o.after_step(r.pos.global_step);

      // Logging (collective: every rank reaches it at the same step), at the same steps of an
      // epoch whether or not the run was resumed inside it.
      if ((s + 1) % e.logging.every_steps == 0 || s + 1 == spe)
        log.write(r.pos.global_step, epoch + 1, phase.name(), learning_rates(phase, opts));
      if (talk)
        r.progress->step(step_in_phase + 1, epoch + 1, b.size * r.comm.size(), log.shown(),
                         reader.last_wait_ms());

      // A stop request on any rank stops every rank here, after a checkpoint.
      if (agree_on_stop(r.comm)) {
        log.check();
        r.save(next);
        if (talk)
          r.progress->line(std::string("stop requested (") +
                           (stop_requested() ? stop_signal_name() : "on another rank") +
                           "): checkpoint " + r.result.last_checkpoint +
                           "; resume with --resume auto");
        r.result.steps = r.pos.global_step;
        r.result.stopped = true;
        return false;
      }
      if (e.checkpoint.every_steps > 0 && r.pos.global_step % e.checkpoint.every_steps == 0 &&
          s + 1 != spe) {
        log.check();
        r.save(next);
      }
      if (r.root && e.logging.samples_every_steps > 0 &&
          r.pos.global_step % e.logging.samples_every_steps == 0) {
        log.check();
        write_pictures(r, phase);
      }
    }
    log.check();  // the epoch's last step was a logging step: nothing left to read
    end_epoch(r, phase, p, epoch);
  }
  if (talk) {
    if (!runner.summary().empty()) r.progress->line(phase.name() + ": " + runner.summary());
    r.progress->end_phase();
  }
  r.pos = RunPosition{p + 1, 0, 0, r.pos.global_step};
  return true;
}

}  // namespace strata::loop
