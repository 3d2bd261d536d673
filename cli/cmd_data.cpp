// strata data convert|inspect: makes HDF5 shards from IDX, PNG or synthetic images and
// summarises a data set (docs/data-format.md).
#include <array>
#include <charconv>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/data/convert.h"
#include "core/error.h"
#include "trainers/signals.h"

namespace strata::cli {

namespace {

constexpr const char* kDescription =
    "Makes HDF5 shards from IDX files, PNG folders or synthetic images, and summarises data\n"
    "sets (docs/data-format.md).";

// The flags of `strata data convert`: the common ones, then those of one --format each.
struct ConvertFlags {
  std::string format, out, compression = "none";
  int64_t shard_size = 10000;
  bool overwrite = false;
  std::string images, labels;  // --format idx
  std::string input;           // --format png
  int64_t count = 0, seed = 1, classes = 10;
  std::string shape;  // --format synthetic: C,H,W
};

// The flags of `strata data inspect`.
struct InspectFlags {
  std::string path, layout;
  DatasetOptions dataset;  // --images, --labels
};

// The help group of the flags that apply to one --format only ("--format idx").
std::string format_group(const std::string& format) {
  return "--format " + format;
}

void add_convert_flags(CLI::App& convert, ConvertFlags& f) {
  convert.add_option("--format", f.format, "the input's format")
      ->check(CLI::IsMember({"idx", "png", "synthetic"}))
      ->required();
  convert.add_option("--out", f.out, "the folder of the shards")->type_name("DIR")->required();
  convert.add_option("--shard-size", f.shard_size, "samples per shard")
      ->check(int_range(1))
      ->capture_default_str();
  convert.add_option("--compression", f.compression, "gzip or none")
      ->check(CLI::IsMember({"gzip", "none"}))
      ->capture_default_str();
  convert.add_flag("--overwrite", f.overwrite, "replace the shards already in --out")
      ->disable_flag_override();
  const std::string idx = format_group("idx"), png = format_group("png"),
                    synthetic = format_group("synthetic");
  convert.add_option("--images", f.images, "the IDX images file (required)")
      ->type_name("FILE")
      ->group(idx);
  convert.add_option("--labels", f.labels, "the IDX labels file")->type_name("FILE")->group(idx);
  convert.add_option("--input", f.input, "a folder of PNGs, one subfolder per class (required)")
      ->type_name("DIR")
      ->group(png);
  convert.add_option("--count", f.count, "samples (required)")
      ->check(int_range(1))
      ->group(synthetic);
  convert.add_option("--shape", f.shape, "the images' shape (required)")
      ->type_name("C,H,W")
      ->group(synthetic);
  convert.add_option("--seed", f.seed, "the pixels' and labels' seed")
      ->check(int_range(0))
      ->capture_default_str()
      ->group(synthetic);
  convert.add_option("--classes", f.classes, "labels drawn from 0..K-1")
      ->type_name("K")
      ->check(int_range(1))
      ->capture_default_str()
      ->group(synthetic);
}

void add_inspect_flags(CLI::App& inspect, InspectFlags& f) {
  inspect.add_option("PATH", f.path, "a shard, a folder of shards or a glob")->required();
  inspect.add_option("--images", f.dataset.images, "the images dataset of a foreign HDF5 file")
      ->type_name("NAME")
      ->capture_default_str();
  inspect
      .add_option("--labels", f.dataset.labels,
                  "the labels dataset of a foreign HDF5 file (\"\": no labels)")
      ->type_name("NAME")
      ->capture_default_str();
  inspect.add_option("--layout", f.layout, "the pixel layout of a foreign file")
      ->check(CLI::IsMember({"NHWC", "NCHW"}));
}

// Refuses the flags of another --format than `format` and asks for the ones it needs.
void check_format_flags(const CLI::App& convert, const std::string& format,
                        const std::vector<std::string>& needed) {
  for (const CLI::Option* o : convert.get_options()) {
    const std::string& group = o->get_group();
    STRATA_CHECK(
        o->count() == 0 || group.rfind("--format ", 0) != 0 || group == format_group(format),
        o->get_name() << " does not apply to --format " << format
                      << "; see 'strata data convert --help'");
  }
  for (const std::string& name : needed)
    STRATA_CHECK(
        convert.get_option(name)->count() > 0,
        "--format " << format << " needs " << name << "; see 'strata data convert --help'");
}

// "C,H,W" (positive integers) as three numbers.
std::array<int64_t, 3> parse_shape(const std::string& shape) {
  std::array<int64_t, 3> dims{};
  const char* p = shape.data();
  const char* end = p + shape.size();
  for (size_t i = 0; i < dims.size(); ++i) {
    const auto [next, ec] = std::from_chars(p, end, dims[i]);
    const bool last = i + 1 == dims.size();
    STRATA_CHECK(
        ec == std::errc() && dims[i] > 0 && (last ? next == end : next < end && *next == ','),
        "--shape '" << shape << "', expected C,H,W such as 3,64,64");
    p = next + 1;
  }
  return dims;
}

int convert(const CLI::App& app, const ConvertFlags& f) {
  ConvertOptions options;
  options.out_dir = f.out;
  options.overwrite = f.overwrite;
  options.shard_size = f.shard_size;
  options.gzip = f.compression == "gzip";
  const std::vector<std::string> needed = f.format == "idx" ? std::vector<std::string>{"--images"}
                                          : f.format == "png"
                                              ? std::vector<std::string>{"--input"}
                                              : std::vector<std::string>{"--count", "--shape"};
  check_format_flags(app, f.format, needed);
  const std::array<int64_t, 3> dims =
      f.format == "synthetic" ? parse_shape(f.shape) : std::array<int64_t, 3>{};
  // Ctrl-C, SIGTERM or SIGHUP stop the conversion between batches: nothing is written (the
  // temporary folder is removed) and the exit code is 128 + the signal.
  install_stop_handlers(
      "\nstrata: Ctrl-C: stopping the conversion; nothing is written (Ctrl-C again: at once)\n");
  options.cancelled = [] { return stop_requested(); };
  ConvertResult r;
  try {
    if (f.format == "idx") {
      r = convert_idx(f.images, f.labels, options);
    } else if (f.format == "png") {
      r = convert_png(f.input, options);
    } else {
      r = convert_synthetic(f.count, dims[0], dims[1], dims[2], f.seed, f.classes, options);
    }
  } catch (const Error& e) {
    if (!stop_requested()) throw;
    std::fprintf(stderr, "strata data convert: %s: %s\n", stop_signal_name(), e.message().c_str());
    return 128 + stop_signal();
  }
  std::printf("wrote %lld samples of %lldx%lldx%lld (C x H x W) uint8%s in %zu shard(s) under %s\n",
              static_cast<long long>(r.samples), static_cast<long long>(r.channels),
              static_cast<long long>(r.height), static_cast<long long>(r.width),
              r.has_labels ? " with labels" : "", r.shards.size(), options.out_dir.c_str());
  for (size_t k = 0; k < r.class_names.size(); ++k)
    std::printf("  class %zu: %s\n", k, r.class_names[k].c_str());
  return 0;
}

int inspect(const InspectFlags& f) {
  DatasetOptions options = f.dataset;
  if (!f.layout.empty())
    options.default_layout = f.layout == "NHWC" ? PixelLayout::kNHWC : PixelLayout::kNCHW;
  const DatasetSummary s = inspect_dataset(f.path, options);
  const DatasetInfo& info = s.info;
  std::printf("shards: %zu\n", info.shards.size());
  for (size_t i = 0; i < info.shards.size(); ++i) {
    if (i == 5 && info.shards.size() > 10) {
      std::printf("  ... %zu more\n", info.shards.size() - 10);
      i = info.shards.size() - 5;
    }
    std::printf("  %s: %lld\n", info.shards[i].path.c_str(),
                static_cast<long long>(info.shards[i].count));
  }
  std::printf("samples: %lld\n", static_cast<long long>(info.total));
  std::printf("shape: %lldx%lldx%lld (C x H x W)\n", static_cast<long long>(info.channels),
              static_cast<long long>(info.height), static_cast<long long>(info.width));
  std::printf("dtype: %s\n", info.dtype == PixelType::kUint8 ? "uint8" : "float32");
  std::printf("layout: %s\n", info.layout == PixelLayout::kNHWC ? "NHWC" : "NCHW");
  if (info.has_labels) {
    std::printf("labels: %zu classes\n", s.label_counts.size());
    for (const auto& [label, count] : s.label_counts) {
      const bool named = label >= 0 && label < static_cast<int64_t>(s.class_names.size());
      std::printf("  %lld%s%s: %lld\n", static_cast<long long>(label), named ? " " : "",
                  named ? s.class_names[label].c_str() : "", static_cast<long long>(count));
    }
  } else {
    std::printf("labels: none\n");
  }
  std::printf("pixel mean: %.4f\npixel std: %.4f\n", s.mean, s.stddev);
  return 0;
}

}  // namespace

int run_data(const Args& args) {
  FlagParser app("strata data", kDescription);
  ConvertFlags convert_flags;
  InspectFlags inspect_flags;
  CLI::App* convert_cmd = app.add_subcommand(
      "convert", "make HDF5 shards from IDX files, a folder of PNGs or synthetic images");
  add_convert_flags(*convert_cmd, convert_flags);
  CLI::App* inspect_cmd = app.add_subcommand("inspect", "summarise a data set");
  add_inspect_flags(*inspect_cmd, inspect_flags);
  if (args.empty()) {
    print_help(app, stderr);
    return 2;
  }
  if (args[0] == "help") return parse_flags(app, {"--help"}) ? 2 : 0;
  STRATA_CHECK(args[0].rfind("-", 0) == 0 || args[0] == "convert" || args[0] == "inspect",
               "unknown data command '"
                   << args[0] << "', expected convert or inspect; see 'strata data --help'");
  if (!parse_flags(app, args)) return 0;
  if (convert_cmd->parsed()) return convert(*convert_cmd, convert_flags);
  if (inspect_cmd->parsed()) return inspect(inspect_flags);
  print_help(app, stderr);  // flags without a command
  return 2;
}

}  // namespace strata::cli
