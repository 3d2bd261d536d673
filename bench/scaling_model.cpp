#include "bench/scaling_model.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace strata::scaling {

namespace {

constexpr double kUsPerMs = 1e3;

// Milliseconds to move `bytes` at `gbs` GB/s.
double transfer_ms(double bytes, double gbs) {
  return bytes / (gbs * 1e9) * kUsPerMs;
}

int ceil_log2(int m) {
  int k = 0;
  while ((1 << k) < m) ++k;
  return k;
}

// One segment: compute `before`, then a backward of `backward_ms` while buckets go out one after
// another. Returns the time after the backward until the last bucket is reduced.
double exposed_in_segment(const Segment& s, double backward_ms, const Cluster& c, Algorithm a,
                          int gpus) {
  double channel_free = 0;  // from the start of the backward
  for (const Bucket& b : s.buckets) {
    const double ready = c.overlap ? b.ready * backward_ms : backward_ms;
    const double start = std::max(ready, channel_free);
    channel_free = start + allreduce_ms(c, a, gpus, b.bytes);
  }
  return std::max(0.0, channel_free - backward_ms);
}

}  // namespace

const char* algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::kRing:
      return "ring";
    case Algorithm::kTree:
      return "tree";
    case Algorithm::kHierarchical:
      return "hierarchical";
    case Algorithm::kAuto:
      return "auto";
  }
  return "?";
}

Algorithm parse_algorithm(const std::string& name) {
  for (Algorithm a :
       {Algorithm::kRing, Algorithm::kTree, Algorithm::kHierarchical, Algorithm::kAuto})
    if (name == algorithm_name(a)) return a;
  STRATA_THROW("unknown all-reduce algorithm '" << name
                                                << "'; use ring, tree, hierarchical or auto");
}

int nodes_for(const Cluster& c, int gpus) {
  return (gpus + c.gpus_per_node - 1) / c.gpus_per_node;
}

double allreduce_ms(const Cluster& c, Algorithm a, int gpus, double bytes) {
  STRATA_CHECK(gpus >= 1, "the number of GPUs must be positive, got " << gpus);
  if (gpus == 1) return 0.0;
  if (a == Algorithm::kAuto)
    return std::min(allreduce_ms(c, Algorithm::kRing, gpus, bytes),
                    allreduce_ms(c, Algorithm::kTree, gpus, bytes));
  const int m = nodes_for(c, gpus);
  STRATA_CHECK(m == 1 || c.inter.bandwidth_gbs > 0,
               gpus << " GPUs span " << m << " nodes of " << c.gpus_per_node << " but the cluster '"
                    << c.name << "' has no inter-node link; give it an inter_node section");
  const double n = gpus, ppn = n / m;
  const double bus =
      m == 1 ? c.intra.bandwidth_gbs : std::min(c.intra.bandwidth_gbs, ppn * c.inter.bandwidth_gbs);
  const double ai = c.intra.latency_us, ae = c.inter.latency_us;
  double us = c.call_us;
  double ms = 0;
  switch (a) {
    case Algorithm::kRing:
      us += 2.0 * (n - m) * ai + 2.0 * (m - 1) * ae;
      ms = transfer_ms(2.0 * (n - 1) / n * bytes, bus);
      break;
    case Algorithm::kTree:
      us += 2.0 * ((ppn - 1) * ai + ceil_log2(m) * ae);
      ms = transfer_ms(2.0 * bytes, bus);
      break;
    case Algorithm::kHierarchical:
      us += 2.0 * (ppn - 1) * ai;
      ms = transfer_ms(2.0 * (ppn - 1) / ppn * bytes, c.intra.bandwidth_gbs);
      if (m > 1) {
        us += 2.0 * (m - 1) * ae;
        ms += transfer_ms(2.0 * (m - 1) / m * bytes / ppn, c.inter.bandwidth_gbs);
      }
      break;
    case Algorithm::kAuto:
      break;
  }
  return us / kUsPerMs + ms;
}

StepTime predict_step(const StepLayout& layout, double compute_ms, const Cluster& c, Algorithm a,
                      int gpus) {
  StepTime t;
  t.compute_ms = compute_ms;
  for (const Segment& s : layout.segments) {
    for (const Bucket& b : s.buckets) {
      t.ring_ms += allreduce_ms(c, Algorithm::kRing, gpus, b.bytes);
      t.tree_ms += allreduce_ms(c, Algorithm::kTree, gpus, b.bytes);
      t.comm_ms += allreduce_ms(c, a, gpus, b.bytes);
    }
    t.exposed_ms += exposed_in_segment(s, s.backward * compute_ms, c, a, gpus);
  }
  t.step_ms = compute_ms + t.exposed_ms;
  return t;
}

