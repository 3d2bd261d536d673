// strata train CONFIG.yaml: runs the experiment file (see configs/).
#include <cstdio>

#include "core/config/yaml_map.h"
#include "core/error.h"
#include "trainers/autoencoder_run.h"
#include "trainers/cli/commands.h"

namespace strata::cli {

int run_train(const Args& args) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::printf("usage: strata train CONFIG.yaml\n");
    return 0;
  }
  STRATA_CHECK(args.size() == 1,
               "usage: strata train CONFIG.yaml (got " << args.size() << " arguments)");
  const YamlMap config = YamlMap::load(args[0]);
  const AutoencoderRunResult r = run_autoencoder(config);
  if (r.rank != 0) return 0;
  std::printf("done: %lld steps, %.0f samples/s, final test mse %.5f\n",
              static_cast<long long>(r.steps), r.samples_per_s, r.test_mse);
  return 0;
}

}  // namespace strata::cli
