// Every example and smoke config parses (strictly), and the smoke ones build.
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/trainers/kinds/kinds_test_util.h"

namespace strata {
namespace {

// Every experiment file in configs/ and configs/smoke/ (configs/models/ holds model sections,
// not experiments), found by listing the folders, so a new example cannot be left untested.
TEST(KindConfigs, EveryExperimentFileParses) {
  namespace fs = std::filesystem;
  int checked = 0;
  for (const char* folder : {"configs", "configs/smoke"}) {
    for (const auto& f : fs::directory_iterator(fs::path(STRATA_SOURCE_DIR) / folder)) {
      if (f.path().extension() != ".yaml") continue;
      const std::string name = f.path().string();
      try {
        const Experiment e = load_experiment(name);
        if (std::string(folder) == "configs/smoke" && e.trainer->kind() != "gan")
          test::build_kind(*e.trainer, 16);
      } catch (const std::exception& e) {
        ADD_FAILURE() << name << ": " << e.what();
      }
      ++checked;
    }
  }
  EXPECT_GE(checked, 15) << "experiment files found";
}

}  // namespace
}  // namespace strata
