// strata config-doc: docs/configuration.md from the parsers (trainers/config_doc/config_doc.h).
//   strata config-doc                       print it
//   strata config-doc --out FILE            write it (atomically)
//   strata config-doc --check FILE          exit 1 when FILE differs from what it would write
#include <cstdio>
#include <sstream>

#include "cli/commands.h"
#include "cli/flags.h"
#include "core/error.h"
#include "trainers/config_doc/config_doc.h"
#include "trainers/run/text_file.h"

namespace strata::cli {

namespace {
constexpr const char* kDescription =
    "Writes the configuration reference (every key of an experiment file with its type,\n"
    "default and meaning) generated from the parsers: to standard output, to --out FILE, or\n"
    "compares it with --check FILE (exit 1 when they differ).";

// The first line where two texts differ (1-based), for the --check message.
int first_difference(const std::string& a, const std::string& b) {
  std::istringstream sa(a), sb(b);
  std::string la, lb;
  for (int line = 1;; ++line) {
    const bool ga = static_cast<bool>(std::getline(sa, la));
    const bool gb = static_cast<bool>(std::getline(sb, lb));
    if (!ga && !gb) return 0;
    if (ga != gb || la != lb) return line;
  }
}
}  // namespace

int run_config_doc(const Args& args) {
  std::string out, check;
  FlagParser app("strata config-doc", kDescription);
  CLI::Option* out_opt =
      app.add_option("--out", out, "write it to FILE (atomically)")->type_name("FILE");
  app.add_option("--check", check, "compare it with FILE")
      ->type_name("FILE")
      ->check(existing_path("write it with strata config-doc --out FILE"))
      ->excludes(out_opt);
  if (!parse_flags(app, args)) return 0;
  const Schema schema = collect_schema();
  if (!schema.problems.empty()) {
    std::string list;
    for (const std::string& p : schema.problems) list += "\n  " + p;
    STRATA_THROW("config-doc: the schema has "
                 << schema.problems.size()
                 << " problem(s); fix them in trainers/config_doc/:" << list);
  }
  const std::string text = render_configuration_md(schema);
  if (!check.empty()) {
    const std::string& path = check;
    const std::string current = read_text_file(path);
    if (current == text) {
      std::printf("%s is current (%zu keys)\n", path.c_str(), schema.rows.size());
      return 0;
    }
    std::fprintf(stderr,
                 "%s is out of date: it differs from the parsers from line %d on.\n"
                 "Regenerate it: strata config-doc --out %s (and commit it)\n",
                 path.c_str(), first_difference(current, text), path.c_str());
    return 1;
  }
  if (!out.empty()) {
    write_text_atomically(out, text);
    std::printf("wrote %s (%zu keys)\n", out.c_str(), schema.rows.size());
    return 0;
  }
  std::fputs(text.c_str(), stdout);
  return 0;
}

}  // namespace strata::cli
