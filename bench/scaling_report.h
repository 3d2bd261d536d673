// `strata scale`: prints the predicted data-parallel scaling of a model on a cluster
// (bench/scaling_model.h): where its inputs come from, a weak-scaling and a strong-scaling table
// for the GPU counts asked for, the step against the bucket size on the largest count, and the
// bucket size and per-GPU batch it recommends. Tables are Markdown, so they paste into docs.
#pragma once

#include <cstdio>

#include "bench/scale_args.h"

namespace strata::scaling {

// Candidate bucket sizes of the scan, MiB.
inline constexpr double kBucketCandidatesMb[] = {0.25, 0.5, 1, 2, 4, 8, 16, 25, 32, 64};

int run_scale(const ScaleOptions& o, std::FILE* out);

}  // namespace strata::scaling
