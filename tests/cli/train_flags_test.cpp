// `strata train` flags: the experiment file, --set overrides in order, the run folder, --resume
// and --threads.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "cli/train_flags.h"
#include "core/error.h"

namespace strata::cli {
namespace {

TrainFlags parse(const Args& args) {
  const std::optional<TrainFlags> f = parse_train_flags(args);
  EXPECT_TRUE(f.has_value());
  return f.value_or(TrainFlags{});
}

std::string error_of(const Args& args) {
  try {
    parse_train_flags(args);
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(TrainFlags, Defaults) {
  const TrainFlags f = parse({"configs/smoke/gan.yaml"});
  EXPECT_EQ(f.config, "configs/smoke/gan.yaml");
  EXPECT_TRUE(f.overrides.empty());
  EXPECT_TRUE(f.run_dir.empty());
  EXPECT_TRUE(f.resume.empty());
  EXPECT_EQ(f.threads, 0);
}

TEST(TrainFlags, RepeatedSetKeepsItsOrder) {
  // Both forms, before and after the file; a value may hold '=' and the same key twice stays
  // twice (the later one wins when applied).
  const TrainFlags f = parse({"--set", "trainer.epochs=3", "c.yaml", "--set=data.train=/d/x=y.h5",
                              "--set", "model.layers.1.units=64", "--set", "trainer.epochs=4"});
  EXPECT_EQ(f.config, "c.yaml");
  ASSERT_EQ(f.overrides.size(), 4u);
  EXPECT_EQ(f.overrides[0].key, "trainer.epochs");
  EXPECT_EQ(f.overrides[0].value, "3");
  EXPECT_EQ(f.overrides[1].key, "data.train");
  EXPECT_EQ(f.overrides[1].value, "/d/x=y.h5");
  EXPECT_EQ(f.overrides[2].key, "model.layers.1.units");
  EXPECT_EQ(f.overrides[2].value, "64");
  EXPECT_EQ(f.overrides[3].key, "trainer.epochs");
  EXPECT_EQ(f.overrides[3].value, "4");
}

TEST(TrainFlags, AllFlagsBothForms) {
  const TrainFlags f = parse({"c.yaml", "--run-dir", "runs/x", "--resume=auto", "--threads", "3"});
  EXPECT_EQ(f.run_dir, "runs/x");
  EXPECT_EQ(f.resume, "auto");
  EXPECT_EQ(f.threads, 3);
  EXPECT_EQ(parse({"--threads=4096", "c.yaml"}).threads, 4096);
}

TEST(TrainFlags, Errors) {
  const std::string hint = "; see 'strata train --help'";
  EXPECT_EQ(error_of({"c.yaml", "--sett", "a=1"}), "unknown option '--sett'" + hint);
  EXPECT_EQ(error_of({"c.yaml", "--set"}), "--set needs a value" + hint);
  EXPECT_EQ(error_of({"c.yaml", "--threads", "two"}),
            "--threads: expects an integer, got 'two'" + hint);
  EXPECT_EQ(error_of({"c.yaml", "--threads", "0"}),
            "--threads: must be between 1 and 4096, got 0" + hint);
  EXPECT_EQ(error_of({"c.yaml", "--threads=4097"}),
            "--threads: must be between 1 and 4096, got 4097" + hint);
  EXPECT_EQ(error_of({}), "CONFIG.yaml is required" + hint);
  EXPECT_EQ(error_of({"a.yaml", "b.yaml"}), "unexpected argument 'b.yaml'" + hint);
  EXPECT_NE(error_of({"c.yaml", "--set", "epochs"}).find("--set expects key.path=value"),
            std::string::npos);
}

TEST(TrainFlags, Help) {
  ::testing::internal::CaptureStdout();
  EXPECT_FALSE(parse_train_flags({"c.yaml", "--help"}).has_value());
  const std::string out = ::testing::internal::GetCapturedStdout();
  for (const char* flag : {"--set", "--run-dir", "--resume", "--threads", "CONFIG.yaml"})
    EXPECT_NE(out.find(flag), std::string::npos) << flag << "\n" << out;
}

}  // namespace
}  // namespace strata::cli
