// Checkpoint files: writing a StateRegistry and the run's position to one HDF5 file (atomically)
// and reading it back, checking that the file holds exactly the registered items. The folder of
// checkpoints (CheckpointDir, `latest`, resolve_checkpoint) is in checkpoint_dir.cpp.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <utility>
#include <vector>

#include "core/atomic_file.h"
#include "core/data/hdf5_util.h"
#include "core/error.h"
#include "trainers/run/checkpoint.h"

namespace strata {

using h5::Handle;

namespace {

constexpr const char* kFormat = "strata-checkpoint";
constexpr int64_t kVersion = 1;

std::string dataset_path(const StateItem& item) {
  return "/" + item.group + "/" + item.name;
}

// The shape a tensor is stored with: a scalar dataspace for rank 0, [0] for an empty tensor.
std::vector<hsize_t> stored_dims(const Tensor& t) {
  if (t.empty()) return {0};
  std::vector<hsize_t> dims;
  for (int i = 0; i < t.rank(); ++i) dims.push_back(static_cast<hsize_t>(t.dim(i)));
  return dims;
}

std::string dims_str(const std::vector<hsize_t>& dims) {
  std::ostringstream os;
  os << "[";
  for (size_t i = 0; i < dims.size(); ++i) os << (i ? ", " : "") << dims[i];
  os << "]";
  return os.str();
}

bool write_u64_attr(hid_t obj, const char* name, uint64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name, H5T_STD_U64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  return attr.valid() && H5Awrite(attr.get(), H5T_NATIVE_UINT64, &value) >= 0;
}

bool read_u64_attr(hid_t obj, const char* name, uint64_t* value) {
  if (H5Aexists(obj, name) <= 0) return false;
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_INTEGER) return false;
  return H5Aread(attr.get(), H5T_NATIVE_UINT64, value) >= 0;
}

bool write_dataset(hid_t file, hid_t lcpl, const StateItem& item) {
  const Tensor& t = *item.tensor;
  const std::vector<hsize_t> dims = stored_dims(t);
  Handle space(t.rank() == 0 && !t.empty()
                   ? H5Screate(H5S_SCALAR)
                   : H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
               H5Sclose);
  Handle ds(H5Dcreate2(file, dataset_path(item).c_str(), H5T_IEEE_F32LE, space.get(), lcpl,
                       H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose);
  if (!ds.valid()) return false;
  if (t.numel() == 0) return true;
  // HDF5 reads host memory: a tensor on a device is copied to the host first.
  const Tensor host = t.on_cpu() ? t : t.to(Device::cpu());
  return H5Dwrite(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, host.data()) >= 0;
}

bool write_meta(hid_t file, const CheckpointMeta& m) {
  bool ok = h5::write_string_attr(file, "format", kFormat);
  ok = ok && h5::write_int_attr(file, "version", kVersion);
  ok = ok && h5::write_int_attr(file, "phase", m.pos.phase);
  ok = ok && h5::write_int_attr(file, "epoch", m.pos.epoch);
  ok = ok && h5::write_int_attr(file, "step_in_epoch", m.pos.step_in_epoch);
  ok = ok && h5::write_int_attr(file, "global_step", m.pos.global_step);
  ok = ok && write_u64_attr(file, "seed", m.seed);
  ok = ok && h5::write_int_attr(file, "world_size", m.world_size);
  ok = ok && h5::write_string_attr(file, "config", m.config_yaml);
  return ok;
}

// Pushes the file's data to the disk before the rename makes it the checkpoint (best effort).
// Opens path and checks that it is a checkpoint this build reads.
Handle open_checkpoint(const std::string& path) {
  Handle fapl = h5::file_access();
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl.get()), H5Fclose);
  if (!file.valid()) {
    const std::string detail = h5::last_error();
    STRATA_THROW(path << ": cannot be opened as an HDF5 file (HDF5 says: '" << detail
                      << "'); it is missing, not a Strata checkpoint, or truncated (an "
                         "interrupted copy): pass another checkpoint, e.g. an earlier step-*.h5");
  }
  std::string format;
  int64_t version = 0;
  if (!h5::read_string_attr(file.get(), "format", &format) || format != kFormat) {
    h5::last_error();
    STRATA_THROW(path << ": not a Strata checkpoint (its root has no format attribute '" << kFormat
                      << "'); pass a step-*.h5 file from a run's checkpoints/ folder");
  }
  if (!h5::read_int_attr(file.get(), "version", &version) || version < 1 || version > kVersion) {
    h5::last_error();
    STRATA_THROW(path << ": a Strata checkpoint of version " << version << "; this build reads "
                      << "version " << kVersion << ": use the Strata that wrote it");
  }
  return file;
}

