// The IDX and synthetic converters, the shard run they share, and inspect_dataset().
#include "core/data/convert.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "core/data/convert_shards.h"
#include "core/data/hdf5_util.h"
#include "core/data/idx.h"
#include "core/data/shard_writer.h"
#include "core/error.h"

namespace strata {

namespace fs = std::filesystem;

namespace detail {

namespace {
bool is_shard_name(const fs::path& p) {
  const std::string n = p.filename().string();
  return n.size() > 9 && n.rfind("shard-", 0) == 0 && p.extension() == ".h5";
}
}  // namespace

// The folder a conversion writes into: a hidden sibling of the output folder,
// "<parent>/.<name>.partial-<pid>-XXXXXX", renamed into place only once every shard is complete,
// so an interrupted conversion never leaves a folder that looks like a data set. Removed (with
// its partial shards) on every other way out.
class StagingDir {
 public:
  explicit StagingDir(const fs::path& out) : out_(fs::absolute(out).lexically_normal()) {
    if (!out_.has_filename()) out_ = out_.parent_path();  // "data/train/" -> "data/train"
    const fs::path parent = out_.parent_path();
    std::error_code ec;
    fs::create_directories(parent, ec);
    STRATA_CHECK(fs::is_directory(parent, ec),
                 parent.string() << ": cannot create the folder for " << out.string() << " ("
                                 << ec.message() << "); check the path and permissions");
    remove_abandoned(parent);
    std::string pattern = (parent / (prefix() + std::to_string(::getpid()) + "-XXXXXX")).string();
    STRATA_CHECK(::mkdtemp(pattern.data()) != nullptr,
                 pattern << ": cannot create the conversion's temporary folder ("
                         << std::strerror(errno) << "); check that " << parent.string()
                         << " is writable");
    path_ = pattern;
  }
  ~StagingDir() {
    std::error_code ec;
    if (!path_.empty()) fs::remove_all(path_, ec);
  }
  StagingDir(const StagingDir&) = delete;
  StagingDir& operator=(const StagingDir&) = delete;

  const fs::path& path() const { return path_; }

  // Puts the finished shards at the output folder's place; an existing output folder (empty, or
  // an earlier conversion's shards with --overwrite) is swapped out atomically and removed.
  void commit() {
    std::error_code ec;
    if (!fs::exists(out_, ec)) {
      fs::rename(path_, out_, ec);
      STRATA_CHECK(!ec, "cannot rename " << path_.string() << " to " << out_.string() << ": "
                                         << ec.message());
    } else {
      if (::renameat2(AT_FDCWD, path_.c_str(), AT_FDCWD, out_.c_str(), RENAME_EXCHANGE) != 0) {
        // A file system without RENAME_EXCHANGE: the old folder goes first.
        fs::remove_all(out_, ec);
        STRATA_CHECK(!ec, "cannot replace " << out_.string() << ": " << ec.message());
        fs::rename(path_, out_, ec);
        STRATA_CHECK(!ec, "cannot rename " << path_.string() << " to " << out_.string() << ": "
                                           << ec.message());
        path_.clear();
        return;
      }
      // path_ now holds the earlier folder's contents, removed by the destructor.
    }
    if (!ec && !fs::exists(path_, ec)) path_.clear();
  }

 private:
  std::string prefix() const {
    std::string p(1, '.');
    p.append(out_.filename().string()).append(".partial-");
    return p;
  }

  // Temporary folders of conversions into the same output that were killed (their process is
  // gone): nothing can finish them.
  void remove_abandoned(const fs::path& parent) const {
    std::error_code ec;
    const std::string pre = prefix();
    for (const fs::directory_entry& e : fs::directory_iterator(parent, ec)) {
      const std::string n = e.path().filename().string();
      if (n.rfind(pre, 0) != 0) continue;
      const long pid = std::strtol(n.c_str() + pre.size(), nullptr, 10);
      if (pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)) {
        std::error_code rm;
        fs::remove_all(e.path(), rm);
        std::fprintf(stderr, "strata: removed %s (left by an interrupted conversion)\n",
                     e.path().c_str());
      }
    }
  }

