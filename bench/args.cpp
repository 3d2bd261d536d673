#include "bench/args.h"

#include <charconv>

#include "bench/models.h"
#include "core/error.h"

namespace strata::bench {

namespace {

int64_t parse_int(const std::string& flag, const std::string& text, int64_t min, int64_t max) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  STRATA_CHECK(ec == std::errc() && ptr == end && !text.empty(),
               flag << " expects an integer, got '" << text << "'");
  STRATA_CHECK(v >= min && v <= max,
               flag << " must be between " << min << " and " << max << ", got " << v);
  return v;
}

}  // namespace

const char* bench_usage() {
  return "usage: strata bench --model NAME [--device cpu] [--steps N] [--warmup N] [--windows N]\n"
         "                    [--threads N] [--batch N] [--data synthetic|resident|PATH]\n"
         "                    [--data-batches N] [--seed N] [--profile]\n"
         "       strata bench --reader PATH|GLOB [--batch N] [--steps N] [--warmup N]\n"
         "                    [--windows N] [--prefetch N] [--seed N]\n"
         "       strata bench --comm [--bytes N] [--iters N] [--warmup N] [--model NAME]\n"
         "                    [--steps N] [--batch N] [--bucket-mb X]   (under mpirun)\n"
         "\n"
         "Trains one model of shared/bench/MODELS.md and prints one JSON line: model, device,\n"
         "batch, samples_per_s (median over the timed windows), peak_rss_mb (process peak RSS),\n"
         "threads, steps, windows, step_ms_median, data, data_wait_ms.\n"
         "\n"
         "  --model NAME       sae_finetune, sae_layer1, dcgan28 or dcgan64\n"
         "  --device cpu       the only device built into the benchmark\n"
         "  --steps N          timed steps per window (default 10)\n"
         "  --warmup N         untimed steps before the first window (default 5)\n"
         "  --windows N        timed windows, the median is reported (default 3; alias --repeats)\n"
         "  --threads N        CPU threads for OpenMP and OpenBLAS (default: all cores)\n"
         "  --batch N          batch size (default: MODELS.md's)\n"
         "  --data SPEC        synthetic (default): synthetic shards of the model's shape, cached\n"
         "                     in $TMPDIR/strata-bench and read through the data reader;\n"
         "                     PATH|GLOB: your shards, through the reader; resident: random\n"
         "                     batches in memory, no reader\n"
         "  --data-batches N   batches of resident data, cycled (default 4)\n"
         "  --seed N           seed of the initial weights and random draws (default 1)\n"
         "  --profile          after the run, print per-layer forward/backward times to stderr\n"
         "\n"
         "With --reader, times one data reader thread over the shards PATH|GLOB (read once first,\n"
         "so from the page cache) and prints one JSON line: bench, path, batch, samples_per_s,\n"
         "prefetch, ... Batch defaults to 256 and steps to 200 batches per window.\n"
         "  --reader PATH|GLOB shards to read (a file, a directory of *.h5 or a glob)\n"
         "  --prefetch N       batches the reader reads ahead (default 2)\n"
         "\n"
         "With --comm (under mpirun), times the GradientReducer's all-reduce (all_reduce_async,\n"
         "sum, through the Communicator, waited) and a plain MPI_Allreduce (sum, float) of\n"
         "the same bytes, median of --iters after --warmup, for sizes 4 KB..64 MB, and prints on\n"
         "rank 0 one JSON line per size: bench, backend, ranks, bytes, algbw_gbps, busbw_gbps,\n"
         "mpi_busbw_gbps, ratio (busbw = algbw * 2(w-1)/w, so 0 with one rank; ratio = MPI time /\n"
         "Communicator time).\n"
         "  --bytes N          one message size in bytes (a multiple of 4)\n"
         "  --iters N          timed all-reduces per size and path (default 20)\n"
         "Then it prints the exposed communication time of a model's training step (one more\n"
         "JSON line, bench comm_exposed): step time with gradient reduction minus without, both\n"
         "medians of --steps alternate steps, beside the time of the same all-reduce alone.\n"
         "  --model NAME       the model (default sae_finetune); --batch: its global batch\n"
         "  --steps N          timed steps of each kind (default 10; 0 skips this part)\n"
         "  --bucket-mb X      the reducer's bucket size in MiB (default 25, "
         "distributed.bucket_mb)\n";
}

