// Small helpers over the HDF5 C API shared by the shard reader and writer: owned handles, a
// quiet error stack turned into text for our own messages, and string/int attributes.
#pragma once

#include <hdf5.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

namespace strata::h5 {

// An owned HDF5 identifier, closed with the matching H5?close when it goes out of scope.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      close_ = o.close_;
      o.id_ = H5I_INVALID_HID;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Closes now; returns false when HDF5 reports a failure (a write that did not reach the disk).
  bool reset() {
    bool ok = true;
    if (id_ >= 0 && close_) ok = close_(id_) >= 0;
    id_ = H5I_INVALID_HID;
    return ok;
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

// Serialises HDF5 calls when the library was built without its own thread-safety lock.
std::unique_lock<std::recursive_mutex> lock();

// Stops HDF5 from printing its error stack (per thread in thread-safe builds): our messages say
// what went wrong instead. Call at every entry point that may run on a new thread.
void quiet();

// The innermost description on this thread's HDF5 error stack ("" when empty), then clears it.
std::string last_error();

// A file access property list that does not lock files (shards on read-only file systems).
Handle file_access();

// Whether `name` (a path such as "images" or "/group/x") names an object in `file`.
bool exists(hid_t file, const std::string& name);

// Dataset names at the root of `file`, for "it holds: ..." hints.
std::vector<std::string> root_names(hid_t file);

// A string attribute (fixed-length or variable-length); false when absent.
bool read_string_attr(hid_t obj, const char* name, std::string* value);
// An integer attribute; false when absent or not an integer.
bool read_int_attr(hid_t obj, const char* name, int64_t* value);
// A string-array attribute (variable-length); false when absent.
bool read_string_array_attr(hid_t obj, const char* name, std::vector<std::string>* values);

// Attributes written as variable-length UTF-8 strings (what h5py reads back as str).
bool write_string_attr(hid_t obj, const char* name, const std::string& value);
bool write_int_attr(hid_t obj, const char* name, int64_t value);
bool write_string_array_attr(hid_t obj, const char* name, const std::vector<std::string>& values);

// "uint8", "int16", "float64", ... for messages.
std::string describe_type(hid_t type);

// "/images" for "images": how datasets are named in messages.
std::string slash(const std::string& name);

}  // namespace strata::h5