CheckpointMeta read_meta(hid_t file, const std::string& path) {
  CheckpointMeta m;
  int64_t world_size = 0;
  const std::pair<const char*, int64_t*> ints[] = {{"phase", &m.pos.phase},
                                                   {"epoch", &m.pos.epoch},
                                                   {"step_in_epoch", &m.pos.step_in_epoch},
                                                   {"global_step", &m.pos.global_step},
                                                   {"world_size", &world_size}};
  for (const auto& [name, value] : ints)
    STRATA_CHECK(h5::read_int_attr(file, name, value),
                 path << ": the checkpoint has no integer attribute '" << name
                      << "'; the file is damaged: use an earlier checkpoint");
  STRATA_CHECK(read_u64_attr(file, "seed", &m.seed),
               path << ": the checkpoint has no integer attribute 'seed'; the file is damaged: "
                       "use an earlier checkpoint");
  STRATA_CHECK(h5::read_string_attr(file, "config", &m.config_yaml),
               path << ": the checkpoint has no string attribute 'config'; the file is damaged: "
                       "use an earlier checkpoint");
  m.world_size = static_cast<int>(world_size);
  return m;
}

// Every dataset (and any other non-group object) under loc, as "/a/b/c".
struct Walk {
  std::vector<std::string> objects;
  std::string prefix;
};

herr_t walk_link(hid_t loc, const char* name, const H5L_info_t*, void* data) {
  auto* w = static_cast<Walk*>(data);
  Handle obj(H5Oopen(loc, name, H5P_DEFAULT), H5Oclose);
  const std::string path = w->prefix + "/" + name;
  if (obj.valid() && H5Iget_type(obj.get()) == H5I_GROUP) {
    const std::string saved = std::exchange(w->prefix, path);
    const herr_t r = H5Literate(obj.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, walk_link, w);
    w->prefix = saved;
    return r < 0 ? -1 : 0;
  }
  w->objects.push_back(path);
  return 0;
}

Shape to_shape(const std::vector<hsize_t>& d) {
  Shape s;
  switch (d.size()) {
    case 0:
      s = Shape{};
      break;
    case 1:
      s = Shape{int64_t(d[0])};
      break;
    case 2:
      s = Shape{int64_t(d[0]), int64_t(d[1])};
      break;
    case 3:
      s = Shape{int64_t(d[0]), int64_t(d[1]), int64_t(d[2])};
      break;
    default:
      s = Shape{int64_t(d[0]), int64_t(d[1]), int64_t(d[2]), int64_t(d[3])};
      break;
  }
  return s;
}

// An open dataset of the file, checked against its registered tensor.
struct Planned {
  std::string where;
  Handle ds;
  Tensor* tensor;
  Device device;  // where an empty tensor is made
  std::vector<hsize_t> dims;
  int64_t count;
};

Planned plan_item(hid_t file, const std::string& path, const StateItem& item) {
  const std::string where = dataset_path(item);
  const std::string registered = item.tensor->empty() ? "empty" : item.tensor->shape().str();
  STRATA_CHECK(h5::exists(file, where),
               path << ": the checkpoint has no " << where << " (registered with shape "
                    << registered << "): it was written for a different model or optimizer; "
                    << "resume with the config it was saved with (its 'config' attribute)");
  Handle ds(H5Dopen2(file, where.c_str(), H5P_DEFAULT), H5Dclose);
  STRATA_CHECK(ds.valid(), path << ": " << where << " is not a dataset (HDF5 says: '"
                                << h5::last_error() << "'); the file is damaged: use an earlier "
                                << "checkpoint");
  Handle type(H5Dget_type(ds.get()), H5Tclose);
  STRATA_CHECK(H5Tget_class(type.get()) == H5T_FLOAT && H5Tget_size(type.get()) == 4,
               path << ": " << where << " holds " << h5::describe_type(type.get())
                    << ", expected float32; the file was not written by Strata");
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  STRATA_CHECK(rank >= 0 && rank <= Shape::kMaxRank,
               path << ": " << where << " has " << rank << " dimensions, at most "
                    << Shape::kMaxRank << " expected; the file was not written by Strata");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  const int64_t count = H5Sget_simple_extent_npoints(space.get());
  const bool resize = item.tensor->empty() && count > 0;  // optimizer state before a step
  STRATA_CHECK(resize || count == item.tensor->numel(),
               path << ": " << where << " has shape " << dims_str(dims) << " (" << count
                    << " values) but is registered with shape " << registered << " ("
                    << item.tensor->numel() << " values): the checkpoint is of a different "
                    << "model; resume with the config it was saved with");
  return {where, std::move(ds), item.tensor, item.device, std::move(dims), count};
}

}  // namespace

