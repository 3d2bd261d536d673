// The flags of the commands that work on a trained run (encode, sample, eval): "--name value" or
// "--name=value", each name from a known list; errors name the flag and show the usage.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace strata::cli {

using Flags = std::map<std::string, std::string>;

Flags parse_flags(const Args& args, const std::vector<std::string>& known, const char* usage);
// The integer value of --name (fallback when absent); it must be >= min.
int64_t int_flag(const Flags& flags, const std::string& name, int64_t fallback, int64_t min,
                 const char* usage);
// s as a JSON string literal (for the commands' JSON result lines).
std::string json_quote(const std::string& s);

}  // namespace strata::cli
