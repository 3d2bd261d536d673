// Reading a whole text file (writing one: core/atomic_file.h's write_text_atomically).
#pragma once

#include <string>

#include "core/atomic_file.h"  // defines: write_text_atomically

namespace strata {

// The whole file; throws naming the path when it cannot be read.
std::string read_text_file(const std::string& path);

}  // namespace strata
