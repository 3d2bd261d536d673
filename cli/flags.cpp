#include "cli/flags.h"

#include <algorithm>
#include <exception>

#include "core/error.h"

namespace strata::cli {

Flags parse_flags(const Args& args, const std::vector<std::string>& known, const char* usage) {
  Flags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string a = args[i], value;
    const size_t eq = a.find('=');
    if (eq != std::string::npos) {
      value = a.substr(eq + 1);
      a = a.substr(0, eq);
    }
    STRATA_CHECK(a.rfind("--", 0) == 0, "unexpected argument '" << a << "'\n" << usage);
    const std::string name = a.substr(2);
    STRATA_CHECK(std::find(known.begin(), known.end(), name) != known.end(), "unknown flag '"
                                                                                 << a << "'\n"
                                                                                 << usage);
    if (eq == std::string::npos) {
      STRATA_CHECK(i + 1 < args.size(), "flag '" << a << "' needs a value\n" << usage);
      value = args[++i];
    }
    flags[name] = value;
  }
  return flags;
}

int64_t int_flag(const Flags& flags, const std::string& name, int64_t fallback, int64_t min,
                 const char* usage) {
  const auto it = flags.find(name);
  if (it == flags.end()) return fallback;
  size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(it->second, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  STRATA_CHECK(used == it->second.size() && !it->second.empty() && v >= min,
               "--" << name << " '" << it->second << "', expected an integer >= " << min << "\n"
                    << usage);
  return v;
}

std::string json_quote(const std::string& s) {
  std::string q = "\"";
  for (const char ch : s) {
    if (ch == '"' || ch == '\\') q += '\\';
    q += ch;
  }
  return q + "\"";
}

}  // namespace strata::cli
