// Text files that are never seen half-written: written to "<path>.tmp", then renamed over path.
#pragma once

#include <string>

namespace strata {

// Throws naming the path when it cannot be written or renamed.
void write_text_atomically(const std::string& path, const std::string& text);

// The whole file; throws naming the path when it cannot be read.
std::string read_text_file(const std::string& path);

}  // namespace strata
