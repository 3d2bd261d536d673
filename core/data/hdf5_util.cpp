#include "core/data/hdf5_util.h"

#include <cstring>

namespace strata::h5 {

std::unique_lock<std::recursive_mutex> lock() {
#ifdef H5_HAVE_THREADSAFE
  return {};  // the library holds its own global lock
#else
  static std::recursive_mutex m;
  return std::unique_lock<std::recursive_mutex>(m);
#endif
}

void quiet() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

namespace {
herr_t keep_innermost(unsigned n, const H5E_error2_t* err, void* data) {
  auto* out = static_cast<std::string*>(data);
  if (n == 0 && err->desc) *out = err->desc;  // H5E_WALK_UPWARD: 0 is where it started
  return 0;
}

herr_t collect_name(hid_t, const char* name, const H5L_info_t*, void* data) {
  static_cast<std::vector<std::string>*>(data)->push_back(std::string("/") + name);
  return 0;
}
}  // namespace

std::string last_error() {
  std::string desc;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, keep_innermost, &desc);
  H5Eclear2(H5E_DEFAULT);
  return desc;
}

Handle file_access() {
  Handle fapl(H5Pcreate(H5P_FILE_ACCESS), H5Pclose);
#if H5_VERSION_GE(1, 10, 7) && !(H5_VERS_MAJOR == 1 && H5_VERS_MINOR == 12 && H5_VERS_RELEASE < 1)
  H5Pset_file_locking(fapl.get(), false, true);
#endif
  return fapl;
}

bool exists(hid_t file, const std::string& name) {
  // H5Lexists fails (rather than answering false) when an intermediate group is missing, so
  // walk the path one component at a time.
  std::string path;
  size_t start = name.empty() || name[0] != '/' ? 0 : 1;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string::npos) end = name.size();
    if (end > start) {
      path.push_back('/');
      path.append(name, start, end - start);
      if (H5Lexists(file, path.c_str(), H5P_DEFAULT) <= 0) return false;
    }
    start = end + 1;
  }
  if (path.empty()) return false;
  return H5Oexists_by_name(file, path.c_str(), H5P_DEFAULT) > 0;
}

std::vector<std::string> root_names(hid_t file) {
  std::vector<std::string> names;
  H5Literate(file, H5_INDEX_NAME, H5_ITER_INC, nullptr, collect_name, &names);
  H5Eclear2(H5E_DEFAULT);
  return names;
}

bool read_string_attr(hid_t obj, const char* name, std::string* value) {
  if (H5Aexists(obj, name) <= 0) return false;
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  if (!attr.valid()) return false;
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING) return false;
  if (H5Tis_variable_str(type.get()) > 0) {
    Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mem.get(), H5T_VARIABLE);
    H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
    char* s = nullptr;
    if (H5Aread(attr.get(), mem.get(), &s) < 0) return false;
    *value = s ? s : "";
    Handle space(H5Aget_space(attr.get()), H5Sclose);
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, &s);
    return true;
  }
  const size_t size = H5Tget_size(type.get());
  std::string buf(size, '\0');
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), size);
  H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);
  if (H5Aread(attr.get(), mem.get(), buf.data()) < 0) return false;
  buf.resize(std::strlen(buf.c_str()));
  *value = buf;
  return true;
}

bool read_int_attr(hid_t obj, const char* name, int64_t* value) {
  if (H5Aexists(obj, name) <= 0) return false;
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_INTEGER) return false;
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  if (H5Sget_simple_extent_npoints(space.get()) != 1) return false;
  return H5Aread(attr.get(), H5T_NATIVE_INT64, value) >= 0;
}

bool read_string_array_attr(hid_t obj, const char* name, std::vector<std::string>* values) {
  if (H5Aexists(obj, name) <= 0) return false;
  Handle attr(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) <= 0) return false;
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  if (n < 0) return false;
  std::vector<char*> ptrs(static_cast<size_t>(n), nullptr);
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(mem.get(), H5T_VARIABLE);
  H5Tset_cset(mem.get(), H5Tget_cset(type.get()));
  if (H5Aread(attr.get(), mem.get(), ptrs.data()) < 0) return false;
  values->clear();
  for (char* p : ptrs) values->push_back(p ? p : "");
  H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
  return true;
}

namespace {
Handle vlen_utf8() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}
}  // namespace

bool write_string_attr(hid_t obj, const char* name, const std::string& value) {
  Handle type = vlen_utf8();
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const char* s = value.c_str();
  return attr.valid() && H5Awrite(attr.get(), type.get(), &s) >= 0;
}

bool write_int_attr(hid_t obj, const char* name, int64_t value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(H5Acreate2(obj, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              H5Aclose);
  return attr.valid() && H5Awrite(attr.get(), H5T_NATIVE_INT64, &value) >= 0;
}

bool write_string_array_attr(hid_t obj, const char* name, const std::vector<std::string>& values) {
  Handle type = vlen_utf8();
  const hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  Handle attr(H5Acreate2(obj, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  std::vector<const char*> ptrs;
  for (const std::string& v : values) ptrs.push_back(v.c_str());
  return attr.valid() && H5Awrite(attr.get(), type.get(), ptrs.data()) >= 0;
}

std::string describe_type(hid_t type) {
  const size_t bits = H5Tget_size(type) * 8;
  switch (H5Tget_class(type)) {
    case H5T_INTEGER:
      return (H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int") + std::to_string(bits);
    case H5T_FLOAT:
      return "float" + std::to_string(bits);
    case H5T_STRING:
      return "string";
    case H5T_COMPOUND:
      return "compound";
    case H5T_ENUM:
      return "enum";
    default:
      return "a non-numeric type";
  }
}

std::string slash(const std::string& name) {
  return !name.empty() && name[0] == '/' ? name : "/" + name;
}

}  // namespace strata::h5
