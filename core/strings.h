// Small string helpers shared by the config parser, the docs generator and the plots.
#pragma once

#include <string>
#include <vector>

namespace strata {

// "a, b, c" (with sep between the items).
inline std::string join(const std::vector<std::string>& items, const std::string& sep = ", ") {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) out += (i ? sep : std::string()) + items[i];
  return out;
}

}  // namespace strata
