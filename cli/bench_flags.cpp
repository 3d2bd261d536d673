#include "cli/bench_flags.h"

#include "bench/models.h"  // defines: find_model
#include "cli/flags.h"
#include "core/error.h"

namespace strata::cli {

namespace {

constexpr const char* kDescription =
    "Trains one model of bench/MODELS.md and prints one JSON line: model, device,\n"
    "precision, cuda_graphs, batch, samples_per_s (median over the timed windows), peak_rss_mb\n"
    "(process peak RSS), threads, steps, windows, step_ms_median, data, data_wait_ms, peak_bytes\n"
    "(Strata's tensors on the device at their peak in the timed steps), device_used_bytes (CUDA:\n"
    "growth of the device's used memory by cudaMemGetInfo; else null).\n"
    "  strata bench --model NAME [--device cpu] [--steps N] [--warmup N] [--windows N] ...\n"
    "  strata bench --reader PATH|GLOB [--batch N] [--steps N] [--prefetch N] ...\n"
    "  strata bench --comm [--bytes N] [--iters N] [--model NAME] ...   (under mpirun)";

constexpr const char* kFooter =
    "With --reader, times one data reader thread over the shards PATH|GLOB (read once first,\n"
    "so from the page cache) and prints one JSON line: bench, path, batch, samples_per_s,\n"
    "prefetch, ... Batch defaults to 256 and steps to 200 batches per window.\n"
    "\n"
    "With --comm (under mpirun), times the GradientReducer's all-reduce (all_reduce_async,\n"
    "sum, through the Communicator, waited) and a plain MPI_Allreduce (sum, float) of\n"
    "the same bytes, median of --iters after --warmup, for sizes 4 KB..64 MB, and prints on\n"
    "rank 0 one JSON line per size: bench, backend, ranks, bytes, algbw_gbps, busbw_gbps,\n"
    "mpi_busbw_gbps, ratio (busbw = algbw * 2(w-1)/w, so 0 with one rank; ratio = MPI time /\n"
    "Communicator time). Then it prints the exposed communication time of a model's training\n"
    "step (one more JSON line, bench comm_exposed): step time with gradient reduction minus\n"
    "without, both medians of --steps alternate steps, beside the time of the same all-reduce\n"
    "alone; --model (default sae_finetune) and --batch (its global batch) choose the step,\n"
    "--steps 0 skips this part.";

// --bucket-mb: a positive number of MiB below a million.
CLI::Validator positive_mib() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0' || !(v > 0 && v < 1e6))
          return "expects a positive number of MiB, got '" + text + "'";
        return "";
      },
      "MiB > 0");
}

}  // namespace

std::optional<bench::BenchOptions> parse_bench_flags(const Args& args) {
  bench::BenchOptions o;
  FlagParser app("strata bench", kDescription);
  app.footer(kFooter);
  app.add_option("--model", o.model,
                 "sae_finetune, sae_layer1, dcgan28 or dcgan64 (required unless --reader or "
                 "--comm)");
  app.add_option("--device", o.device,
                 "cpu, cuda (this process's GPU; an error without one) or auto (the GPU when "
                 "one is visible, else the CPU)")
      ->check(CLI::IsMember({"cpu", "cuda", "auto"}))
      ->capture_default_str();
  app.add_option("--precision", o.precision,
                 "of the dense and convolution products: fp32 (no TF32, also on a GPU), tf32 or "
                 "bf16 (operands rounded, fp32 sums and master weights; docs/gpu.md)")
      ->check(CLI::IsMember({"fp32", "tf32", "bf16"}))
      ->capture_default_str();
  app.add_option("--cuda-graphs", o.cuda_graphs,
                 "on a GPU, capture the training step once as a CUDA graph and replay it (on), "
                 "or launch every kernel from the host (off); the CPU ignores it")
      ->check(CLI::IsMember({"on", "off"}))
      ->capture_default_str();
  CLI::Option* steps =
      app.add_option("--steps", o.steps,
                     "timed steps per window (default 10; --reader: 200; --comm: steps of "
                     "each kind)")
          ->check(int_range(0, 1000000));
  app.add_option("--warmup", o.warmup, "untimed steps before the first window")
      ->check(int_range(0, 1000000))
      ->capture_default_str();
  app.add_option("--windows,--repeats", o.windows, "timed windows, the median is reported")
      ->check(int_range(1, 1000))
      ->capture_default_str();
  app.add_option("--threads", o.threads, "CPU threads for OpenMP and OpenBLAS (default: all cores)")
      ->check(int_range(1, 4096));
  app.add_option("--batch", o.batch, "batch size (default: MODELS.md's; --reader: 256)")
      ->check(int_range(1, 1 << 20));
  app.add_option("--data", o.data,
                 "synthetic: synthetic shards of the model's shape, cached in "
                 "$TMPDIR/strata-bench and read through the data reader; PATH|GLOB: your "
                 "shards, through the reader; resident: random batches in memory, no reader")
      ->capture_default_str();
  app.add_option("--data-batches", o.data_batches, "batches of resident data, cycled")
      ->check(int_range(1, 64))
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seed of the initial weights and random draws")
      ->check(int_range(0))
      ->capture_default_str();
  app.add_flag("--profile", o.profile,
               "after the run, print per-layer forward/backward times to stderr")
      ->disable_flag_override();
  app.add_option("--reader", o.reader,
                 "time the data reader over these shards (a file, a folder of *.h5 or a glob)");
  app.add_option("--prefetch", o.prefetch, "batches the reader reads ahead (with --reader)")
      ->check(int_range(1, 1024))
      ->capture_default_str();
  app.add_flag("--comm", o.comm, "time the all-reduce (under mpirun)")->disable_flag_override();
  app.add_option("--bytes", o.bytes,
                 "one message size in bytes, a multiple of 4 (with --comm; default 4 KB..64 MB)")
      ->check(int_range(4, int64_t{1} << 34));
  app.add_option("--iters", o.iters, "timed all-reduces per size and path (with --comm)")
      ->check(int_range(1, 1000000))
      ->capture_default_str();
  app.add_option("--bucket-mb", o.bucket_mb,
                 "the reducer's bucket size in MiB (with --comm; distributed.bucket_mb)")
      ->check(positive_mib())
      ->capture_default_str();
  if (!parse_flags(app, args)) return std::nullopt;

  STRATA_CHECK(o.bytes % 4 == 0, "--bytes must be a multiple of 4 (floats), got " << o.bytes);
  if (o.comm) {
    STRATA_CHECK(o.reader.empty(), "--comm and --reader are two benchmarks; give one of them");
    if (!o.model.empty()) bench::find_model(o.model);  // throws for an unknown name
    return o;
  }
  STRATA_CHECK(o.steps >= 1, "--steps 0 only skips the model step of --comm; give at least 1");
  if (!o.reader.empty()) {
    STRATA_CHECK(o.model.empty(), "--reader and --model are two benchmarks; give one of them");
    if (steps->count() == 0) o.steps = 200;
    return o;
  }
  STRATA_CHECK(!o.model.empty(),
               "--model is required; the models are sae_finetune, sae_layer1, "
               "dcgan28 and dcgan64 (bench/MODELS.md)");
  bench::find_model(o.model);  // throws for an unknown name
  return o;
}

}  // namespace strata::cli
