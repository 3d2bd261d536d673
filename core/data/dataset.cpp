// open_dataset(): pattern expansion and per-shard metadata checks; ShardFile: reads of whole
// samples from an open shard. See docs/data-format.md for the format.
#include "core/data/dataset.h"

#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include "core/atomic_file.h"
#include "core/data/hdf5_util.h"
#include "core/error.h"

namespace strata {

namespace {

namespace fs = std::filesystem;
using h5::Handle;

constexpr int64_t kFormatVersion = 1;
constexpr const char* kFix =
    "convert the data with 'strata data convert', or name the datasets and layout in the "
    "config's data section (see docs/data-format.md)";

const char* layout_name(PixelLayout l) {
  return l == PixelLayout::kNHWC ? "NHWC" : "NCHW";
}
const char* dtype_name(PixelType t) {
  return t == PixelType::kUint8 ? "uint8" : "float32";
}

// Refuses a folder that an unfinished write left behind: one holding a shard writer's temporary
// file ("shard-00002.h5.tmp-<pid>"), or a conversion's temporary folder itself
// (".<name>.partial-<pid>-XXXXXX"); its shards are not the whole data set.
void check_no_leftovers(fs::path dir, const std::string& pattern) {
  if (!dir.has_filename()) dir = dir.parent_path();  // "data/train/"
  const std::string name = dir.filename().string();
  STRATA_CHECK(!(name.rfind('.', 0) == 0 && name.find(".partial-") != std::string::npos),
               dir.string() << " is the temporary folder of a conversion that did not finish; "
                               "its shards are not the whole data set: run 'strata data "
                               "convert' again (it removes such folders)");
  std::error_code ec;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    const std::string f = e.path().filename().string();
    STRATA_CHECK(!is_atomic_temp_name(f),
                 "'" << pattern << "': " << dir.string() << " holds " << f
                     << ", a shard left half-written by an interrupted write; the folder may not "
                        "hold the whole data set: convert it again into a new folder");
  }
}

std::vector<std::string> expand(const std::string& pattern) {
  std::vector<std::string> paths;
  std::error_code ec;
  if (fs::is_directory(pattern, ec)) {
    check_no_leftovers(fs::absolute(pattern, ec).lexically_normal(), pattern);
    for (const fs::directory_entry& e : fs::directory_iterator(pattern, ec)) {
      const std::string ext = e.path().extension().string();
      if (e.is_regular_file(ec) && (ext == ".h5" || ext == ".hdf5")) paths.push_back(e.path());
    }
  } else if (fs::exists(pattern, ec)) {
    paths.push_back(pattern);
  } else {
    glob_t g{};
    if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i)
        if (fs::is_regular_file(g.gl_pathv[i], ec)) paths.push_back(g.gl_pathv[i]);
    }
    globfree(&g);
  }
  std::sort(paths.begin(), paths.end());
  std::vector<fs::path> dirs;
  for (const std::string& p : paths) {
    const fs::path d = fs::absolute(p, ec).parent_path();
    if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
  }
  for (const fs::path& d : dirs) check_no_leftovers(d, pattern);
  STRATA_CHECK(!paths.empty(),
               "no shard file matches '"
                   << pattern
                   << "': expected an HDF5 file, a folder of *.h5 files or a glob such as "
                      "'data/train/shard-*.h5'; check the path, or make shards with 'strata data "
                      "convert'");
  return paths;
}

Handle open_file(const std::string& path) {
  std::ifstream probe(path, std::ios::binary);
  STRATA_CHECK(probe.good(), path << ": cannot be opened for reading (found no readable file, "
                                     "expected an HDF5 shard); check the path and permissions");
  probe.close();
  const htri_t is_h5 = H5Fis_hdf5(path.c_str());
  h5::last_error();  // clears the stack: a file without the signature is reported below
  STRATA_CHECK(is_h5 > 0, path << ": not an HDF5 file (found no HDF5 signature, expected an HDF5 "
                                  "shard with dataset(s) of images); "
                               << kFix);
  Handle fapl = h5::file_access();
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!file.valid()) {
    const std::string detail = h5::last_error();
    STRATA_THROW(path << ": an HDF5 file that cannot be opened (HDF5 says: '" << detail
                      << "'); it is probably truncated or damaged, e.g. by an interrupted copy: "
                         "copy or convert it again");
  }
  return file;
}

