#include "core/config/data_config.h"

namespace strata {

DataConfig parse_data_config(const YamlMap& s) {
  DataConfig d;
  d.train = s.get_string("train");
  d.test = s.get_string_or("test", "");
  const std::string scale = s.get_choice_or("scale", {"unit", "symmetric", "none"}, "unit");
  d.scale = scale == "unit"        ? PixelScale::kUnit
            : scale == "symmetric" ? PixelScale::kSymmetric
                                   : PixelScale::kNone;
  d.prefetch = static_cast<int>(s.get_int_or("prefetch", 2, {1, 64}));
  d.drop_last = s.get_bool_or("drop_last", true);
  d.dataset.images = s.get_string_or("images", "images");
  d.dataset.labels = s.get_string_or("labels", "labels");
  d.dataset.default_layout = s.get_choice_or("layout", {"NHWC", "NCHW"}, "NHWC") == "NHWC"
                                 ? PixelLayout::kNHWC
                                 : PixelLayout::kNCHW;
  s.finish();
  return d;
}

}  // namespace strata
