// strata data convert|inspect: makes HDF5 shards from IDX, PNG or synthetic images and
// summarises a data set (docs/data-format.md).
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <string>

#include "cli/commands.h"
#include "core/data/convert.h"
#include "core/error.h"
#include "trainers/signals.h"

namespace strata::cli {

namespace {

constexpr const char* kUsage =
    "usage:\n"
    "  strata data convert --format idx --images FILE [--labels FILE] --out DIR [common]\n"
    "  strata data convert --format png --input DIR --out DIR [common]\n"
    "  strata data convert --format synthetic --count N --shape C,H,W [--seed S] [--classes K]\n"
    "                      --out DIR [common]\n"
    "    common: [--shard-size N] (samples per shard, default 10000)\n"
    "            [--compression gzip|none] (default none) [--overwrite]\n"
    "  strata data inspect PATH|GLOB [--images NAME] [--labels NAME] [--layout NHWC|NCHW]\n"
    "see docs/data-format.md\n";

// --name value (or --name=value) flags; `switches` take no value.
std::map<std::string, std::string> parse_flags(const Args& args, size_t from,
                                               const std::set<std::string>& known,
                                               const std::set<std::string>& switches,
                                               std::vector<std::string>* positional) {
  std::map<std::string, std::string> flags;
  for (size_t i = from; i < args.size(); ++i) {
    std::string a = args[i];
    if (a.rfind("--", 0) != 0) {
      STRATA_CHECK(positional != nullptr, "unexpected argument '" << a
                                                                  << "', expected --flag value\n"
                                                                  << kUsage);
      positional->push_back(a);
      continue;
    }
    std::string value;
    bool has_value = false;
    if (const size_t eq = a.find('='); eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
      has_value = true;
    }
    const std::string name = a.substr(2);
    STRATA_CHECK(known.count(name) || switches.count(name), "unknown flag '" << a << "'\n"
                                                                             << kUsage);
    if (switches.count(name)) {
      STRATA_CHECK(!has_value, "flag '" << a << "' takes no value\n" << kUsage);
      flags[name] = std::string(1, '1');
      continue;
    }
    if (!has_value) {
      STRATA_CHECK(i + 1 < args.size(), "flag '" << a << "' needs a value\n" << kUsage);
      value = args[++i];
    }
    flags[name] = value;
  }
  return flags;
}

std::string need(const std::map<std::string, std::string>& flags, const std::string& name,
                 const std::string& format) {
  const auto it = flags.find(name);
  STRATA_CHECK(it != flags.end() && !it->second.empty(), "--format " << format << " needs --"
                                                                     << name << "\n"
                                                                     << kUsage);
  return it->second;
}

int64_t to_int(const std::string& flag, const std::string& text) {
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  STRATA_CHECK(used == text.size() && !text.empty(), "--" << flag << " '" << text
                                                          << "', expected an integer\n"
                                                          << kUsage);
  return v;
}

void reject_others(const std::map<std::string, std::string>& flags,
                   const std::set<std::string>& allowed, const std::string& format) {
  for (const auto& [name, value] : flags)
    STRATA_CHECK(allowed.count(name), "flag '--" << name << "' does not apply to --format "
                                                 << format << "\n"
                                                 << kUsage);
}

// Runs the conversion of one --format; allowed(extra) is the set of flags that format accepts.
int convert_format(const std::string& format, const std::map<std::string, std::string>& flags,
                   const ConvertOptions& options,
                   const std::function<std::set<std::string>(std::set<std::string>)>& allowed) {
  ConvertResult r;
  if (format == "idx") {
    reject_others(flags, allowed({"images", "labels"}), format);
    r = convert_idx(need(flags, "images", format), flags.count("labels") ? flags.at("labels") : "",
                    options);
  } else if (format == "png") {
    reject_others(flags, allowed({"input"}), format);
    r = convert_png(need(flags, "input", format), options);
  } else if (format == "synthetic") {
    reject_others(flags, allowed({"count", "shape", "seed", "classes"}), format);
    const std::string shape = need(flags, "shape", format);
    int64_t dims[3] = {0, 0, 0};
    size_t start = 0;
    for (int i = 0; i < 3; ++i) {
      const size_t comma = shape.find(',', start);
      STRATA_CHECK((i < 2) == (comma != std::string::npos),
                   "--shape '" << shape << "', expected C,H,W such as 3,64,64\n"
                               << kUsage);
      dims[i] = to_int("shape", shape.substr(start, comma - start));
      start = comma + 1;
    }
    r = convert_synthetic(to_int("count", need(flags, "count", format)), dims[0], dims[1], dims[2],
                          flags.count("seed") ? to_int("seed", flags.at("seed")) : 1,
                          flags.count("classes") ? to_int("classes", flags.at("classes")) : 10,
                          options);
  } else {
    STRATA_THROW("--format '" << format << "', expected idx, png or synthetic\n" << kUsage);
  }
  std::printf("wrote %lld samples of %lldx%lldx%lld (C x H x W) uint8%s in %zu shard(s) under %s\n",
              static_cast<long long>(r.samples), static_cast<long long>(r.channels),
              static_cast<long long>(r.height), static_cast<long long>(r.width),
              r.has_labels ? " with labels" : "", r.shards.size(), options.out_dir.c_str());
  for (size_t k = 0; k < r.class_names.size(); ++k)
    std::printf("  class %zu: %s\n", k, r.class_names[k].c_str());
  return 0;
}

int convert(const Args& args) {
  const std::set<std::string> common = {"format", "out", "shard-size", "compression"};
  const auto flags = parse_flags(args, 1,
                                 {"format", "images", "labels", "input", "out", "shard-size",
                                  "compression", "count", "shape", "seed", "classes"},
                                 {"overwrite"}, nullptr);
  const auto format_it = flags.find("format");
  STRATA_CHECK(format_it != flags.end(), "convert needs --format idx|png|synthetic\n" << kUsage);
  const std::string format = format_it->second;
  ConvertOptions options;
  options.out_dir = need(flags, "out", format);
  options.overwrite = flags.count("overwrite") > 0;
  if (flags.count("shard-size")) options.shard_size = to_int("shard-size", flags.at("shard-size"));
  if (flags.count("compression")) {
    const std::string c = flags.at("compression");
    STRATA_CHECK(c == "gzip" || c == "none", "--compression '" << c << "', expected gzip or none\n"
                                                               << kUsage);
    options.gzip = c == "gzip";
  }
  auto allowed = [&](std::set<std::string> extra) {
    extra.insert(common.begin(), common.end());
    extra.insert("overwrite");
    return extra;
  };
  // Ctrl-C, SIGTERM or SIGHUP stop the conversion between batches: nothing is written (the
  // temporary folder is removed) and the exit code is 128 + the signal.
  install_stop_handlers(
      "\nstrata: Ctrl-C: stopping the conversion; nothing is written (Ctrl-C again: at once)\n");
  options.cancelled = [] { return stop_requested(); };
  try {
    return convert_format(format, flags, options, allowed);
  } catch (const Error& e) {
    if (!stop_requested()) throw;
    std::fprintf(stderr, "strata data convert: %s: %s\n", stop_signal_name(), e.message().c_str());
    return 128 + stop_signal();
  }
}

int inspect(const Args& args) {
  std::vector<std::string> positional;
  const auto flags = parse_flags(args, 1, {"images", "labels", "layout"}, {}, &positional);
  STRATA_CHECK(positional.size() == 1, "inspect needs one PATH|GLOB (got " << positional.size()
                                                                           << ")\n"
                                                                           << kUsage);
  DatasetOptions options;
  if (flags.count("images")) options.images = flags.at("images");
  if (flags.count("labels")) options.labels = flags.at("labels");
  if (flags.count("layout")) {
    const std::string l = flags.at("layout");
    STRATA_CHECK(l == "NHWC" || l == "NCHW", "--layout '" << l << "', expected NHWC or NCHW\n"
                                                          << kUsage);
    options.default_layout = l == "NHWC" ? PixelLayout::kNHWC : PixelLayout::kNCHW;
  }
  const DatasetSummary s = inspect_dataset(positional[0], options);
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
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    std::printf("%s", kUsage);
    return args.empty() ? 2 : 0;
  }
  for (const std::string& a : args)
    if (a == "--help" || a == "-h") {
      std::printf("%s", kUsage);
      return 0;
    }
  if (args[0] == "convert") return convert(args);
  if (args[0] == "inspect") return inspect(args);
  STRATA_THROW("unknown data command '" << args[0] << "', expected convert or inspect\n" << kUsage);
}

}  // namespace strata::cli
