#include "cli/flags.h"

#include <charconv>
#include <cstdio>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/error.h"

namespace strata::cli {

namespace {

constexpr size_t kNameWidth = 26;               // the column of the options' descriptions
constexpr size_t kHelpWidth = 98 - kNameWidth;  // the width of a description's lines

// The subcommand being parsed (the deepest one selected), whose --help the errors point to.
const CLI::App& innermost(const CLI::App& app) {
  const CLI::App* a = &app;
  while (!a->get_subcommands().empty()) a = a->get_subcommands().front();
  return *a;
}

// "strata data convert" for the subcommand convert of the parser "strata data".
std::string command_of(const CLI::App& app) {
  const CLI::App* parent = app.get_parent();
  return parent == nullptr ? app.get_name() : command_of(*parent) + " " + app.get_name();
}

// Arguments no option or positional took (CLI11's extras, allowed so that they can be reported
// here in Strata's words): the first one is the error, before anything it may have caused.
void refuse_unknown(const CLI::App& app, const std::string& hint) {
  const std::vector<std::string> rest = app.remaining(true);
  if (rest.empty()) return;
  const std::string& a = rest.front();
  if (a.size() > 1 && a[0] == '-')
    STRATA_THROW("unknown option '" << a.substr(0, a.find('=')) << "'" << hint);
  STRATA_THROW("unexpected argument '" << a << "'" << hint);
}

// CLI11's message for `e`, in the words of Strata's other commands where CLI11's are unclear.
std::string describe(const CLI::ParseError& e, const CLI::App& app) {
  const std::string what = e.what();
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) != nullptr) {
    // "NAME was given a disallowed flag override" (--flag=value) or "NAME: 1 required T missing".
    if (const size_t p = what.find(" was given a disallowed flag override");
        p != std::string::npos) {
      const std::string name = what.substr(0, p);
      return (name.rfind("-", 0) == 0 ? name : "--" + name) + " takes no value";
    }
    if (const size_t p = what.find(": "); p != std::string::npos && what.ends_with(" missing"))
      return what.substr(0, p) + " needs a value";
  }
  if (dynamic_cast<const CLI::ExcludesError*>(&e) != nullptr) {
    if (const size_t p = what.find(" excludes "); p != std::string::npos)  // "A excludes B"
      return "give " + what.substr(0, p) + " or " + what.substr(p + 10) + ", not both";
  }
  if (dynamic_cast<const CLI::ValidationError*>(&e) != nullptr) {
    // "NAME: message": a positional's validator names the value itself, so drop its NAME.
    for (const CLI::Option* o : app.get_options()) {
      if (!o->nonpositional()) {
        const std::string prefix = o->get_name() + ": ";
        if (what.rfind(prefix, 0) == 0) return what.substr(prefix.size());
      }
    }
  }
  return what;
}

// `text` with its spaces turned into line breaks where a line would pass `width` columns.
std::string wrap(std::string text, size_t width) {
  size_t line_start = 0, last_space = std::string::npos;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      line_start = i + 1;
      last_space = std::string::npos;
    } else if (text[i] == ' ') {
      last_space = i;
    }
    if (i - line_start >= width && last_space != std::string::npos && last_space > line_start) {
      text[last_space] = '\n';
      line_start = last_space + 1;
      last_space = std::string::npos;
    }
  }
  return text;
}

// The options' descriptions of `app` and its subcommands wrapped to the help's width.
void wrap_descriptions(CLI::App& app) {
  for (CLI::Option* o : app.get_options()) o->description(wrap(o->get_description(), kHelpWidth));
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) wrap_descriptions(*sub);
}

}  // namespace

void print_help(CLI::App& app, std::FILE* out) {
  wrap_descriptions(app);
  std::fputs(app.help().c_str(), out);
}

FlagParser::FlagParser(const std::string& command, const std::string& description)
    : CLI::App(description, command) {
  option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  allow_extras();  // reported by parse_flags, naming the first one
  get_formatter()->column_width(kNameWidth);
}

bool parse_flags(CLI::App& app, const Args& args) {
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 pops from the back
  try {
    app.parse(std::move(reversed));
  } catch (const CLI::CallForHelp&) {
    print_help(app, stdout);  // the help of the innermost subcommand given
    return false;
  } catch (const CLI::ParseError& e) {
    const CLI::App& inner = innermost(app);
    const std::string hint = "; see '" + command_of(inner) + " --help'";
    refuse_unknown(app, hint);
    STRATA_THROW(describe(e, inner) << hint);
  }
  refuse_unknown(app, "; see '" + command_of(innermost(app)) + " --help'");
  return true;
}

CLI::Validator int_range(int64_t min, int64_t max) {
  const bool bounded = max != std::numeric_limits<int64_t>::max();
  const std::string range = bounded
                                ? "between " + std::to_string(min) + " and " + std::to_string(max)
                                : "at least " + std::to_string(min);
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        int64_t v = 0;
        const char* end = text.data() + text.size();
        const auto [ptr, ec] = std::from_chars(text.data(), end, v);
        if (text.empty() || ec == std::errc::invalid_argument || ptr != end)
          return "expects an integer, got '" + text + "'";
        if (ec == std::errc::result_out_of_range || v < min || v > max)
          return "must be " + range + ", got " + text;
        return "";
      },
      bounded ? std::to_string(min) + ".." + std::to_string(max) : ">=" + std::to_string(min));
}

CLI::Option* add_checkpoint_flag(CLI::App& app, std::string& checkpoint) {
  return app
      .add_option("--checkpoint", checkpoint, "a checkpoint file, or a run folder (its latest)")
      ->type_name("PATH|RUN_DIR")
      ->required();
}

CLI::Option* add_data_flag(CLI::App& app, std::string& data) {
  return app.add_option("--data", data, "the data set: a shard, a folder of shards or a glob")
      ->type_name("PATH|GLOB")
      ->required();
}

CLI::Option* add_device_flag(CLI::App& app, std::string& device) {
  return app
      .add_option("--device", device,
                  "where the networks run: auto, cpu or cuda (default: the run's device key)")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}));
}

CLI::Validator existing_path(const std::string& what_to_do) {
  return CLI::Validator(
      [what_to_do](std::string& path) -> std::string {
        std::error_code ec;
        if (std::filesystem::exists(path, ec)) return "";
        return path + ": no such file or folder; " + what_to_do;
      },
      "PATH");
}

std::string json_quote(const std::string& s) {
  return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace strata::cli
