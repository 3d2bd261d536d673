// The flags of every `strata` subcommand, on one parser (CLI11) with one set of conventions:
// "--name value" and "--name=value"; a flag given twice keeps its last value (unless it is a list,
// like train's --set); --help prints the generated help to stdout. Unknown options, missing or
// malformed values and absent required flags are strata::Error that name the flag, say what is
// accepted and end "; see 'strata <command> --help'".
#pragma once

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include <CLI/CLI.hpp>  // defines: CLI::App, CLI::Validator

#include "cli/commands.h"

namespace strata::cli {

// A parser for `strata <command>` (as typed, e.g. "strata train") with the conventions above.
// `description` heads its --help.
class FlagParser : public CLI::App {
 public:
  FlagParser(const std::string& command, const std::string& description);
};

// Parses `args` (the arguments after the command's name) into the options of `app` and of its
// subcommands. Returns false when --help was given: the help is on stdout and the command exits 0.
[[nodiscard]] bool parse_flags(CLI::App& app, const Args& args);

// Prints the help of `app` (of its innermost subcommand given, once parsed) to `out`.
void print_help(CLI::App& app, std::FILE* out);

// An integer from min to max: CLI::Range's check, with messages that say what is accepted
// ("expects an integer, got '3x'", "must be between 1 and 4096, got 0").
CLI::Validator int_range(int64_t min, int64_t max = std::numeric_limits<int64_t>::max());

// The flags the commands on a trained run share, required: --checkpoint (a checkpoint file or a
// run folder) and --data (a shard, a folder of shards or a glob).
CLI::Option* add_checkpoint_flag(CLI::App& app, std::string& checkpoint);
CLI::Option* add_data_flag(CLI::App& app, std::string& data);
// Their optional --device auto|cpu|cuda: where the networks run ("" when not given: the run's own
// `device` key).
CLI::Option* add_device_flag(CLI::App& app, std::string& device);

// An existing file or folder; otherwise "<path>: no such file or folder; <what_to_do>".
CLI::Validator existing_path(const std::string& what_to_do);

// s as a JSON string literal (for the commands' JSON result lines); bytes that are not UTF-8
// become U+FFFD.
std::string json_quote(const std::string& s);

}  // namespace strata::cli