ComputeModel fit_compute(const std::vector<ComputeSample>& samples) {
  STRATA_CHECK(!samples.empty(), "no measured step time to fit the compute time to");
  double sb = 0, st = 0;
  for (const ComputeSample& s : samples) {
    STRATA_CHECK(s.batch > 0 && s.ms > 0, "a measured step needs a positive batch and time, got "
                                              << s.ms << " ms at batch " << s.batch);
    sb += s.batch;
    st += s.ms;
  }
  const double k = static_cast<double>(samples.size());
  const double mb = sb / k, mt = st / k;
  double sxx = 0, sxy = 0;
  for (const ComputeSample& s : samples) {
    sxx += (s.batch - mb) * (s.batch - mb);
    sxy += (s.batch - mb) * (s.ms - mt);
  }
  ComputeModel m;
  if (sxx > 0) {
    m.per_sample_ms = sxy / sxx;
    m.fixed_ms = mt - m.per_sample_ms * mb;
  }
  if (sxx == 0 || m.fixed_ms < 0 || m.per_sample_ms < 0) {
    // One batch size (or a line that does not fit a step time): proportional through the mean.
    m.fixed_ms = 0;
    m.per_sample_ms = mt / mb;
  }
  return m;
}

std::vector<ScalingRow> weak_scaling(const StepLayout& layout, const ComputeModel& compute,
                                     const Cluster& c, Algorithm a, const std::vector<int>& gpus,
                                     int64_t per_gpu_batch) {
  std::vector<ScalingRow> rows;
  const double compute_ms = compute.ms(static_cast<double>(per_gpu_batch));
  for (int n : gpus) {
    ScalingRow r;
    r.gpus = n;
    r.per_gpu_batch = per_gpu_batch;
    r.global_batch = per_gpu_batch * n;
    r.time = predict_step(layout, compute_ms, c, a, n);
    r.samples_per_s = static_cast<double>(r.global_batch) / r.time.step_ms * 1e3;
    r.efficiency = compute_ms / r.time.step_ms;
    rows.push_back(r);
  }
  return rows;
}

std::vector<ScalingRow> strong_scaling(const StepLayout& layout, const ComputeModel& compute,
                                       const Cluster& c, Algorithm a, const std::vector<int>& gpus,
                                       int64_t global_batch) {
  std::vector<ScalingRow> rows;
  const double one_gpu_ms = compute.ms(static_cast<double>(global_batch));
  for (int n : gpus) {
    if (n > global_batch) continue;
    ScalingRow r;
    r.gpus = n;
    r.global_batch = global_batch;
    r.per_gpu_batch = (global_batch + n - 1) / n;
    r.time = predict_step(layout, compute.ms(static_cast<double>(r.per_gpu_batch)), c, a, n);
    r.samples_per_s = static_cast<double>(global_batch) / r.time.step_ms * 1e3;
    r.efficiency = one_gpu_ms / (n * r.time.step_ms);
    rows.push_back(r);
  }
  return rows;
}

std::vector<BucketChoice> scan_buckets(
    const std::vector<std::pair<int64_t, StepLayout>>& candidates, const ComputeModel& compute,
    int64_t per_gpu_batch, const Cluster& c, Algorithm a, int gpus) {
  std::vector<BucketChoice> scan;
  const double compute_ms = compute.ms(static_cast<double>(per_gpu_batch));
  for (const auto& [bytes, layout] : candidates) {
    BucketChoice b;
    b.bucket_bytes = bytes;
    for (const Segment& s : layout.segments) b.buckets += static_cast<int>(s.buckets.size());
    b.step_ms = predict_step(layout, compute_ms, c, a, gpus).step_ms;
    scan.push_back(b);
  }
  return scan;
}

BucketChoice best_bucket(const std::vector<BucketChoice>& scan, int64_t current) {
  STRATA_CHECK(!scan.empty(), "no bucket size to choose from");
  double fastest = scan.front().step_ms;
  for (const BucketChoice& b : scan) fastest = std::min(fastest, b.step_ms);
  const auto near_fastest = [&](const BucketChoice& b) {
    return b.step_ms <= fastest * (1 + 1e-3);
  };
  for (const BucketChoice& b : scan)
    if (b.bucket_bytes == current && near_fastest(b)) return b;
  BucketChoice best{};
  for (const BucketChoice& b : scan)
    if (near_fastest(b) && b.bucket_bytes > best.bucket_bytes) best = b;
  return best;
}

int64_t smallest_efficient_batch(const StepLayout& layout, const ComputeModel& compute,
                                 const Cluster& c, Algorithm a, int gpus, double target,
                                 int64_t max_batch) {
  for (int64_t b = 1; b <= max_batch; b *= 2) {
    const double compute_ms = compute.ms(static_cast<double>(b));
    if (compute_ms / predict_step(layout, compute_ms, c, a, gpus).step_ms >= target) return b;
  }
  return 0;
}

}  // namespace strata::scaling
