// IDX files (the MNIST / Fashion-MNIST format), gzip'd or not: big-endian magic
// 0x0000 08 D (unsigned bytes, D dimensions), D big-endian uint32 sizes, then the values.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace strata {

struct IdxArray {
  std::vector<int64_t> dims;  // e.g. {60000, 28, 28} or {60000}
  std::vector<uint8_t> values;
};

// Reads a whole IDX file of unsigned bytes. Throws strata::Error naming the file for a missing
// file, a wrong magic number, or a file shorter than its header says.
IdxArray read_idx(const std::string& path);

}  // namespace strata
