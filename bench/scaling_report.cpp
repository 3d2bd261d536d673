#include "bench/scaling_report.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bench/cluster_config.h"
#include "bench/scaling_measure.h"
#include "bench/scaling_subject.h"
#include "core/error.h"

namespace strata::scaling {

namespace {

constexpr double kMiB = 1024.0 * 1024.0;

int64_t mib_to_bytes(double mb) {
  return std::max<int64_t>(4, std::llround(mb * kMiB));
}

// Where the compute time comes from, measured here when asked.
ComputeModel compute_model(const ScaleOptions& o, const ScalingSubject& subject,
                           int64_t per_gpu_batch, std::FILE* out) {
  std::vector<ComputeSample> samples = o.steps;
  if (o.measure) {
    STRATA_CHECK(!subject.bench_model().empty(),
                 "--measure times the benchmark models (--model); for an experiment file give "
                 "--step-ms MS@BATCH, a step time measured at a per-GPU batch");
    std::vector<int64_t> batches;
    for (int64_t b : {per_gpu_batch / 4, per_gpu_batch / 2, per_gpu_batch})
      if (b >= 1 && (batches.empty() || batches.back() != b)) batches.push_back(b);
    samples = measure_step_ms(subject.bench_model(), batches, o.device, o.measure_steps, o.threads);
    std::fprintf(
        out, "compute: measured here on device %s (%s), median of %lld steps:", o.device.c_str(),
        o.threads > 0 ? (std::to_string(o.threads) + " CPU threads").c_str() : "all CPU cores",
        static_cast<long long>(o.measure_steps));
  } else {
    std::fprintf(out, "compute: given:");
  }
  for (const ComputeSample& s : samples) std::fprintf(out, " %.3f ms at batch %g;", s.ms, s.batch);
  const ComputeModel m = fit_compute(samples);
  std::fprintf(out, " model %.4g ms + %.4g ms per sample%s\n", m.fixed_ms, m.per_sample_ms,
               m.fixed_ms == 0 ? " (time proportional to batch)" : "");
  return m;
}

void print_cluster(const Cluster& c, Algorithm a, std::FILE* out) {
  std::fprintf(out,
               "cluster %s: %d GPUs per node; intra-node %.4g GB/s, %.4g us a hop; inter-node ",
               c.name.c_str(), c.gpus_per_node, c.intra.bandwidth_gbs, c.intra.latency_us);
  if (c.inter.bandwidth_gbs > 0)
    std::fprintf(out, "%.4g GB/s per GPU, %.4g us a hop", c.inter.bandwidth_gbs,
                 c.inter.latency_us);
  else
    std::fprintf(out, "none (one node)");
  std::fprintf(out, "; %.4g us a call; algorithm %s; overlap %s\n", c.call_us, algorithm_name(a),
               c.overlap ? "on" : "off (all-reduce after backward)");
}

void print_rows(const std::vector<ScalingRow>& rows, std::FILE* out) {
  std::fprintf(out,
               "| GPUs | global batch | per-GPU batch | compute ms | ring ms | tree ms | "
               "exposed ms | step ms | samples/s | efficiency |\n"
               "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const ScalingRow& r : rows)
    std::fprintf(out, "| %d | %lld | %lld | %.3f | %.3f | %.3f | %.3f | %.3f | %.0f | %.3f |\n",
                 r.gpus, static_cast<long long>(r.global_batch),
                 static_cast<long long>(r.per_gpu_batch), r.time.compute_ms, r.time.ring_ms,
                 r.time.tree_ms, r.time.exposed_ms, r.time.step_ms, r.samples_per_s, r.efficiency);
}

}  // namespace

int run_scale(const ScaleOptions& o, std::FILE* out) {
  std::unique_ptr<ScalingSubject> subject = o.config.empty()
                                                ? ScalingSubject::from_model(o.model)
                                                : ScalingSubject::from_config(o.config);
  const Cluster cluster = load_cluster(o.cluster);
  const Algorithm algo = o.algorithm.empty() ? cluster.algorithm : parse_algorithm(o.algorithm);
  const int64_t per_gpu = o.batch > 0 ? o.batch : subject->batch();
  const int64_t global = o.global_batch > 0 ? o.global_batch : subject->batch();
  const int64_t bucket_bytes =
      o.bucket_mb > 0 ? mib_to_bytes(o.bucket_mb) : subject->bucket_bytes();
  const int largest = *std::max_element(o.gpus.begin(), o.gpus.end());

  std::fprintf(out, "strata scale: %s (%s), %.2f MiB of fp32 gradients a step\n",
               subject->name().c_str(), subject->kind().c_str(),
               static_cast<double>(subject->gradient_bytes()) / kMiB);
  print_cluster(cluster, algo, out);
  const ComputeModel compute = compute_model(o, *subject, per_gpu, out);
  const StepLayout layout = subject->layout(bucket_bytes);
  std::fprintf(out, "buckets at %.4g MiB:", static_cast<double>(bucket_bytes) / kMiB);
  for (size_t k = 0; k < layout.segments.size(); ++k) {
    const Segment& s = layout.segments[k];
    std::fprintf(out, " %s", subject->nets()[k].role.c_str());
    for (const Bucket& b : s.buckets)
      std::fprintf(out, " [%.2f MiB, ready at %.0f%% of backward]", b.bytes / kMiB, 100 * b.ready);
    std::fprintf(out, "; compute share before %.3f, backward %.3f;", s.before, s.backward);
  }
  std::fprintf(out, " (shares estimated from each layer's multiply-adds)\n");

  std::fprintf(out, "\nWeak scaling, %lld samples per GPU:\n\n", static_cast<long long>(per_gpu));
  print_rows(weak_scaling(layout, compute, cluster, algo, o.gpus, per_gpu), out);
  std::fprintf(out, "\nStrong scaling, global batch %lld:\n\n", static_cast<long long>(global));
  print_rows(strong_scaling(layout, compute, cluster, algo, o.gpus, global), out);

  std::vector<std::pair<int64_t, StepLayout>> candidates;
  for (double mb : kBucketCandidatesMb)
    if (mib_to_bytes(mb) != bucket_bytes)
      candidates.emplace_back(mib_to_bytes(mb), subject->layout(mib_to_bytes(mb)));
  candidates.emplace_back(bucket_bytes, layout);
  std::sort(candidates.begin(), candidates.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  const std::vector<BucketChoice> scan =
      scan_buckets(candidates, compute, per_gpu, cluster, algo, largest);
  std::fprintf(out, "\nBucket size on %d GPUs, %lld samples per GPU:\n\n", largest,
               static_cast<long long>(per_gpu));
  std::fprintf(out, "| bucket MiB | buckets | step ms |\n|---:|---:|---:|\n");
  for (const BucketChoice& b : scan)
    std::fprintf(out, "| %.4g | %d | %.3f |\n", static_cast<double>(b.bucket_bytes) / kMiB,
                 b.buckets, b.step_ms);
  const BucketChoice best = best_bucket(scan, bucket_bytes);
  const int64_t batch_needed =
      smallest_efficient_batch(subject->layout(best.bucket_bytes), compute, cluster, algo, largest,
                               o.target_efficiency, int64_t{1} << 20);

  std::fprintf(out, "\nRecommendation for %d GPUs:\n", largest);
  std::fprintf(out, "  distributed.bucket_mb: %.4g (%d buckets, step %.3f ms; %s)\n",
               static_cast<double>(best.bucket_bytes) / kMiB, best.buckets, best.step_ms,
               best.bucket_bytes == bucket_bytes
                   ? "the size used now is within 0.1% of the fastest of the scan: keep it"
                   : "the largest size within 0.1% of the fastest step of the scan");
  if (batch_needed > 0)
    std::fprintf(out,
                 "  per-GPU batch: at least %lld (the smallest power of two with weak-scaling "
                 "efficiency >= %.2f; global batch %lld)\n",
                 static_cast<long long>(batch_needed), o.target_efficiency,
                 static_cast<long long>(batch_needed * largest));
  else
    std::fprintf(out,
                 "  per-GPU batch: no batch up to 2^20 reaches efficiency %.2f on %d GPUs; the "
                 "fixed cost of the all-reduce outweighs the step\n",
                 o.target_efficiency, largest);
  return 0;
}

}  // namespace strata::scaling
