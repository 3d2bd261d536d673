// TFRecord framing, the container of TensorBoard's events files. Each record is
//   uint64 length, uint32 masked crc32c(length), length bytes of data, uint32 masked crc32c(data)
// in little-endian order; the mask is ((crc >> 15) | (crc << 17)) + 0xa282ead8. A reader stops at
// a record cut short (a write torn by a kill) or failing a checksum, which TensorBoard also does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

// CRC-32C (Castagnoli, reflected polynomial 0x82f63b78) of n bytes.
uint32_t crc32c(const void* data, size_t n);
// The masked form TFRecord stores.
uint32_t masked_crc32c(const void* data, size_t n);

// data framed as one record.
std::string frame_record(std::string_view data);

struct RecordRead {
  std::vector<std::string> records;  // the whole records from the start, in order
  size_t whole_bytes = 0;            // the bytes they take; the rest is a torn or corrupt tail
};
RecordRead read_records(std::string_view bytes);

}  // namespace strata
