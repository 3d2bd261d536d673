#include "trainers/run/event_file.h"

#include <array>
#include <cstring>

namespace strata {

namespace {

std::array<uint32_t, 256> crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
    t[i] = c;
  }
  return t;
}

void put_le(std::string& out, uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

}  // namespace

uint32_t crc32c(const void* data, size_t n) {
  static const std::array<uint32_t, 256> table = crc_table();
  const auto* p = static_cast<const unsigned char*>(data);
  uint32_t c = 0xffffffffu;
  for (size_t i = 0; i < n; ++i) c = table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffu;
}

uint32_t masked_crc32c(const void* data, size_t n) {
  const uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string frame_record(std::string_view data) {
  std::string out;
  out.reserve(data.size() + 16);
  put_le(out, data.size(), 8);
  put_le(out, masked_crc32c(out.data(), 8), 4);
  out.append(data);
  put_le(out, masked_crc32c(data.data(), data.size()), 4);
  return out;
}

RecordRead read_records(std::string_view bytes) {
  RecordRead r;
  size_t pos = 0;
  while (bytes.size() - pos >= 12) {
    const char* head = bytes.data() + pos;
    if (get_le(head + 8, 4) != masked_crc32c(head, 8)) break;
    const uint64_t length = get_le(head, 8);
    if (length > bytes.size() - pos - 12 || bytes.size() - pos - 12 - length < 4) break;
    const char* data = head + 12;
    if (get_le(data + length, 4) != masked_crc32c(data, length)) break;
    r.records.emplace_back(data, length);
    pos += 16 + length;
  }
  r.whole_bytes = pos;
  return r;
}

}  // namespace strata
