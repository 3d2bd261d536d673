// checkpoint_digest FILE.h5: one line per dataset of an HDF5 file - its path, shape and a 64-bit
// FNV-1a hash of its raw bytes - and the integer attributes of the root (a checkpoint's position),
// sorted by path. Two checkpoints whose digests are equal hold the same tensors bit for bit
// (file bytes differ anyway: HDF5 stores times). Used to compare runs before and after a change
// (tests/tools/smoke_fingerprints.sh).
#include <hdf5.h>

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace {

std::map<std::string, std::string> g_lines;

uint64_t fnv1a(const unsigned char* p, size_t n) {
  uint64_t h = 1469598103934665603ULL;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

#if H5_VERSION_GE(1, 12, 0)
using ObjectInfo = H5O_info2_t;
#else
using ObjectInfo = H5O_info_t;
#endif

herr_t visit(hid_t root, const char* name, const ObjectInfo* info, void*) {
  if (info->type != H5O_TYPE_DATASET) return 0;
  const hid_t d = H5Dopen2(root, name, H5P_DEFAULT);
  const hid_t space = H5Dget_space(d);
  const hid_t type = H5Dget_type(d);
  const int rank = H5Sget_simple_extent_ndims(space);
  std::vector<hsize_t> dims(rank > 0 ? rank : 0);
  if (rank > 0) H5Sget_simple_extent_dims(space, dims.data(), nullptr);
  const size_t bytes = static_cast<size_t>(H5Sget_simple_extent_npoints(space)) * H5Tget_size(type);
  std::vector<unsigned char> data(bytes);
  if (bytes > 0) H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data());
  std::string shape = "[";
  for (int i = 0; i < rank; ++i) shape += (i ? "," : "") + std::to_string(dims[i]);
  shape += "]";
  char line[96];
  std::snprintf(line, sizeof(line), "%s %016llx", shape.c_str(),
                static_cast<unsigned long long>(fnv1a(data.data(), bytes)));
  g_lines[std::string("/") + name] = line;
  H5Tclose(type);
  H5Sclose(space);
  H5Dclose(d);
  return 0;
}

herr_t attribute(hid_t loc, const char* name, const H5A_info_t*, void*) {
  const hid_t a = H5Aopen(loc, name, H5P_DEFAULT);
  const hid_t type = H5Aget_type(a);
  if (H5Tget_class(type) == H5T_INTEGER) {
    long long v = 0;
    H5Aread(a, H5T_NATIVE_LLONG, &v);
    g_lines[std::string("@") + name] = std::to_string(v);
  }
  H5Tclose(type);
  H5Aclose(a);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: checkpoint_digest FILE.h5\n");
    return 2;
  }
  const hid_t f = H5Fopen(argv[1], H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    std::fprintf(stderr, "checkpoint_digest: cannot open %s\n", argv[1]);
    return 1;
  }
#if H5_VERSION_GE(1, 12, 0)
  H5Ovisit3(f, H5_INDEX_NAME, H5_ITER_INC, visit, nullptr, H5O_INFO_BASIC);
#else
  H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_INC, visit, nullptr, H5O_INFO_BASIC);
#endif
  H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, nullptr, attribute, nullptr);
  H5Fclose(f);
  for (const auto& [path, line] : g_lines) std::printf("%s %s\n", path.c_str(), line.c_str());
  return 0;
}