void write_checkpoint(const std::string& path, const StateRegistry& state,
                      const CheckpointMeta& meta) {
  auto guard = h5::lock();
  h5::quiet();
  AtomicFile out(path);
  const std::string& tmp = out.temp_path();
  Handle fapl = h5::file_access();
  Handle file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get()), H5Fclose);
  if (!file.valid()) {
    const std::string detail = h5::last_error();
    STRATA_THROW(path << ": cannot create the checkpoint's temporary file " << tmp
                      << " (HDF5 says: '" << detail
                      << "'); check that the folder exists and is writable");
  }
  Handle lcpl(H5Pcreate(H5P_LINK_CREATE), H5Pclose);
  bool ok = H5Pset_create_intermediate_group(lcpl.get(), 1) >= 0;
  std::string failed_item;
  for (const StateItem& item : state.items()) {
    if (!ok) break;
    ok = write_dataset(file.get(), lcpl.get(), item);
    if (!ok) failed_item = dataset_path(item);
  }
  ok = ok && write_meta(file.get(), meta);
  ok = ok && H5Fflush(file.get(), H5F_SCOPE_LOCAL) >= 0;
  ok = file.reset() && ok;
  if (!ok) {
    const std::string detail = h5::last_error();
    file.reset();
    STRATA_THROW(path << ": writing the checkpoint failed"
                      << (failed_item.empty() ? "" : " at " + failed_item) << " (HDF5 says: '"
                      << detail << "'); check free disk space (nothing was left behind)");
  }
  out.commit();
}

CheckpointMeta read_checkpoint_meta(const std::string& path) {
  auto guard = h5::lock();
  h5::quiet();
  Handle file = open_checkpoint(path);
  return read_meta(file.get(), path);
}

CheckpointMeta read_checkpoint(const std::string& path, StateRegistry& state) {
  auto guard = h5::lock();
  h5::quiet();
  Handle file = open_checkpoint(path);
  CheckpointMeta meta = read_meta(file.get(), path);

  // Check everything before changing any tensor: a failed read leaves the model as it was.
  Walk walk;
  if (H5Literate(file.get(), H5_INDEX_NAME, H5_ITER_INC, nullptr, walk_link, &walk) < 0) {
    const std::string detail = h5::last_error();
    STRATA_THROW(path << ": cannot list the checkpoint's datasets (HDF5 says: '" << detail
                      << "'); the file is damaged: use an earlier checkpoint");
  }
  for (const std::string& object : walk.objects) {
    bool registered = false;
    for (const StateItem& item : state.items()) registered |= dataset_path(item) == object;
    STRATA_CHECK(registered, path << ": the checkpoint holds " << object
                                  << ", which this model does not have: it was written for a "
                                  << "different model or optimizer; resume with the config it "
                                  << "was saved with (its 'config' attribute)");
  }
  std::vector<Planned> plan;
  for (const StateItem& item : state.items()) plan.push_back(plan_item(file.get(), path, item));

  // Every dataset into host memory first (HDF5 writes host memory; and a read that fails half way
  // changes no tensor), then into the tensors wherever they live. An empty tensor is made on its
  // item's device.
  std::vector<Tensor> values(plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    Planned& p = plan[i];
    if (p.count == 0) continue;
    values[i] = Tensor(to_shape(p.dims));
    if (H5Dread(p.ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values[i].data()) <
        0) {
      const std::string detail = h5::last_error();
      STRATA_THROW(path << ": reading " << p.where << " failed (HDF5 says: '" << detail
                        << "'); the file is damaged or truncated: use an earlier checkpoint");
    }
  }
  for (size_t i = 0; i < plan.size(); ++i) {
    Planned& p = plan[i];
    if (p.count == 0) continue;
    if (p.tensor->empty()) *p.tensor = Tensor(values[i].shape(), p.device);
    copy(*p.tensor, values[i]);
  }
  return meta;
}

}  // namespace strata
