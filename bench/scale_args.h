// The options of `strata scale`: what to model and on which cluster. The command line that fills
// them (and checks them) is cli/scale_flags.h; bench/scaling_report.h only reads them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/scaling_model.h"

namespace strata::scaling {

struct ScaleOptions {
  std::string model;    // --model NAME: a model of bench/MODELS.md
  std::string config;   // --config FILE: an experiment file (one of the two)
  std::string cluster;  // --cluster FILE: configs/clusters/*.yaml (required)
  std::vector<int> gpus = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};  // --gpus
  // The measured compute time of one step on one GPU, at one batch or more (--step-ms MS@BATCH,
  // --samples-per-s RATE@BATCH), or measured here (--measure).
  std::vector<ComputeSample> steps;
  bool measure = false;            // --measure: time the step on this machine's device
  std::string device = "cpu";      // --device, with --measure
  int64_t measure_steps = 5;       // --measure-steps: timed steps per batch size (median)
  int threads = 0;                 // --threads, with --measure: CPU threads; 0 = all cores
  double bucket_mb = 0;            // --bucket-mb: 0 = the config's distributed.bucket_mb, else 25
  int64_t batch = 0;               // --batch: per-GPU batch of weak scaling; 0 = the model's
  int64_t global_batch = 0;        // --global-batch: strong scaling's; 0 = the model's
  std::string algorithm;           // --algorithm: overrides the cluster file's
  double target_efficiency = 0.9;  // --target-efficiency: for the per-GPU batch advice
};

}  // namespace strata::scaling
