// Internal to the converters: writes a known number of uint8 NHWC samples as a run of shards.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/data/convert.h"

namespace strata::detail {

// Fills samples [first, first + count): count * C*H*W uint8 NHWC values, and count labels when
// `labels` is not null.
using FillSamples =
    std::function<void(int64_t first, int64_t count, uint8_t* images, int64_t* labels)>;

// Writes `total` samples of C x H x W in shards of options.shard_size named
// OUT/shard-00000.h5, ...; `fill` supplies them in order.
ConvertResult write_shards(int64_t total, int64_t channels, int64_t height, int64_t width,
                           bool labels, const std::vector<std::string>& class_names,
                           const ConvertOptions& options, const FillSamples& fill);

}  // namespace strata::detail
