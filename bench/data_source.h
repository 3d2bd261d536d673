// Where `strata bench` gets its training batches.
//   --data synthetic (default): synthetic uint8 shards of the model's sample shape, written once
//       to a cache folder ($TMPDIR/strata-bench/CxHxW-N) and read through the DataReader, as a
//       training run reads; the JSON line then carries data_wait_ms.
//   --data PATH|GLOB: the user's shards (their sample shape must match the model's).
//   --data resident: random batches held in memory (no reader), for compute-only figures.
#pragma once

#include <memory>
#include <string>

#include "bench/models.h"
#include "core/shape.h"
#include "core/tensor.h"

namespace strata::bench {

class BenchData {
 public:
  virtual ~BenchData() = default;
  // The batch for `step`, shaped [batch, sample...]; valid until the next call.
  virtual const Tensor& next(uint64_t step) = 0;
  // Milliseconds the last next() waited for data.
  virtual double last_wait_ms() const { return 0.0; }
  virtual const char* kind() const = 0;  // "resident" or "reader"
};

// Batches on `device` (the reader's are copied there while the step runs).
std::unique_ptr<BenchData> make_bench_data(const std::string& spec, const ModelInfo& info,
                                           const Shape& sample, int64_t batch, int resident_batches,
                                           uint64_t seed, Device device = Device::cpu());

}  // namespace strata::bench
