#include "core/data/idx.h"

#include <zlib.h>

#include <memory>

#include "core/error.h"

namespace strata {

namespace {
struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};

uint32_t read_be32(gzFile f, const std::string& path) {
  unsigned char b[4];
  STRATA_CHECK(gzread(f, b, 4) == 4, path << ": not an IDX file (too short for its header)");
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
}
}  // namespace

IdxArray read_idx(const std::string& path) {
  std::unique_ptr<gzFile_s, GzCloser> f(gzopen(path.c_str(), "rb"));
  STRATA_CHECK(f != nullptr, path << ": cannot open (does the file exist? on Debian the "
                                     "Fashion-MNIST files come with 'apt-get install "
                                     "dataset-fashion-mnist')");
  const uint32_t magic = read_be32(f.get(), path);
  STRATA_CHECK((magic >> 8) == 0x08 && (magic & 0xff) >= 1 && (magic & 0xff) <= 4,
               path << ": not an IDX file of unsigned bytes (magic 0x" << std::hex << magic
                    << ", expected 0x0000080D with D dimensions)");
  IdxArray a;
  int64_t total = 1;
  for (uint32_t d = 0; d < (magic & 0xff); ++d) {
    a.dims.push_back(read_be32(f.get(), path));
    total *= a.dims.back();
  }
  a.values.resize(static_cast<size_t>(total));
  int64_t got = 0;
  while (got < total) {
    const int chunk = static_cast<int>(std::min<int64_t>(total - got, 1 << 30));
    const int r = gzread(f.get(), a.values.data() + got, chunk);
    STRATA_CHECK(r > 0, path << ": truncated: header says " << total << " values, file has " << got
                             << "; download or convert it again");
    got += r;
  }
  return a;
}

}  // namespace strata
