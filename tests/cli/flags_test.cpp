// The conventions all subcommands share (cli/flags.h): int_range's messages, existing_path,
// json_quote.
#include <gtest/gtest.h>

#include <string>

#include "cli/flags.h"
#include "core/error.h"

namespace strata::cli {
namespace {

// The message of parsing `args` with one --n option checked by `check`.
std::string error_of(const CLI::Validator& check, const Args& args) {
  int64_t n = 0;
  FlagParser app("strata test", "a test");
  app.add_option("--n", n)->check(check);
  try {
    EXPECT_TRUE(parse_flags(app, args));
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(IntRange, AcceptsItsRangeOnly) {
  const CLI::Validator r = int_range(-3, 5);
  EXPECT_EQ(error_of(r, {"--n", "-3"}), "");
  EXPECT_EQ(error_of(r, {"--n=5"}), "");
  EXPECT_EQ(error_of(r, {"--n", "6"}),
            "--n: must be between -3 and 5, got 6; see 'strata test --help'");
  EXPECT_EQ(error_of(int_range(2), {"--n", "1"}),
            "--n: must be at least 2, got 1; see 'strata test --help'");
  for (const char* bad : {"", "x", "1e3", "0x10", "2 ", "99999999999999999999"}) {
    const std::string e = error_of(int_range(0), {"--n", bad});
    EXPECT_TRUE(e.find("expects an integer") != std::string::npos ||
                e.find("must be at least 0") != std::string::npos)
        << "'" << bad << "': " << e;
  }
  EXPECT_NE(error_of(int_range(0), {"--n", "99999999999999999999"}).find("must be at least 0"),
            std::string::npos);
}

TEST(ExistingPath, NamesThePathAndWhatToDo) {
  std::string path;
  FlagParser app("strata test", "a test");
  app.add_option("PATH", path)->check(existing_path("give a folder"));
  try {
    (void)parse_flags(app, {"/no/such/place"});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(),
              "/no/such/place: no such file or folder; give a folder; see 'strata test --help'");
  }
  FlagParser ok("strata test", "a test");
  ok.add_option("PATH", path)->check(existing_path("give a folder"));
  EXPECT_TRUE(parse_flags(ok, {"/"}));
  EXPECT_EQ(path, "/");
}

TEST(JsonQuote, EscapesWhatJsonNeeds) {
  EXPECT_EQ(json_quote("runs/a"), "\"runs/a\"");
  EXPECT_EQ(json_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_quote("tab\there\nnew\x01"), "\"tab\\there\\nnew\\u0001\"");
  EXPECT_EQ(json_quote("caf\xc3\xa9"), "\"caf\xc3\xa9\"");  // UTF-8 stays as it is
  EXPECT_EQ(json_quote("bad\xff"), "\"bad\xef\xbf\xbd\"");  // not UTF-8: U+FFFD
}

}  // namespace
}  // namespace strata::cli
