#include "cli/scale_flags.h"

#include <cstdlib>
#include <string>
#include <vector>

#include "bench/models.h"  // defines: find_model
#include "cli/flags.h"
#include "core/error.h"

namespace strata::cli {

namespace {

constexpr const char* kDescription =
    "Predicts data-parallel scaling of a model on a cluster (docs/scaling.md): for each GPU\n"
    "count, the step's compute, the all-reduce by ring and tree, the part backward does not\n"
    "hide, the step, samples/s and efficiency; weak scaling (per-GPU batch fixed) and strong\n"
    "scaling (global batch fixed); then the bucket size and per-GPU batch it recommends.\n"
    "  strata scale --model NAME --cluster FILE (--step-ms MS@BATCH... | --measure) ...\n"
    "  strata scale --config EXP.yaml --cluster FILE --step-ms MS@BATCH ...";

constexpr const char* kFooter =
    "The compute time of one step on one GPU is a measurement: --step-ms 2.35@256 (a step of\n"
    "2.35 ms at a per-GPU batch of 256), --samples-per-s 109010@256, or --measure (times the\n"
    "step of a benchmark model here, on --device, at the batch and its half and quarter). One\n"
    "point makes the time proportional to the batch; two or more fit a line. Cluster files:\n"
    "configs/clusters/*.yaml (bench/cluster_config.h).";

// "X@B": a positive number X at a positive integer batch B.
std::pair<double, double> parse_at(const std::string& text, const char* flag) {
  const size_t at = text.find('@');
  char* end = nullptr;
  const double x = at == std::string::npos ? 0 : std::strtod(text.c_str(), &end);
  const bool x_ok = at != std::string::npos && end == text.c_str() + at && x > 0;
  const std::string b_text = x_ok ? text.substr(at + 1) : "";
  const long long b = x_ok ? std::strtoll(b_text.c_str(), &end, 10) : 0;
  STRATA_CHECK(x_ok && !b_text.empty() && *end == '\0' && b > 0,
               flag << " expects VALUE@BATCH with a positive value and batch (e.g. 2.35@256), got '"
                    << text << "'; see 'strata scale --help'");
  return {x, static_cast<double>(b)};
}

std::vector<std::string> split_commas(const std::vector<std::string>& items) {
  std::vector<std::string> out;
  for (const std::string& item : items) {
    size_t start = 0;
    while (start <= item.size()) {
      const size_t comma = item.find(',', start);
      const size_t stop = comma == std::string::npos ? item.size() : comma;
      out.push_back(item.substr(start, stop - start));
      start = stop + 1;
    }
  }
  return out;
}

}  // namespace

std::optional<scaling::ScaleOptions> parse_scale_flags(const Args& args) {
  scaling::ScaleOptions o;
  FlagParser app("strata scale", kDescription);
  app.footer(kFooter);
  CLI::Option* model = app.add_option(
      "--model", o.model, "a model of bench/MODELS.md: sae_finetune, sae_layer1, dcgan28, dcgan64");
  CLI::Option* config =
      app.add_option("--config", o.config, "an experiment file (its networks and batch_size)")
          ->check(existing_path("give the path of an experiment YAML file"));
  model->excludes(config);
  app.add_option("--cluster", o.cluster, "a cluster file (configs/clusters/*.yaml)")
      ->required()
      ->check(existing_path("give the path of a cluster YAML file (configs/clusters/)"));
  std::string gpus_text;
  app.add_option("--gpus", gpus_text, "GPU counts, comma-separated (default 1,2,4,...,512)");
  std::vector<std::string> step_ms, samples_per_s;
  app.add_option("--step-ms", step_ms,
                 "MS@BATCH: a measured step time at a per-GPU batch (repeat or comma-separate "
                 "for several batches)");
  app.add_option("--samples-per-s", samples_per_s,
                 "RATE@BATCH: a measured throughput of one GPU at a batch (as --step-ms)");
  app.add_flag("--measure", o.measure, "time a benchmark model's step here (with --model)")
      ->disable_flag_override();
  app.add_option("--device", o.device, "where --measure runs: cpu, cuda or auto")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  app.add_option("--measure-steps", o.measure_steps, "timed steps per batch with --measure")
      ->check(int_range(1, 1000))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads with --measure (default: all cores)")
      ->check(int_range(1, 4096));
  app.add_option("--bucket-mb", o.bucket_mb,
                 "gradient bucket size, MiB (default: the config's distributed.bucket_mb, or 25)")
      ->check(CLI::Range(1e-6, 1e6));
  app.add_option("--batch", o.batch, "per-GPU batch of weak scaling (default: the model's batch)")
      ->check(int_range(1, 1 << 24));
  app.add_option("--global-batch", o.global_batch,
                 "global batch of strong scaling (default: the model's batch)")
      ->check(int_range(1, 1 << 30));
  app.add_option("--algorithm", o.algorithm, "all-reduce algorithm (default: the cluster file's)")
      ->check(CLI::IsMember({"ring", "tree", "hierarchical", "auto"}));
  app.add_option("--target-efficiency", o.target_efficiency,
                 "weak-scaling efficiency the per-GPU batch advice aims at")
      ->check(CLI::Range(0.01, 1.0))
      ->capture_default_str();
  if (!parse_flags(app, args)) return std::nullopt;

  STRATA_CHECK(!o.model.empty() || !o.config.empty(),
               "give --model NAME (sae_finetune, sae_layer1, dcgan28, dcgan64) or --config "
               "EXP.yaml; see 'strata scale --help'");
  if (!o.model.empty()) bench::find_model(o.model);  // throws for an unknown name
  if (!gpus_text.empty()) {
    o.gpus.clear();
    for (const std::string& g : split_commas({gpus_text})) {
      char* end = nullptr;
      const long n = std::strtol(g.c_str(), &end, 10);
      STRATA_CHECK(!g.empty() && *end == '\0' && n >= 1 && n <= (1 << 20),
                   "--gpus expects positive GPU counts separated by commas (e.g. 1,8,64), got '"
                       << g << "'");
      o.gpus.push_back(static_cast<int>(n));
    }
  }
  for (const std::string& s : split_commas(step_ms)) {
    const auto [ms, batch] = parse_at(s, "--step-ms");
    o.steps.push_back({batch, ms});
  }
  for (const std::string& s : split_commas(samples_per_s)) {
    const auto [rate, batch] = parse_at(s, "--samples-per-s");
    o.steps.push_back({batch, batch / rate * 1e3});
  }
  STRATA_CHECK(
      o.measure != !o.steps.empty(),
      (o.measure ? "give --measure or a measured step (--step-ms, --samples-per-s), not both"
                 : "give the compute time of one step: --step-ms MS@BATCH, "
                   "--samples-per-s RATE@BATCH or --measure; see 'strata scale --help'"));
  STRATA_CHECK(!o.measure || !o.model.empty(),
               "--measure times the benchmark models (--model); for an experiment file give "
               "--step-ms MS@BATCH");
  return o;
}

}  // namespace strata::cli
