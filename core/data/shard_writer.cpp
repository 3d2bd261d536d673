// ShardWriter: one Strata shard written to a temporary name and renamed into place by finish().
#include "core/data/shard_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <optional>

#include "core/atomic_file.h"
#include "core/data/hdf5_util.h"
#include "core/error.h"

namespace strata {

using h5::Handle;

struct ShardWriter::Impl {
  std::string path;
  std::optional<AtomicFile> out;  // the file under its temporary name until finish()
  const std::string& tmp() const { return out->temp_path(); }
  int64_t capacity = 0, written = 0, sample_values = 0;
  ShardWriterOptions options;
  hid_t mem_type = H5I_INVALID_HID;
  Handle file, images, labels;
  bool finished = false;

  // Closes every handle (datasets before the file, so the file really closes); false when HDF5
  // reports an error on the way (the data may not be on disk).
  bool close() {
    bool ok = images.reset();
    ok = labels.reset() && ok;
    ok = file.reset() && ok;
    return ok;
  }
};

namespace {

Handle create_plist(int rank, const hsize_t* chunk, bool gzip) {
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(dcpl.get(), rank, chunk);
  if (gzip) {
    H5Pset_shuffle(dcpl.get());
    H5Pset_deflate(dcpl.get(), 4);
  }
  return dcpl;
}

}  // namespace

ShardWriter::ShardWriter(const std::string& path, int64_t capacity,
                         const ShardWriterOptions& options)
    : impl_(std::make_unique<Impl>()) {
  auto guard = h5::lock();
  h5::quiet();
  Impl& w = *impl_;
  w.path = path;
  w.out.emplace(path);
  w.capacity = capacity;
  w.options = options;
  w.sample_values = options.channels * options.height * options.width;
  w.mem_type = options.dtype == PixelType::kUint8 ? H5T_NATIVE_UINT8 : H5T_NATIVE_FLOAT;
  STRATA_CHECK(capacity > 0, path << ": a shard of " << capacity
                                  << " samples, expected at least 1 (an empty shard is an error "
                                     "when read)");
  STRATA_CHECK(options.channels > 0 && options.height > 0 && options.width > 0,
               path << ": image shape " << options.channels << "x" << options.height << "x"
                    << options.width << " (C x H x W), expected sizes of at least 1");
  if (options.gzip)
    STRATA_CHECK(H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0 && H5Zfilter_avail(H5Z_FILTER_SHUFFLE) > 0,
                 path << ": gzip compression asked for, but this HDF5 library has no deflate or "
                         "shuffle filter; use --compression none");

  Handle fapl = h5::file_access();
  w.file = Handle(H5Fcreate(w.tmp().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!w.file.valid()) {
    const std::string detail = h5::last_error();
    STRATA_THROW(w.tmp() << ": cannot create the shard file (HDF5 says: '" << detail
                         << "'); check that the folder exists and is writable");
  }

  const int64_t sample_bytes = w.sample_values * (options.dtype == PixelType::kUint8 ? 1 : 4);
  int64_t chunk = options.chunk_samples > 0 ? options.chunk_samples
                                            : std::max<int64_t>(1, (1 << 20) / sample_bytes);
  chunk = std::min(chunk, capacity);
  const bool nhwc = options.layout == PixelLayout::kNHWC;
  const hsize_t n = static_cast<hsize_t>(capacity);
  const hsize_t c = options.channels, h = options.height, wd = options.width;
  const hsize_t dims[4] = {n, nhwc ? h : c, nhwc ? wd : h, nhwc ? c : wd};
  const hsize_t cdims[4] = {static_cast<hsize_t>(chunk), dims[1], dims[2], dims[3]};
  Handle space(H5Screate_simple(4, dims, nullptr), H5Sclose);
  Handle dcpl = create_plist(4, cdims, options.gzip);
  const hid_t file_type = options.dtype == PixelType::kUint8 ? H5T_STD_U8LE : H5T_IEEE_F32LE;
  w.images = Handle(H5Dcreate2(w.file.get(), "/images", file_type, space.get(), H5P_DEFAULT,
                               dcpl.get(), H5P_DEFAULT),
                    H5Dclose);
  bool ok = w.images.valid();
  ok = ok && h5::write_string_attr(w.images.get(), "layout", nhwc ? "NHWC" : "NCHW");
  if (options.labels) {
    const hsize_t lchunk = static_cast<hsize_t>(std::min<int64_t>(capacity, 1 << 16));
    Handle lspace(H5Screate_simple(1, &n, nullptr), H5Sclose);
    Handle lcpl = create_plist(1, &lchunk, options.gzip);
    w.labels = Handle(H5Dcreate2(w.file.get(), "/labels", H5T_STD_I64LE, lspace.get(), H5P_DEFAULT,
                                 lcpl.get(), H5P_DEFAULT),
                      H5Dclose);
    ok = ok && w.labels.valid();
  }
  ok = ok && h5::write_string_attr(w.file.get(), "format", "strata-shard");
  ok = ok && h5::write_int_attr(w.file.get(), "version", 1);
  ok = ok && h5::write_string_attr(w.file.get(), "layout", nhwc ? "NHWC" : "NCHW");
  if (!options.class_names.empty())
    ok = ok && h5::write_string_array_attr(w.file.get(), "class_names", options.class_names);
  if (!ok) {
    const std::string detail = h5::last_error();
    w.close();
    STRATA_THROW(w.tmp() << ": cannot create the shard's datasets (HDF5 says: '" << detail
                         << "'); check free disk space");
  }
}

ShardWriter::~ShardWriter() {
  auto guard = h5::lock();
  if (!impl_->finished) impl_->close();  // the AtomicFile then removes the temporary file
}

void ShardWriter::append(const void* images, const int64_t* labels, int64_t count) {
  auto guard = h5::lock();
  h5::quiet();
  Impl& w = *impl_;
  STRATA_CHECK(!w.finished, w.path << ": append after finish(); this is a bug in the caller");
  STRATA_CHECK(count >= 0 && w.written + count <= w.capacity,
               w.path << ": appending " << count << " samples to " << w.written
                      << " would exceed the shard's capacity of " << w.capacity
                      << "; this is a bug in the caller");
  STRATA_CHECK((labels != nullptr) == w.options.labels,
               w.path << ": labels " << (labels ? "given" : "missing") << " for a shard "
                      << (w.options.labels ? "with" : "without")
                      << " labels; this is a bug in the caller");
  if (count == 0) return;
  const hsize_t start[4] = {static_cast<hsize_t>(w.written), 0, 0, 0};
  bool ok = true;
  {
    Handle fspace(H5Dget_space(w.images.get()), H5Sclose);
    hsize_t dims[4];
    H5Sget_simple_extent_dims(fspace.get(), dims, nullptr);
    dims[0] = static_cast<hsize_t>(count);
    H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, dims, nullptr);
    const hsize_t n = static_cast<hsize_t>(count * w.sample_values);
    Handle mspace(H5Screate_simple(1, &n, nullptr), H5Sclose);
    ok = H5Dwrite(w.images.get(), w.mem_type, mspace.get(), fspace.get(), H5P_DEFAULT, images) >= 0;
  }
  if (ok && labels) {
    Handle fspace(H5Dget_space(w.labels.get()), H5Sclose);
    const hsize_t n = static_cast<hsize_t>(count);
    H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, start, nullptr, &n, nullptr);
    Handle mspace(H5Screate_simple(1, &n, nullptr), H5Sclose);
    ok = H5Dwrite(w.labels.get(), H5T_NATIVE_INT64, mspace.get(), fspace.get(), H5P_DEFAULT,
                  labels) >= 0;
  }
  if (!ok) {
    const std::string detail = h5::last_error();
    STRATA_THROW(w.tmp() << ": writing samples [" << w.written << ", " << w.written + count
                         << ") failed (HDF5 says: '" << detail << "'); check free disk space");
  }
  w.written += count;
}

void ShardWriter::finish() {
  auto guard = h5::lock();
  h5::quiet();
  Impl& w = *impl_;
  STRATA_CHECK(!w.finished, w.path << ": finish() called twice; this is a bug in the caller");
  STRATA_CHECK(w.written == w.capacity, w.path << ": finish() after " << w.written
                                               << " samples, expected the shard's capacity of "
                                               << w.capacity << "; this is a bug in the caller");
  const bool flushed = H5Fflush(w.file.get(), H5F_SCOPE_LOCAL) >= 0;
  const bool closed = w.close();
  w.finished = true;
  if (!flushed || !closed) {
    const std::string detail = h5::last_error();
    STRATA_THROW(w.tmp() << ": closing the shard failed (HDF5 says: '" << detail
                         << "'); check free disk space and convert again");
  }
  w.out->commit();
}

}  // namespace strata
