// Cluster files for `strata scale` (configs/clusters/*.yaml), read strictly: unknown keys, wrong
// types and out-of-range values are errors naming the file, line and key (core/config/yaml_map.h).
//
//   name: dgx_h100_ib          # optional; the file's name without .yaml by default
//   gpus_per_node: 8
//   intra_node: {bandwidth_gbs: 450, latency_us: 3.4}   # GB/s per GPU and direction; one hop
//   inter_node: {bandwidth_gbs: 50, latency_us: 9.6}    # per GPU (its own card); optional: a
//                                                       # cluster of one node may leave it out
//   call_us: 8.4               # fixed cost of one all-reduce call
//   algorithm: auto            # ring | tree | hierarchical | auto (the faster of ring and tree)
//   overlap: true              # all-reduce runs while backward computes (false: CPU ranks)
#pragma once

#include <string>

#include "bench/scaling_model.h"

namespace strata::scaling {

Cluster load_cluster(const std::string& path);
// The same from text; `file_name` names it in messages and gives the default name.
Cluster parse_cluster(const std::string& text, const std::string& file_name);

}  // namespace strata::scaling