struct ShardMeta {
  std::string path;
  int64_t count = 0, channels = 0, height = 0, width = 0;
  PixelType dtype = PixelType::kUint8;
  PixelLayout layout = PixelLayout::kNHWC;
  bool layout_from_file = false;
  bool has_labels = false;
};

PixelLayout parse_layout(const std::string& s, const std::string& where) {
  if (s == "NHWC" || s == "nhwc") return PixelLayout::kNHWC;
  if (s == "NCHW" || s == "nchw") return PixelLayout::kNCHW;
  STRATA_THROW(where << ": attribute 'layout' is '" << s
                     << "', expected 'NHWC' or 'NCHW'; fix the attribute (h5py: "
                        "f['images'].attrs['layout'] = 'NHWC')");
}

ShardMeta read_meta(const std::string& path, const DatasetOptions& options) {
  ShardMeta m;
  m.path = path;
  Handle file = open_file(path);
  const std::string images = h5::slash(options.images);

  // File-level attributes: Strata shards have them, files from other tools do not.
  std::string format;
  if (h5::read_string_attr(file.get(), "format", &format))
    STRATA_CHECK(format == "strata-shard", path << ": attribute 'format' is '" << format
                                                << "', expected 'strata-shard' (or no attribute "
                                                   "for files from other tools); "
                                                << kFix);
  int64_t version = 0;
  if (h5::read_int_attr(file.get(), "version", &version))
    STRATA_CHECK(version >= 1 && version <= kFormatVersion,
                 path << ": shard format version " << version << ", this build reads versions 1 to "
                      << kFormatVersion << "; update Strata or convert the data again");

  if (!h5::exists(file.get(), images)) {
    std::string held;
    for (const std::string& n : h5::root_names(file.get())) held += (held.empty() ? "" : ", ") + n;
    STRATA_THROW(path << ": dataset '" << images
                      << "' is missing (the file holds: " << (held.empty() ? "nothing" : held)
                      << "); name the images dataset in the config's data section (images: ...) "
                         "or convert the data with 'strata data convert'");
  }
  Handle dset(H5Dopen2(file.get(), images.c_str(), H5P_DEFAULT), H5Dclose);
  STRATA_CHECK(dset.valid(), path << ": '" << images << "' is not a dataset (" << h5::last_error()
                                  << "); name the images dataset in the config's data section");
  Handle type(H5Dget_type(dset.get()), H5Tclose);
  const H5T_class_t cls = H5Tget_class(type.get());
  const size_t size = H5Tget_size(type.get());
  if (cls == H5T_INTEGER && size == 1 && H5Tget_sign(type.get()) == H5T_SGN_NONE) {
    m.dtype = PixelType::kUint8;
  } else if (cls == H5T_FLOAT && size == 4) {
    m.dtype = PixelType::kFloat32;
  } else {
    STRATA_THROW(path << ": dataset '" << images << "' holds " << h5::describe_type(type.get())
                      << ", expected uint8 or float32; convert it (h5py: "
                         "f.create_dataset('images', data=x.astype('float32')))");
  }

  std::string layout;
  if (h5::read_string_attr(dset.get(), "layout", &layout) ||
      h5::read_string_attr(file.get(), "layout", &layout)) {
    m.layout = parse_layout(layout, path + ": dataset '" + images + "'");
    m.layout_from_file = true;
  } else {
    m.layout = options.default_layout;
  }

  Handle space(H5Dget_space(dset.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  hsize_t dims[4] = {0, 0, 0, 0};
  STRATA_CHECK(rank == 3 || rank == 4,
               path << ": dataset '" << images << "' has " << rank
                    << " dimensions, expected 4 (N x H x W x C or N x C x H x W) or 3 (N x H x W, "
                       "one channel); reshape it when writing the file");
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  m.count = static_cast<int64_t>(dims[0]);
  if (rank == 3) {
    m.channels = 1;
    m.height = static_cast<int64_t>(dims[1]);
    m.width = static_cast<int64_t>(dims[2]);
  } else if (m.layout == PixelLayout::kNHWC) {
    m.height = static_cast<int64_t>(dims[1]);
    m.width = static_cast<int64_t>(dims[2]);
    m.channels = static_cast<int64_t>(dims[3]);
  } else {
    m.channels = static_cast<int64_t>(dims[1]);
    m.height = static_cast<int64_t>(dims[2]);
    m.width = static_cast<int64_t>(dims[3]);
  }
  STRATA_CHECK(m.count > 0, path << ": dataset '" << images
                                 << "' is empty (found 0 samples, expected at least 1); remove "
                                    "the file from the data set or convert the data again");
  STRATA_CHECK(m.channels > 0 && m.height > 0 && m.width > 0,
               path << ": dataset '" << images << "' has an empty image shape " << m.channels << "x"
                    << m.height << "x" << m.width << " (C x H x W), expected sizes of "
                    << "at least 1; check the layout (" << layout_name(m.layout) << ")");

  if (!options.labels.empty()) {
    const std::string labels = h5::slash(options.labels);
    if (h5::exists(file.get(), labels)) {
      Handle ld(H5Dopen2(file.get(), labels.c_str(), H5P_DEFAULT), H5Dclose);
      STRATA_CHECK(ld.valid(), path << ": '" << labels << "' is not a dataset; name the labels "
                                    << "dataset in the config's data section (labels: ...)");
      Handle lt(H5Dget_type(ld.get()), H5Tclose);
      STRATA_CHECK(H5Tget_class(lt.get()) == H5T_INTEGER,
                   path << ": dataset '" << labels << "' holds " << h5::describe_type(lt.get())
                        << ", expected integer class indices (int64); write them as integers "
                           "(h5py: f.create_dataset('labels', data=y.astype('int64')))");
      Handle ls(H5Dget_space(ld.get()), H5Sclose);
      const int lrank = H5Sget_simple_extent_ndims(ls.get());
      hsize_t ldims[2] = {0, 0};
      STRATA_CHECK(lrank == 1 || lrank == 2, path << ": dataset '" << labels << "' has " << lrank
                                                  << " dimensions, expected 1 (N labels)");
      H5Sget_simple_extent_dims(ls.get(), ldims, nullptr);
      STRATA_CHECK(lrank == 1 || ldims[1] == 1, path << ": dataset '" << labels << "' is "
                                                     << ldims[0] << " x " << ldims[1]
                                                     << ", expected one label per sample (N)");
      STRATA_CHECK(static_cast<int64_t>(ldims[0]) == m.count,
                   path << ": dataset '" << labels << "' has " << ldims[0]
                        << " labels, expected one per image: " << m.count << " (dataset '" << images
                        << "'); write the file again with matching counts");
      m.has_labels = true;
    } else {
      STRATA_CHECK(!options.require_labels,
                   path << ": dataset '" << labels
                        << "' is missing and labels are required; name the labels dataset in the "
                           "config's data section (labels: ...) or convert with --labels");
    }
  }
  return m;
}

std::string shape_text(const ShardMeta& m) {
  std::ostringstream os;
  os << m.channels << "x" << m.height << "x" << m.width << " (C x H x W)";
  return os.str();
}

void check_agree(const ShardMeta& a, const ShardMeta& b, const std::string& images) {
  STRATA_CHECK(a.channels == b.channels && a.height == b.height && a.width == b.width,
               "shards disagree on the image shape of dataset '"
                   << images << "': " << b.path << " has " << shape_text(b) << ", expected "
                   << shape_text(a) << " as in " << a.path
                   << "; every shard of a data set must hold images of one shape");
  STRATA_CHECK(a.dtype == b.dtype,
               "shards disagree on the dtype of dataset '"
                   << images << "': " << b.path << " has " << dtype_name(b.dtype) << ", expected "
                   << dtype_name(a.dtype) << " as in " << a.path << "; convert them to one dtype");
  STRATA_CHECK(a.layout == b.layout, "shards disagree on the layout of dataset '"
                                         << images << "': " << b.path << " is "
                                         << layout_name(b.layout) << ", expected "
                                         << layout_name(a.layout) << " as in " << a.path
                                         << "; write them with one layout");
  STRATA_CHECK(a.has_labels == b.has_labels,
               "shards disagree on labels: "
                   << (a.has_labels ? b.path : a.path) << " has none, expected labels as in "
                   << (a.has_labels ? a.path : b.path) << "; give every shard labels or none");
}

}  // namespace

DatasetInfo open_dataset(const std::string& pattern, const DatasetOptions& options) {
  auto guard = h5::lock();
  h5::quiet();
  DatasetInfo info;
  info.options = options;
  ShardMeta first;
  for (const std::string& path : expand(pattern)) {
    const ShardMeta m = read_meta(path, options);
    if (info.shards.empty()) {
      first = m;
    } else {
      check_agree(first, m, h5::slash(options.images));
    }
    info.shards.push_back({m.path, m.count});
    info.total += m.count;
  }
  info.channels = first.channels;
  info.height = first.height;
  info.width = first.width;
  info.dtype = first.dtype;
  info.layout = first.layout;
  info.has_labels = first.has_labels;
  return info;
}

// ---- ShardFile ----

struct ShardFile::Impl {
  std::string path, images_name, labels_name;
  int64_t count = 0, sample_values = 0;
  hid_t mem_type = H5I_INVALID_HID;
  Handle file, images, images_space, labels, labels_space;

  // Selects samples [first, first + n) of a dataset's file space (all of each sample).
  static void select(hid_t space, int64_t first, int64_t n) {
    hsize_t start[4] = {static_cast<hsize_t>(first), 0, 0, 0};
    hsize_t dims[4] = {0, 0, 0, 0};
    H5Sget_simple_extent_dims(space, dims, nullptr);
    dims[0] = static_cast<hsize_t>(n);
    H5Sselect_hyperslab(space, H5S_SELECT_SET, start, nullptr, dims, nullptr);
  }
};

ShardFile::ShardFile(const ShardInfo& shard, const DatasetInfo& info)
    : impl_(std::make_unique<Impl>()) {
  auto guard = h5::lock();
  h5::quiet();
  Impl& s = *impl_;
  s.path = shard.path;
  s.count = shard.count;
  s.sample_values = info.sample_values();
  s.images_name = h5::slash(info.options.images);
  s.mem_type = info.dtype == PixelType::kUint8 ? H5T_NATIVE_UINT8 : H5T_NATIVE_FLOAT;
  s.file = open_file(shard.path);

  // Chunk cache: hold a few whole chunks (each a run of whole samples) so that reading runs of
  // samples decompresses every chunk once; w0 = 1 evicts fully read chunks first.
  const size_t value_bytes = info.dtype == PixelType::kUint8 ? 1 : 4;
  size_t chunk_bytes = static_cast<size_t>(s.sample_values) * value_bytes;
  {
    Handle d(H5Dopen2(s.file.get(), s.images_name.c_str(), H5P_DEFAULT), H5Dclose);
    STRATA_CHECK(d.valid(), shard.path
                                << ": dataset '" << s.images_name
                                << "' is missing (it was there when the data set was "
                                   "opened); was the file replaced? open the data set again");
    Handle dcpl(H5Dget_create_plist(d.get()), H5Pclose);
    if (H5Pget_layout(dcpl.get()) == H5D_CHUNKED) {
      hsize_t cdims[4] = {1, 1, 1, 1};
      const int r = H5Pget_chunk(dcpl.get(), 4, cdims);
      chunk_bytes = value_bytes;
      for (int i = 0; i < r; ++i) chunk_bytes *= cdims[i];
    }
  }
  const size_t cache_bytes =
      std::clamp<size_t>(4 * chunk_bytes, size_t{1} << 20, size_t{256} << 20);
  Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  H5Pset_chunk_cache(dapl.get(), 1021, cache_bytes, 1.0);
  s.images = Handle(H5Dopen2(s.file.get(), s.images_name.c_str(), dapl.get()), H5Dclose);
  STRATA_CHECK(s.images.valid(), shard.path << ": cannot open dataset '" << s.images_name << "' ("
                                            << h5::last_error() << ")");
  s.images_space = Handle(H5Dget_space(s.images.get()), H5Sclose);
  if (info.has_labels) {
    s.labels_name = h5::slash(info.options.labels);
    s.labels = Handle(H5Dopen2(s.file.get(), s.labels_name.c_str(), H5P_DEFAULT), H5Dclose);
    STRATA_CHECK(s.labels.valid(), shard.path << ": cannot open dataset '" << s.labels_name << "' ("
                                              << h5::last_error()
                                              << "); was the file replaced? open it again");
    s.labels_space = Handle(H5Dget_space(s.labels.get()), H5Sclose);
  }
}

ShardFile::~ShardFile() {
  auto guard = h5::lock();
  impl_.reset();
}

void ShardFile::read_images(int64_t first, int64_t count, void* out) {
  auto guard = h5::lock();
  h5::quiet();
  Impl& s = *impl_;
  STRATA_CHECK(first >= 0 && count >= 0 && first + count <= s.count,
               s.path << ": read of samples [" << first << ", " << first + count << ") of '"
                      << s.images_name << "', expected a range within [0, " << s.count
                      << "); this is a bug in the caller");
  if (count == 0) return;
  Impl::select(s.images_space.get(), first, count);
  // The memory space has the file selection's shape ([count, d1, d2, d3], not 1-D): HDF5 then
  // maps whole chunks at once instead of iterating element by element (10x on 28x28 samples).
  hsize_t mdims[4] = {0, 0, 0, 0};
  const int mrank = H5Sget_simple_extent_dims(s.images_space.get(), mdims, nullptr);
  mdims[0] = static_cast<hsize_t>(count);
  Handle mem(H5Screate_simple(mrank, mdims, nullptr), H5Sclose);
  if (H5Dread(s.images.get(), s.mem_type, mem.get(), s.images_space.get(), H5P_DEFAULT, out) < 0) {
    const std::string detail = h5::last_error();
    STRATA_THROW(s.path << ": reading samples [" << first << ", " << first + count << ") of '"
                        << s.images_name << "' failed (HDF5 says: '" << detail
                        << "'); the file is probably damaged: copy or convert it again");
  }
}

void ShardFile::read_labels(int64_t first, int64_t count, int64_t* out) {
  auto guard = h5::lock();
  h5::quiet();
  Impl& s = *impl_;
  STRATA_CHECK(s.labels.valid(), s.path << ": labels requested but the data set has none; "
                                           "this is a bug in the caller");
  STRATA_CHECK(first >= 0 && count >= 0 && first + count <= s.count,
               s.path << ": read of labels [" << first << ", " << first + count << ") of '"
                      << s.labels_name << "', expected a range within [0, " << s.count
                      << "); this is a bug in the caller");
  if (count == 0) return;
  Impl::select(s.labels_space.get(), first, count);
  const hsize_t n = static_cast<hsize_t>(count);
  Handle mem(H5Screate_simple(1, &n, nullptr), H5Sclose);
  if (H5Dread(s.labels.get(), H5T_NATIVE_INT64, mem.get(), s.labels_space.get(), H5P_DEFAULT, out) <
      0) {
    const std::string detail = h5::last_error();
    STRATA_THROW(s.path << ": reading labels [" << first << ", " << first + count << ") of '"
                        << s.labels_name << "' failed (HDF5 says: '" << detail
                        << "'); the file is probably damaged: copy or convert it again");
  }
}

}  // namespace strata
