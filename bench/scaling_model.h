// A model of one data-parallel training step on N GPUs (`strata scale`, docs/scaling.md): the
// compute of one GPU, the gradient all-reduce over the cluster, and how much of it the backward
// pass hides. Pure arithmetic, no I/O: the inputs (a step's layout, a compute time, a cluster) come
// from bench/scaling_subject.h and bench/cluster_config.h.
//
// All-reduce of S bytes over N GPUs, G per node (M = ceil(N / G) nodes, ppn = N / M), in the
// alpha-beta form of NCCL's own tuning model (src/graph/tuning.cc, ncclTopoTuneModel):
//   bus bandwidth   B = intra bandwidth on one node, min(intra, ppn * inter) across nodes (the
//                   rings or trees of a node leave it through its ppn network cards)
//   ring            call + 2(N - M) a_intra + 2(M - 1) a_inter + 2(N - 1)/N * S / B
//   tree            call + 2((ppn - 1) a_intra + ceil(log2 M) a_inter) + 2 S / B
//                   (NCCL's double binary tree between nodes, a chain inside each node; its
//                   algorithm bandwidth is half the bus bandwidth)
//   hierarchical    call + 2(ppn - 1) a_intra + 2(ppn - 1)/ppn * S / B_intra (reduce-scatter
//                   and all-gather inside the node) + 2(M - 1) a_inter + 2(M - 1)/M * (S / ppn) /
//                   B_inter (a ring between nodes over each GPU's own card)
//   auto            the faster of ring and tree for each message, as NCCL's tuner picks
// One GPU communicates nothing: 0.
//
// Overlap: a step is a sequence of segments, one per reduced network (an autoencoder has one; a
// GAN two: the discriminator's, then the generator's). In a segment, compute runs for `before`,
// then the reduced network's backward; bucket b becomes ready when the backward has produced all
// its gradients (`ready`, a fraction of that backward) and its all-reduce starts then, or when
// bucket b - 1's ends, whichever is later (one channel, buckets in order, as GradientReducer
// issues them). What ends after the backward is exposed: the optimizer step waits for it
// (finalize). Without overlap (Cluster::overlap false: CPU ranks whose cores all run backward)
// every all-reduce starts when the backward ends.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace strata::scaling {

enum class Algorithm { kRing, kTree, kHierarchical, kAuto };

// "ring", "tree", "hierarchical", "auto".
const char* algorithm_name(Algorithm a);
// The inverse; throws a strata::Error listing the names for any other text.
Algorithm parse_algorithm(const std::string& name);

struct Link {
  double latency_us = 0;     // per step of the algorithm (one hop)
  double bandwidth_gbs = 0;  // GB/s (1e9 bytes/s) per GPU and direction
};

struct Cluster {
  std::string name;
  int gpus_per_node = 1;
  Link intra;          // between the GPUs of one node
  Link inter;          // between nodes, per GPU (its own network card); bandwidth 0: one node only
  double call_us = 0;  // fixed cost of one all-reduce call (launch, set-up)
  Algorithm algorithm = Algorithm::kAuto;
  bool overlap = true;  // communication proceeds while backward computes
};

// Nodes used by `gpus` GPUs of the cluster.
int nodes_for(const Cluster& c, int gpus);
// Milliseconds for one all-reduce of `bytes` over `gpus` GPUs (0 for one GPU). Throws when the
// GPUs span several nodes and the cluster has no inter-node link.
double allreduce_ms(const Cluster& c, Algorithm a, int gpus, double bytes);

// One all-reduce bucket of a segment.
struct Bucket {
  double bytes = 0;
  double ready = 0;  // fraction of the segment's backward done when its last gradient is final
};

// Shares of the step's compute time; a layout's shares (before + backward of every segment, plus
// rest) sum to 1.
struct Segment {
  double before = 0;            // compute before the reduced backward starts
  double backward = 0;          // the reduced network's backward
  std::vector<Bucket> buckets;  // in the order they are issued
};

struct StepLayout {
  std::vector<Segment> segments;
  double rest = 0;  // compute after the last segment
};

struct StepTime {
  double compute_ms = 0;  // the step on one GPU (no communication)
  double ring_ms = 0;     // every bucket's all-reduce by ring, one after another, no overlap
  double tree_ms = 0;     // the same by tree
  double comm_ms = 0;     // the same by the algorithm used
  double exposed_ms = 0;  // what overlap did not hide
  double step_ms = 0;     // compute_ms + exposed_ms
};

StepTime predict_step(const StepLayout& layout, double compute_ms, const Cluster& c, Algorithm a,
                      int gpus);

// Compute time of one step against the per-GPU batch: fixed_ms + per_sample_ms * batch.
struct ComputeModel {
  double fixed_ms = 0;
  double per_sample_ms = 0;
  double ms(double batch) const { return fixed_ms + per_sample_ms * batch; }
};

struct ComputeSample {
  double batch = 0;
  double ms = 0;
};

// One sample: time proportional to batch (fixed 0). Several (at two batches or more): least
// squares line; a negative intercept becomes 0 (proportional through the samples' mean). Throws
// for none or for non-positive values.
ComputeModel fit_compute(const std::vector<ComputeSample>& samples);

struct ScalingRow {
  int gpus = 1;
  int64_t global_batch = 0;
  int64_t per_gpu_batch = 0;  // the largest share (strong scaling rounds up)
  StepTime time;
  double samples_per_s = 0;
  double efficiency = 0;  // samples_per_s / (gpus * one GPU's samples_per_s at the same work)
};

// Weak scaling: every GPU keeps `per_gpu_batch`; efficiency = compute / step.
std::vector<ScalingRow> weak_scaling(const StepLayout& layout, const ComputeModel& compute,
                                     const Cluster& c, Algorithm a, const std::vector<int>& gpus,
                                     int64_t per_gpu_batch);
// Strong scaling: `global_batch` split over the GPUs (ceil(global / N) on the busiest); counts
// of GPUs above global_batch are left out. efficiency = step(1) / (N * step(N)).
std::vector<ScalingRow> strong_scaling(const StepLayout& layout, const ComputeModel& compute,
                                       const Cluster& c, Algorithm a, const std::vector<int>& gpus,
                                       int64_t global_batch);

struct BucketChoice {
  int64_t bucket_bytes = 0;
  int buckets = 0;  // over all segments
  double step_ms = 0;
};
// The step at each candidate bucket size (its layout, from the real model's reducer buckets).
std::vector<BucketChoice> scan_buckets(
    const std::vector<std::pair<int64_t, StepLayout>>& candidates, const ComputeModel& compute,
    int64_t per_gpu_batch, const Cluster& c, Algorithm a, int gpus);
// The bucket size to use: `current` (the size configured now) when the scan has it within 0.1% of
// the fastest step, else the largest size within 0.1% of the fastest (fewer calls).
BucketChoice best_bucket(const std::vector<BucketChoice>& scan, int64_t current);

// The smallest power-of-two per-GPU batch up to max_batch whose weak-scaling efficiency on `gpus`
// GPUs reaches `target`; 0 when none does.
int64_t smallest_efficient_batch(const StepLayout& layout, const ComputeModel& compute,
                                 const Cluster& c, Algorithm a, int gpus, double target,
                                 int64_t max_batch);

}  // namespace strata::scaling
