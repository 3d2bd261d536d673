// Every subcommand's flags follow the same conventions (cli/flags.h): an unknown option, a
// missing value and a malformed integer are errors naming the flag and pointing to --help, and
// --help prints the options to stdout and exits 0. The commands are called as main calls them;
// each error comes before any work.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cli/commands.h"
#include "core/error.h"

namespace strata::cli {
namespace {

struct Command {
  const char* name;          // as in "strata <name>"
  int (*run)(const Args&);   // its entry point
  Args before;               // the arguments that select it ("convert" for data convert)
  std::string help_command;  // the command its errors point to
  std::string value_flag;    // a flag that takes a value ("" if none)
  std::string int_flag;      // a flag that takes an integer ("" if none)
};

// run_train is left out: it installs signal handlers first (train_flags_test.cpp parses its
// flags; tests/trainers/commands_test.sh runs the program).
const std::vector<Command>& commands() {
  static const std::vector<Command> all = {
      {"bench", run_bench, {}, "strata bench", "--model", "--steps"},
      {"data_convert", run_data, {"convert"}, "strata data convert", "--out", "--shard-size"},
      {"data_inspect", run_data, {"inspect"}, "strata data inspect", "--layout", ""},
      {"encode", run_encode, {}, "strata encode", "--data", "--batch"},
      {"sample", run_sample, {}, "strata sample", "--out", "--count"},
      {"eval", run_eval, {}, "strata eval", "--classifier", "--count"},
      {"export", run_export, {}, "strata export", "--part", ""},
      {"plot", run_plot, {}, "strata plot", "--metric", "--width"},
      {"info", run_info, {}, "strata info", "", ""},
      {"config_doc", run_config_doc, {}, "strata config-doc", "--out", ""},
  };
  return all;
}

// The commands with a flag of that kind.
std::vector<Command> with_value_flag() {
  std::vector<Command> some;
  for (const Command& c : commands())
    if (!c.value_flag.empty()) some.push_back(c);
  return some;
}
std::vector<Command> with_int_flag() {
  std::vector<Command> some;
  for (const Command& c : commands())
    if (!c.int_flag.empty()) some.push_back(c);
  return some;
}

std::string name_of(const ::testing::TestParamInfo<Command>& info) {
  return info.param.name;
}

class CommandFlags : public ::testing::TestWithParam<Command> {
 protected:
  // The message of the strata::Error that the command throws for its arguments + `args`.
  std::string error_of(const Args& args) const {
    Args all = GetParam().before;
    all.insert(all.end(), args.begin(), args.end());
    try {
      GetParam().run(all);
    } catch (const Error& e) {
      return e.message();
    }
    ADD_FAILURE() << "no error for " << ::testing::PrintToString(all);
    return "";
  }
  std::string hint() const { return "; see '" + GetParam().help_command + " --help'"; }
};

TEST_P(CommandFlags, UnknownOptionIsRefusedByName) {
  EXPECT_EQ(error_of({"--bogus", "1"}), "unknown option '--bogus'" + hint());
  EXPECT_EQ(error_of({"--bogus=1"}), "unknown option '--bogus'" + hint());
}

class CommandValueFlag : public CommandFlags {};
class CommandIntFlag : public CommandFlags {};

TEST_P(CommandValueFlag, MissingValueNamesTheFlag) {
  EXPECT_EQ(error_of({GetParam().value_flag}), GetParam().value_flag + " needs a value" + hint());
}

TEST_P(CommandIntFlag, NonIntegerNamesTheFlag) {
  const std::string flag = GetParam().int_flag;
  EXPECT_EQ(error_of({flag, "12x"}), flag + ": expects an integer, got '12x'" + hint());
  EXPECT_EQ(error_of({flag + "=1.5"}), flag + ": expects an integer, got '1.5'" + hint());
}

TEST_P(CommandFlags, HelpListsTheOptionsAndExitsZero) {
  Args args = GetParam().before;
  args.push_back("--help");
  ::testing::internal::CaptureStdout();
  const int code = GetParam().run(args);
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(code, 0);
  EXPECT_NE(out.find("Usage: " + GetParam().help_command + " "), std::string::npos) << out;
  EXPECT_NE(out.find("-h,--help"), std::string::npos) << out;
  if (!GetParam().value_flag.empty()) {
    EXPECT_NE(out.find(GetParam().value_flag + " "), std::string::npos) << out;
  }
  if (!GetParam().int_flag.empty()) {
    EXPECT_NE(out.find(GetParam().int_flag + " "), std::string::npos) << out;
  }
}

INSTANTIATE_TEST_SUITE_P(Commands, CommandFlags, ::testing::ValuesIn(commands()), name_of);
INSTANTIATE_TEST_SUITE_P(Commands, CommandValueFlag, ::testing::ValuesIn(with_value_flag()),
                         name_of);
INSTANTIATE_TEST_SUITE_P(Commands, CommandIntFlag, ::testing::ValuesIn(with_int_flag()), name_of);

TEST(ConfigDocFlags, OutAndCheckExcludeEachOther) {
  try {
    run_config_doc({"--out", "x.md", "--check", STRATA_SOURCE_DIR "/docs/configuration.md"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "give --out or --check, not both; see 'strata config-doc --help'");
  }
}

TEST(DataFlags, UnknownDataCommandSaysWhatIsAccepted) {
  try {
    run_data({"convrt", "--format", "idx"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("unknown data command 'convrt', expected convert or inspect"),
              std::string::npos)
        << e.message();
  }
}

TEST(DataFlags, FlagsOfAnotherFormatAreRefused) {
  try {
    run_data({"convert", "--format", "idx", "--images", "x", "--out", "o", "--count", "3"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("--count does not apply to --format idx"), std::string::npos)
        << e.message();
  }
  try {
    run_data({"convert", "--format=synthetic", "--count", "3", "--out", "o"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("--format synthetic needs --shape"), std::string::npos)
        << e.message();
  }
}

TEST(DataFlags, NoCommandPrintsTheUsageAndExitsTwo) {
  ::testing::internal::CaptureStderr();
  EXPECT_EQ(run_data({}), 2);
  EXPECT_NE(::testing::internal::GetCapturedStderr().find("convert"), std::string::npos);
}

}  // namespace
}  // namespace strata::cli