BenchOptions parse_bench_args(const std::vector<std::string>& args) {
  BenchOptions o;
  bool steps_given = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i], value;
    bool has_value = false;
    if (const size_t eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      has_value = true;
    }
    auto take = [&]() -> const std::string& {
      if (!has_value) {
        STRATA_CHECK(i + 1 < args.size(), flag << " needs a value; see 'strata bench --help'");
        value = args[++i];
        has_value = true;
      }
      return value;
    };
    auto no_value = [&]() { STRATA_CHECK(!has_value, flag << " takes no value"); };
    if (flag == "--help" || flag == "-h") {
      no_value();
      o.help = true;
    } else if (flag == "--model") {
      o.model = take();
    } else if (flag == "--device") {
      o.device = take();
    } else if (flag == "--steps") {
      o.steps = parse_int(flag, take(), 0, 1000000);
      steps_given = true;
    } else if (flag == "--warmup") {
      o.warmup = parse_int(flag, take(), 0, 1000000);
    } else if (flag == "--windows" || flag == "--repeats") {
      o.windows = parse_int(flag, take(), 1, 1000);
    } else if (flag == "--threads") {
      o.threads = static_cast<int>(parse_int(flag, take(), 1, 4096));
    } else if (flag == "--batch") {
      o.batch = parse_int(flag, take(), 1, 1 << 20);
    } else if (flag == "--data") {
      o.data = take();
    } else if (flag == "--data-batches") {
      o.data_batches = parse_int(flag, take(), 1, 64);
    } else if (flag == "--seed") {
      o.seed = static_cast<uint64_t>(parse_int(flag, take(), 0, INT64_MAX));
    } else if (flag == "--reader") {
      o.reader = take();
    } else if (flag == "--prefetch") {
      o.prefetch = static_cast<int>(parse_int(flag, take(), 1, 1024));
    } else if (flag == "--comm") {
      no_value();
      o.comm = true;
    } else if (flag == "--bytes") {
      o.bytes = parse_int(flag, take(), 4, int64_t{1} << 34);
      STRATA_CHECK(o.bytes % 4 == 0, "--bytes must be a multiple of 4 (floats), got " << o.bytes);
    } else if (flag == "--bucket-mb") {
      const std::string v = take();
      char* end = nullptr;
      o.bucket_mb = std::strtod(v.c_str(), &end);
      STRATA_CHECK(end != v.c_str() && *end == '\0' && o.bucket_mb > 0 && o.bucket_mb < 1e6,
                   "--bucket-mb expects a positive number of MiB, got '" << v << "'");
    } else if (flag == "--iters") {
      o.iters = parse_int(flag, take(), 1, 1000000);
    } else if (flag == "--profile") {
      no_value();
      o.profile = true;
    } else {
      STRATA_THROW("unknown option '" << args[i] << "'; see 'strata bench --help'");
    }
  }
  if (o.help) return o;
  if (o.comm) {
    STRATA_CHECK(o.reader.empty(), "--comm and --reader are two benchmarks; give one of them");
    if (!o.model.empty()) find_model(o.model);  // throws for an unknown name
    return o;
  }
  STRATA_CHECK(o.steps >= 1, "--steps 0 only skips the model step of --comm; give at least 1");
  if (!o.reader.empty()) {
    STRATA_CHECK(o.model.empty(), "--reader and --model are two benchmarks; give one of them");
    if (!steps_given) o.steps = 200;
    return o;
  }
  STRATA_CHECK(!o.model.empty(),
               "--model is required; the models are sae_finetune, sae_layer1, "
               "dcgan28 and dcgan64 (shared/bench/MODELS.md)");
  find_model(o.model);  // throws for an unknown name
  STRATA_CHECK(o.device == "cpu", "--device " << o.device
                                              << ": only the cpu device is built into strata "
                                                 "bench; use --device cpu");
  return o;
}

}  // namespace strata::bench
