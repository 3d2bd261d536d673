#include "bench/bench.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "bench/comm_bench.h"
#include "bench/data_source.h"
#include "bench/models.h"
#include "bench/profile.h"
#include "bench/reader_bench.h"
#include "bench/stats.h"
#include "bench/step.h"
#include "core/backend.h"
#include "core/blas.h"
#include "core/cpu_threads.h"
#include "core/device_select.h"
#include "core/error.h"
#include "core/memory.h"
#include "core/precision.h"
#include "core/step_graph.h"

namespace strata::bench {

namespace {

using Clock = std::chrono::steady_clock;

// Peak resident set of this process so far, in MiB (Linux reports ru_maxrss in KiB).
double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

void check_finite(const StepLosses& l, const char* model, uint64_t step) {
  STRATA_CHECK(std::isfinite(l.loss) && std::isfinite(l.d_loss),
               model << ": loss is not finite at step " << step << " (loss " << l.loss
                     << ", D loss " << l.d_loss << "); the timing would not be meaningful");
}

}  // namespace

int run(const BenchOptions& o) {
  if (o.comm) return run_comm_bench(o);
  if (!o.reader.empty()) return run_reader_bench(o);
  const ModelInfo& info = find_model(o.model);
  const int threads = o.threads > 0
                          ? o.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  set_cpu_threads(threads);
  const int64_t batch = o.batch > 0 ? o.batch : info.batch;

  StepParallel par;
  par.device = select_device(parse_device_request(o.device), 0);
  par.precision = parse_precision(o.precision, "--precision");
  const MemoryStats at_start = memory_stats(par.device);  // CUDA: the context only
  const Backend& backend = backend_for(par.device);
  std::unique_ptr<TrainStep> step = make_train_step(info, batch, o.seed, par);
  std::unique_ptr<BenchData> data =
      make_bench_data(o.data, info, step->sample_shape(), batch, static_cast<int>(o.data_batches),
                      o.seed, par.device);

  // On a GPU the step is captured once as a CUDA graph and replayed (core/step_graph.h): it reads
  // its batch from a fixed buffer and its step from a device counter, written before each run.
  StepGraph graph(StepGraph::mode_for(o.cuda_graphs == "on", par.device, true), par.device);
  StepStaging staging(par.device);
  const std::vector<Optimizer*> opts = step->optimizers();
  auto train = [&](const Tensor& x, uint64_t at) {
    if (graph.mode() == StepGraph::Mode::kEager) {
      step->run(x, at);
      return;
    }
    const Tensor& fixed = staging.stage(0, x);
    const StepCounter* counter = staging.counter(at, static_cast<int64_t>(at) * batch);
    for (Optimizer* opt : opts) opt->publish_lr();
    graph.run({x.shape()}, [&] { step->run(fixed, at, counter); });
  };

  uint64_t s = 0;
  for (int64_t i = 0; i < o.warmup; ++i, ++s) train(data->next(s), s);
  backend.synchronize();          // a window times only its own steps
  reset_peak_memory(par.device);  // the peak of the timed steps, as pytorch_ref.py's
  std::vector<double> window_s, wait_ms;
  for (int64_t w = 0; w < o.windows; ++w) {
    double wait = 0;
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < o.steps; ++i, ++s) {
      const Tensor& x = data->next(s);
      wait += data->last_wait_ms();
      train(x, s);
    }
    backend.synchronize();
    window_s.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    wait_ms.push_back(wait / static_cast<double>(o.steps));
    check_finite(step->losses(), info.name, s);  // the window's last step, read after timing
  }
  std::vector<double> rates;
  for (double t : window_s) rates.push_back(static_cast<double>(o.steps * batch) / t);
  const double rate = median(rates);
  const double step_ms = median(window_s) / static_cast<double>(o.steps) * 1000.0;
  const MemoryStats mem = memory_stats(par.device);
  // What the run added to the device's used memory beyond the context (CUDA only).
  const std::string used_delta =
      mem.device_used_bytes < 0
          ? "null"
          : std::to_string(mem.device_used_bytes - at_start.device_used_bytes);

  std::printf(
      "{\"model\": \"%s\", \"device\": \"%s\", \"precision\": \"%s\", \"cuda_graphs\": %s, "
      "\"batch\": %lld, "
      "\"samples_per_s\": %.1f, "
      "\"peak_rss_mb\": %.1f, \"threads\": %d, \"steps\": %lld, \"windows\": %lld, "
      "\"step_ms_median\": %.2f, \"blas_core\": \"%s\", \"data\": \"%s\", "
      "\"data_wait_ms\": %.3f, \"peak_bytes\": %lld, \"device_used_bytes\": %s}\n",
      info.name, describe_device(par.device).c_str(), precision_name(par.precision),
      graph.mode() == StepGraph::Mode::kGraph ? "true" : "false", static_cast<long long>(batch),
      rate, peak_rss_mb(), threads, static_cast<long long>(o.steps),
      static_cast<long long>(o.windows), step_ms, blas_coretype(), data->kind(), median(wait_ms),
      static_cast<long long>(mem.peak_bytes), used_delta.c_str());
  std::fflush(stdout);
  std::fprintf(stderr, "memory on %s: peak %.1f MiB of Strata's tensors in the timed steps",
               par.device.str().c_str(), static_cast<double>(mem.peak_bytes) / 1048576.0);
  if (mem.device_used_bytes >= 0)
    std::fprintf(
        stderr, "; the device's used memory grew by %.1f MiB (cudaMemGetInfo)",
        static_cast<double>(mem.device_used_bytes - at_start.device_used_bytes) / 1048576.0);
  std::fprintf(stderr, "\n");

  if (o.profile) {
    const StepLosses last = step->losses();
    std::fprintf(stderr, "last step: loss %.5f, D loss %.5f; measured step %.3f ms\n", last.loss,
                 last.d_loss, step_ms);
    profile_step(*step, data->next(s), 5, stderr);
  }
  return 0;
}

}  // namespace strata::bench
