// Every example and smoke config of the autoencoder and classifier kinds parses (strictly), and
// the smoke ones build.
#include <gtest/gtest.h>

#include "tests/trainers/kinds/kinds_test_util.h"

namespace strata {
namespace {

TEST(KindConfigs, ExamplesParse) {
  for (const char* name :
       {"ae_vanilla", "ae_multilayer", "ae_conv_upsample", "ae_conv_transpose", "ae_sparse_kl",
        "ae_sparse_l1", "ae_denoising_mask", "ae_denoising_gaussian", "ae_dropout",
        "fashion_mnist_sae", "smoke/autoencoder", "smoke/stacked_ae", "smoke/conv_stacked_ae",
        "smoke/classifier"}) {
    const std::string path = std::string(STRATA_SOURCE_DIR) + "/configs/" + name + ".yaml";
    try {
      const Experiment e = load_experiment(path);
      if (std::string(name).rfind("smoke/", 0) == 0) test::build_kind(*e.trainer, 16);
    } catch (const std::exception& e) {
      ADD_FAILURE() << name << ": " << e.what();
    }
  }
}

}  // namespace
}  // namespace strata
