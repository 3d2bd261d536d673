#include "bench/scaling_measure.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "bench/models.h"
#include "bench/stats.h"
#include "bench/step.h"
#include "core/backend.h"
#include "core/cpu_threads.h"
#include "core/device_select.h"

namespace strata::scaling {

std::vector<ComputeSample> measure_step_ms(const std::string& model,
                                           const std::vector<int64_t>& batches,
                                           const std::string& device, int64_t steps, int threads) {
  using Clock = std::chrono::steady_clock;
  const bench::ModelInfo& info = bench::find_model(model);
  set_cpu_threads(threads > 0 ? threads
                              : std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
  bench::StepParallel par;
  par.device = select_device(parse_device_request(device), 0);
  const Backend& backend = backend_for(par.device);
  std::vector<ComputeSample> out;
  for (int64_t batch : batches) {
    std::unique_ptr<bench::TrainStep> step = bench::make_train_step(info, batch, 1, par);
    bench::ResidentData data(info, step->sample_shape(), batch, 2, 1, par.device);
    uint64_t s = 0;
    for (; s < 2; ++s) step->run(data.batch_view(static_cast<int64_t>(s)), s);
    backend.synchronize();
    std::vector<double> ms;
    for (int64_t i = 0; i < steps; ++i, ++s) {
      const auto t0 = Clock::now();
      step->run(data.batch_view(static_cast<int64_t>(s)), s);
      backend.synchronize();
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
    }
    out.push_back({static_cast<double>(batch), bench::median(std::move(ms))});
  }
  return out;
}

}  // namespace strata::scaling
