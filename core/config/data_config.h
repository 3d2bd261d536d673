// The `data` section of an experiment file: where the shards are and how to read them.
//
//   data:
//     train: data/fashion-mnist/train   # shards: a file, a folder of *.h5, or a glob
//     test: data/fashion-mnist/test     # optional: evaluated at the end of each epoch
//     scale: unit                       # unit [0, 1] | symmetric [-1, 1] | none
//     prefetch: 2                       # batches read ahead by the reader thread
//     drop_last: true                   # drop (true) or pad (false) the last partial batch
//     images: images                    # dataset names, for files written by other tools
//     labels: labels                    # "" for none
//     layout: NHWC                      # NHWC | NCHW, for files without a layout attribute
#pragma once

#include <string>

#include "core/config/yaml_map.h"
#include "core/data/dataset.h"
#include "core/data/reader.h"

namespace strata {

struct DataConfig {
  std::string train, test;  // test may be empty
  DatasetOptions dataset;
  PixelScale scale = PixelScale::kUnit;
  int prefetch = 2;
  bool drop_last = true;
};

DataConfig parse_data_config(const YamlMap& section);

}  // namespace strata