  fs::path out_, path_;
};

ConvertResult write_shards(int64_t total, int64_t channels, int64_t height, int64_t width,
                           bool labels, const std::vector<std::string>& class_names,
                           const ConvertOptions& options, const FillSamples& fill) {
  STRATA_CHECK(!options.out_dir.empty(), "no output folder given; pass --out DIR");
  STRATA_CHECK(options.shard_size > 0, "shard size " << options.shard_size
                                                     << ", expected at least 1 sample per shard; "
                                                        "pass --shard-size N with N >= 1");
  STRATA_CHECK(total > 0, "nothing to convert (found 0 samples, expected at least 1)");
  std::error_code ec;
  const fs::path out(options.out_dir);
  STRATA_CHECK(!fs::exists(out, ec) || fs::is_directory(out, ec),
               options.out_dir << " is a file; --out needs a folder (new or empty)");
  std::vector<fs::path> old, other;
  if (fs::is_directory(out, ec)) {
    for (const fs::directory_entry& e : fs::directory_iterator(out))
      (is_shard_name(e.path()) ? old : other).push_back(e.path());
  }
  std::sort(old.begin(), old.end());
  std::sort(other.begin(), other.end());
  STRATA_CHECK(old.empty() || options.overwrite,
               options.out_dir << ": already holds shards (found " << old.size() << ", e.g. "
                               << old.front().filename().string()
                               << "), expected a new or empty folder; remove them, choose "
                                  "another --out, or pass --overwrite");
  STRATA_CHECK(other.empty(), options.out_dir
                                  << ": holds files that are not shards (e.g. "
                                  << other.front().filename().string()
                                  << "); a conversion replaces the whole folder, so give a new "
                                     "or empty folder (or one holding only shard-*.h5 files, "
                                     "with --overwrite)");
  StagingDir staging(out);

  ConvertResult r;
  r.samples = total;
  r.channels = channels;
  r.height = height;
  r.width = width;
  r.has_labels = labels;
  r.class_names = class_names;
  ShardWriterOptions wo;
  wo.channels = channels;
  wo.height = height;
  wo.width = width;
  wo.dtype = PixelType::kUint8;
  wo.layout = PixelLayout::kNHWC;
  wo.labels = labels;
  wo.gzip = options.gzip;
  wo.class_names = class_names;
  const int64_t sample = channels * height * width;
  const int64_t batch =
      std::max<int64_t>(1, std::min<int64_t>(options.shard_size, (int64_t{16} << 20) / sample));
  std::vector<uint8_t> images(static_cast<size_t>(batch * sample));
  std::vector<int64_t> label_buf(labels ? static_cast<size_t>(batch) : 0);
  for (int64_t first = 0, index = 0; first < total; first += options.shard_size, ++index) {
    char name[32];
    std::snprintf(name, sizeof(name), "shard-%05lld.h5", static_cast<long long>(index));
    const int64_t n = std::min(options.shard_size, total - first);
    ShardWriter writer((staging.path() / name).string(), n, wo);
    for (int64_t done = 0; done < n; done += batch) {
      STRATA_CHECK(
          !options.cancelled || !options.cancelled(),
          "interrupted before every shard was written; nothing was written to " << options.out_dir);
      const int64_t k = std::min(batch, n - done);
      fill(first + done, k, images.data(), labels ? label_buf.data() : nullptr);
      writer.append(images.data(), labels ? label_buf.data() : nullptr, k);
    }
    writer.finish();
    r.shards.push_back((out / name).string());
  }
  staging.commit();
  return r;
}

}  // namespace detail

ConvertResult convert_idx(const std::string& images_path, const std::string& labels_path,
                          const ConvertOptions& options) {
  const IdxArray images = read_idx(images_path);
  STRATA_CHECK(images.dims.size() == 3 || images.dims.size() == 4,
               images_path << ": an IDX array of " << images.dims.size()
                           << " dimensions, expected images N x H x W (or N x H x W x C); is "
                              "this the labels file? pass it with --labels");
  const int64_t n = images.dims[0], h = images.dims[1], w = images.dims[2];
  const int64_t c = images.dims.size() == 4 ? images.dims[3] : 1;
  IdxArray labels;
  if (!labels_path.empty()) {
    labels = read_idx(labels_path);
    STRATA_CHECK(labels.dims.size() == 1,
                 labels_path << ": an IDX array of " << labels.dims.size()
                             << " dimensions, expected labels N (one dimension); is this the "
                                "images file? pass it with --images");
    STRATA_CHECK(labels.dims[0] == n,
                 labels_path << ": " << labels.dims[0] << " labels, expected one per image: " << n
                             << " (" << images_path << "); pass the labels file of the same split");
  }
  const int64_t sample = c * h * w;
  const bool has_labels = !labels_path.empty();
  return detail::write_shards(n, c, h, w, has_labels, {}, options,
                              [&](int64_t first, int64_t count, uint8_t* out, int64_t* lab) {
                                std::copy_n(images.values.data() + first * sample, count * sample,
                                            out);
                                if (lab)
                                  for (int64_t i = 0; i < count; ++i)
                                    lab[i] = labels.values[first + i];
                              });
}

