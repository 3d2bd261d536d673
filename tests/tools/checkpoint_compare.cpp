// checkpoint_compare A.h5 B.h5 [RTOL]: compares the float datasets of two checkpoints (or any two
// HDF5 files with the same float datasets). Per dataset it prints the largest absolute difference
// and that difference relative to the largest magnitude in A's dataset; exits 0 when every
// relative difference is at most RTOL (default 1e-3), 1 when one is larger or the files do not
// hold the same float datasets of the same sizes, 2 on bad usage. Used where two runs must agree
// to rounding rather than bit for bit (tests/device/graphs.sh: 2 ranks against 1 rank on a GPU).
#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

namespace {

using Datasets = std::map<std::string, std::vector<float>>;

#if H5_VERSION_GE(1, 12, 0)
using ObjectInfo = H5O_info2_t;
#else
using ObjectInfo = H5O_info_t;
#endif

herr_t visit(hid_t root, const char* name, const ObjectInfo* info, void* out) {
  if (info->type != H5O_TYPE_DATASET) return 0;
  const hid_t d = H5Dopen2(root, name, H5P_DEFAULT);
  const hid_t type = H5Dget_type(d);
  if (H5Tget_class(type) == H5T_FLOAT) {
    const hid_t space = H5Dget_space(d);
    std::vector<float> v(static_cast<size_t>(H5Sget_simple_extent_npoints(space)));
    if (!v.empty()) H5Dread(d, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
    (*static_cast<Datasets*>(out))[std::string("/") + name] = std::move(v);
    H5Sclose(space);
  }
  H5Tclose(type);
  H5Dclose(d);
  return 0;
}

bool read(const char* path, Datasets& out) {
  const hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (f < 0) {
    std::fprintf(stderr, "checkpoint_compare: cannot open %s\n", path);
    return false;
  }
#if H5_VERSION_GE(1, 12, 0)
  H5Ovisit3(f, H5_INDEX_NAME, H5_ITER_INC, visit, &out, H5O_INFO_BASIC);
#else
  H5Ovisit2(f, H5_INDEX_NAME, H5_ITER_INC, visit, &out, H5O_INFO_BASIC);
#endif
  H5Fclose(f);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3 && argc != 4) {
    std::fprintf(stderr, "usage: checkpoint_compare A.h5 B.h5 [RTOL]\n");
    return 2;
  }
  const double rtol = argc == 4 ? std::atof(argv[3]) : 1e-3;
  Datasets a, b;
  if (!read(argv[1], a) || !read(argv[2], b)) return 1;
  int status = 0;
  double worst = 0;
  for (const auto& [name, va] : a) {
    const auto it = b.find(name);
    if (it == b.end() || it->second.size() != va.size()) {
      std::printf("%s: missing or of another size in %s\n", name.c_str(), argv[2]);
      status = 1;
      continue;
    }
    double max_abs = 0, max_diff = 0;
    for (size_t i = 0; i < va.size(); ++i) {
      max_abs = std::max(max_abs, std::fabs(static_cast<double>(va[i])));
      const double d = std::fabs(static_cast<double>(va[i]) - it->second[i]);
      max_diff = std::isnan(d) ? INFINITY : std::max(max_diff, d);
    }
    const double rel = max_abs > 0 ? max_diff / max_abs : max_diff;
    worst = std::max(worst, rel);
    std::printf("%s: %zu values, max |a-b| %.3g, relative %.3g\n", name.c_str(), va.size(),
                max_diff, rel);
    if (!(rel <= rtol)) status = 1;
  }
  for (const auto& [name, vb] : b)
    if (a.find(name) == a.end()) {
      std::printf("%s: missing in %s\n", name.c_str(), argv[1]);
      status = 1;
    }
  std::printf("checkpoint_compare: worst relative difference %.3g (tolerance %.3g): %s\n", worst,
              rtol, status == 0 ? "agree" : "DIFFER");
  return status;
}