ConvertResult convert_synthetic(int64_t count, int64_t channels, int64_t height, int64_t width,
                                uint64_t seed, int64_t classes, const ConvertOptions& options) {
  STRATA_CHECK(count > 0, "--count " << count << ", expected at least 1 sample");
  STRATA_CHECK(channels > 0 && height > 0 && width > 0,
               "--shape " << channels << "," << height << "," << width
                          << ", expected three sizes of at least 1 (C,H,W, e.g. 3,64,64)");
  STRATA_CHECK(classes > 0, "--classes " << classes << ", expected at least 1");
  const int64_t sample = channels * height * width;
  // splitmix64 of (seed, sample index): the same sample whatever the shard size.
  auto mix = [](uint64_t x) {
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
  };
  return detail::write_shards(
      count, channels, height, width, true, {}, options,
      [&](int64_t first, int64_t n, uint8_t* out, int64_t* lab) {
        for (int64_t i = 0; i < n; ++i) {
          uint64_t state = mix(seed ^ mix(static_cast<uint64_t>(first + i)));
          lab[i] = static_cast<int64_t>(state % static_cast<uint64_t>(classes));
          uint8_t* px = out + i * sample;
          for (int64_t j = 0; j < sample; j += 8) {
            state = mix(state);
            for (int64_t b = 0; b < 8 && j + b < sample; ++b) px[j + b] = uint8_t(state >> (8 * b));
          }
        }
      });
}

DatasetSummary inspect_dataset(const std::string& pattern, const DatasetOptions& options) {
  DatasetSummary s;
  s.info = open_dataset(pattern, options);
  const DatasetInfo& info = s.info;
  {
    auto guard = h5::lock();
    h5::quiet();
    h5::Handle fapl = h5::file_access();
    h5::Handle f(H5Fopen(info.shards[0].path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
    if (f.valid()) h5::read_string_array_attr(f.get(), "class_names", &s.class_names);
    h5::last_error();
  }
  const int64_t sample = info.sample_values();
  const int64_t batch = std::max<int64_t>(1, (int64_t{8} << 20) / sample);
  std::vector<uint8_t> u8;
  std::vector<float> f32;
  std::vector<int64_t> labels(static_cast<size_t>(batch));
  double sum = 0, sumsq = 0;
  for (const ShardInfo& shard : info.shards) {
    ShardFile file(shard, info);
    for (int64_t first = 0; first < shard.count; first += batch) {
      const int64_t n = std::min(batch, shard.count - first);
      const size_t values = static_cast<size_t>(n * sample);
      double bs = 0, bq = 0;
      if (info.dtype == PixelType::kUint8) {
        u8.resize(values);
        file.read_images(first, n, u8.data());
        uint64_t is = 0, iq = 0;
        for (uint8_t v : u8) {
          is += v;
          iq += uint64_t{v} * v;
        }
        bs = static_cast<double>(is);
        bq = static_cast<double>(iq);
      } else {
        f32.resize(values);
        file.read_images(first, n, f32.data());
        for (float v : f32) {
          bs += v;
          bq += double{v} * v;
        }
      }
      sum += bs;
      sumsq += bq;
      if (info.has_labels) {
        file.read_labels(first, n, labels.data());
        for (int64_t i = 0; i < n; ++i) ++s.label_counts[labels[i]];
      }
    }
  }
  const double count = static_cast<double>(info.total) * static_cast<double>(sample);
  s.mean = sum / count;
  s.stddev = std::sqrt(std::max(0.0, sumsq / count - s.mean * s.mean));
  return s;
}

}  // namespace strata
