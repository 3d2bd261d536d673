#include "core/config/model_yaml.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/error.h"
#include "tests/core/config/config_test_util.h"

namespace strata {
namespace {

using testing::error_of;
using testing::expect_contains;
using testing::TempDir;

// The exact number of parameters (Sequential::num_params() includes alignment padding).
int64_t exact_params(Sequential& m) {
  int64_t n = 0;
  for (const NamedParam& p : m.named_params()) n += p.value.numel();
  return n;
}

// A small conv net touching most layer types; line numbers are noted for the tests below.
const char* kConvNet =
    "model:\n"                                  // 1
    "  input_shape: [1, 28, 28]\n"              // 2
    "  layers:\n"                               // 3
    "    - type: conv2d\n"                      // 4
    "      filters: 8\n"                        // 5
    "      kernel: 3\n"                         // 6
    "      padding: same\n"                     // 7
    "    - {type: batchnorm, momentum: 0.2}\n"  // 8
    "    - {type: leaky_relu, slope: 0.2}\n"    // 9
    "    - {type: maxpool2d}\n"                 // 10
    "    - {type: conv2d, filters: 4, kernel: [3, 5], stride: [1, 1], padding: [1, 2], "
    "bias: false, init: he}\n"                                                        // 11
    "    - {type: upsample2d, scale: 2}\n"                                            // 12
    "    - {type: conv_transpose2d, filters: 2, kernel: 4, stride: 2, padding: 1}\n"  // 13
    "    - {type: dropout, rate: 0.1}\n"                                              // 14
    "    - {type: flatten, name: flat}\n"                                             // 15
    "    - {type: dense, units: 10, init: normal, init_std: 0.05}\n"                  // 16
    "    - {type: reshape, shape: [10, 1, 1]}\n"                                      // 17
    "    - {type: sigmoid}\n"                                                         // 18
    "    - {type: flatten}\n"                                                         // 19
    "    - {type: tanh}\n"                                                            // 20
    "    - {type: relu}\n";                                                           // 21

TEST(ModelYaml, BuildsAGoodModel) {
  TempDir dir;
  const std::string path = dir.write("net.yaml", kConvNet);
  Sequential m = load_model_file(path, 7);
  ASSERT_TRUE(m.built());
  EXPECT_EQ(m.num_layers(), 15);
  EXPECT_EQ(m.input_sample_shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(m.output_sample_shape(), (Shape{10}));
  EXPECT_EQ(m.layer_name(0), "0.conv2d");
  EXPECT_EQ(m.layer_name(8), "flat");
  // Shapes: 28 (same) -> pool 14 -> conv [3, 5] pad [1, 2] 14 -> upsample 28 -> convT k4 s2 p1
  // 56. Parameters: conv 1->8 k3 (72 + 8), BN (16), conv 8->4 k3x5 without bias (480), convT
  // 4->2 k4 (128 + 2), dense 2*56*56 -> 10.
  const int64_t dense_in = 2 * 56 * 56;
  EXPECT_EQ(exact_params(m), (72 + 8) + 16 + 480 + (128 + 2) + (dense_in * 10 + 10));
}

TEST(ModelYaml, SpecChecksShapesAndBuildsRepeatably) {
  TempDir dir;
  const ModelSpec spec = load_model_spec(dir.write("net.yaml", kConvNet));
  ASSERT_EQ(spec.layers.size(), 15u);
  EXPECT_EQ(spec.layers[0].out_shape, (Shape{8, 28, 28}));
  EXPECT_EQ(spec.layers[3].out_shape, (Shape{8, 14, 14}));
  EXPECT_EQ(spec.layers[6].out_shape, (Shape{2, 56, 56}));
  EXPECT_EQ(spec.output_shape(), (Shape{10}));
  expect_contains(spec.layers[6].where, {"net.yaml:13:7: model.layers[6]"});
  Sequential a = spec.build(3), b = spec.build(3);
  ASSERT_EQ(a.num_params(), b.num_params());
  for (int64_t i = 0; i < a.num_params(); ++i) ASSERT_EQ(a.params()[i], b.params()[i]);
}

TEST(ModelYaml, BuiltModelRunsForward) {
  TempDir dir;
  Sequential m = load_model_file(dir.write("mlp.yaml",
                                           "model:\n"
                                           "  input_shape: [6]\n"
                                           "  layers:\n"
                                           "    - {type: dense, units: 4}\n"
                                           "    - {type: relu}\n"
                                           "    - {type: dense, units: 2, bias: false}\n"),
                                 1);
  EXPECT_EQ(exact_params(m), 6 * 4 + 4 + 4 * 2);
  Tensor x(Shape{3, 6});
  x.fill(0.5f);
  const Tensor& y = m.forward(x, StepContext{});
  EXPECT_EQ(y.shape(), (Shape{3, 2}));
}

// Writes a model file whose layer list is `layers` (each line indented by four spaces) after a
// fixed three-line header, so layer entry k (0-based, one line each) is on line 4 + k.
std::string model_file(const TempDir& dir, const std::string& name, const std::string& input,
                       const std::string& layers) {
  return dir.write(name, "model:\n  input_shape: " + input + "\n  layers:\n" + layers);
}

TEST(ModelYaml, UnknownLayerTypeListsTheTypes) {
  TempDir dir;
  const std::string p = model_file(dir, "t.yaml", "[4]",
                                   "    - {type: dense, units: 3}\n"   // 4
                                   "    - {type: dens, units: 3}\n");  // 5
  expect_contains(error_of([&] { load_model_file(p, 0); }),
                  {"t.yaml:5:14: model.layers[1].type: unknown layer type 'dens'",
                   "did you mean 'dense'?", "conv_transpose2d", "leaky_relu", "upsample2d"});
  const std::string q = model_file(dir, "t2.yaml", "[4]", "    - {units: 3}\n");
  expect_contains(error_of([&] { load_model_file(q, 0); }),
                  {"t2.yaml:4:7: model.layers[0]: missing required key 'type'"});
  const std::string r = model_file(dir, "t3.yaml", "[4]", "    - dense\n");
  expect_contains(error_of([&] { load_model_file(r, 0); }),
                  {"t3.yaml:4:7: model.layers[0]: expected a layer", "found 'dense'"});
}

TEST(ModelYaml, MissingRequiredField) {
  TempDir dir;
  const std::string p = model_file(dir, "m.yaml", "[1, 8, 8]",
                                   "    - {type: conv2d, filters: 4, kernel: 3}\n"  // 4
                                   "    - {type: flatten}\n"                        // 5
                                   "    - {type: dense}\n");                        // 6
  expect_contains(
      error_of([&] { load_model_file(p, 0); }),
      {"m.yaml:6:7: model.layers[2]: missing required key 'units'", "a positive integer"});
  const std::string q = model_file(dir, "m2.yaml", "[1, 8, 8]",
                                   "    - {type: conv2d, kernel: 3}\n");  // 4
  expect_contains(error_of([&] { load_model_file(q, 0); }),
                  {"m2.yaml:4:7: model.layers[0]: missing required key 'filters'"});
  const std::string r = dir.write("m3.yaml", "model:\n  layers:\n    - {type: relu}\n");
  expect_contains(error_of([&] { load_model_file(r, 0); }),
                  {"m3.yaml:2:3: model: missing required key 'input_shape'"});
}

TEST(ModelYaml, WrongTypes) {
  TempDir dir;
  struct Case {
    std::string input, layer, expected;
  };
  // Each layer is entry 0, on line 4.
  const Case cases[] = {
      {"[4]", "{type: dense, units: abc}",
       "t.yaml:4:28: model.layers[0].units: expected a positive integer, found 'abc'"},
      {"[4]", "{type: dense, units: 2.5}",
       "t.yaml:4:28: model.layers[0].units: expected a positive integer, found '2.5'"},
      {"[4]", "{type: dense, units: \"8\"}", "model.layers[0].units: expected a positive integer"},
      {"[4]", "{type: dense, units: 0}", "model.layers[0].units: expected a positive integer"},
      {"[4]", "{type: dense, units: [8]}", "found a list"},
      {"[4]", "{type: dense, units: 3, bias: yes}",
       "t.yaml:4:37: model.layers[0].bias: expected true or false, found 'yes'"},
      {"[4]", "{type: dense, units: 3, init: xavier}",
       "model.layers[0].init: expected one of glorot, he, normal"},
      {"[4]", "{type: dense, units: 3, init_std: 0.1}",
       "model.layers[0].init_std: init_std applies only to init: normal"},
      {"[4]", "{type: dropout, rate: 1.5}",
       "t.yaml:4:29: model.layers[0].rate: expected a number in [0, 1), found '1.5'"},
      {"[1, 8, 8]", "{type: conv2d, filters: 2, kernel: [3, 3, 3]}",
       "model.layers[0].kernel: expected a list of 2 integers"},
      {"[1, 8, 8]", "{type: conv2d, filters: 2, kernel: 3, padding: full}",
       "model.layers[0].padding: expected same, valid, a non-negative integer or [h, w], found "
       "'full'"},
      {"[1, 8, 8]", "{type: conv2d, filters: 2, kernel: 3, stride: [1, x]}",
       "model.layers[0].stride[1]: expected a positive integer, found 'x'"},
      {"[1, 8, 8]",
       "{type: conv_transpose2d, filters: 2, kernel: 4, stride: 2, padding: same, "
       "output_padding: 1}",
       "model.layers[0].output_padding: output_padding cannot be given with padding: same"},
      {"[1, 8, 8]", "{type: upsample2d, scale: {h: 2}}",
       "model.layers[0].scale: expected a positive integer or a list [h, w] of two, found a map"},
      {"[4]", "{type: leaky_relu, slope: -1}", "model.layers[0].slope: expected a number >= 0"},
      {"[4]", "{type: reshape, shape: [2, -1, -1]}", "model.layers[0].shape: at most one"},
      {"[4]", "{type: dense, units: 3, name: [a]}", "model.layers[0].name: expected a string"},
      {"[28, 28]", "{type: flatten}", "t.yaml:2:16: model.input_shape: expected [features] or"},
      {"[1, 0, 28]", "{type: flatten}", "model.input_shape[1]: expected a positive integer"},
  };
  for (const Case& c : cases) {
    const std::string p = model_file(dir, "t.yaml", c.input, "    - " + c.layer + "\n");
    SCOPED_TRACE(c.layer);
    expect_contains(error_of([&] { load_model_file(p, 0); }), {c.expected});
  }
}

TEST(ModelYaml, UnknownKeySuggestsTheClosest) {
  TempDir dir;
  const std::string p = model_file(dir, "k.yaml", "[4]",
                                   "    - type: dense\n"  // 4
                                   "      units: 3\n"     // 5
                                   "      bais: false\n"  // 6
  );
  expect_contains(error_of([&] { load_model_file(p, 0); }),
                  {"k.yaml:6:7: model.layers[0].bais: unknown key 'bais' — did you mean 'bias'?"});
  const std::string q = model_file(dir, "k2.yaml", "[4]", "    - {type: relu, slope: 0.1}\n");
  expect_contains(error_of([&] { load_model_file(q, 0); }),
                  {"k2.yaml:4:20: model.layers[0].slope: unknown key 'slope'",
                   "the keys here are: type, name"});
  // In the section and at the top level too.
  const std::string r = dir.write("k3.yaml",
                                  "model:\n"                // 1
                                  "  input_shape: [4]\n"    // 2
                                  "  layer:\n"              // 3
                                  "    - {type: relu}\n");  // 4
  expect_contains(error_of([&] { load_model_file(r, 0); }),
                  {"k3.yaml:2:3: model: missing required key 'layers'", "found 'layer'"});
  const std::string s = dir.write("k4.yaml",
                                  "model:\n"               // 1
                                  "  input_shape: [4]\n"   // 2
                                  "  layers:\n"            // 3
                                  "    - {type: relu}\n"   // 4
                                  "  input_shap: [4]\n");  // 5
  expect_contains(error_of([&] { load_model_file(s, 0); }),
                  {"k4.yaml:5:3: model.input_shap: unknown key 'input_shap' — did you mean "
                   "'input_shape'?"});
  const std::string t = dir.write("k5.yaml", "modle:\n  input_shape: [4]\n");
  expect_contains(error_of([&] { load_model_file(t, 0); }),
                  {"k5.yaml:1:1: missing required key 'model'", "found 'modle'"});
}

TEST(ModelYaml, ShapeThatDoesNotFitNamesTheEntry) {
  TempDir dir;
  const std::string p = dir.write("net.yaml",
                                  "# a discriminator missing its flatten\n"  // 1
                                  "model:\n"                                 // 2
                                  "  input_shape: [1, 28, 28]\n"             // 3
                                  "  layers:\n"                              // 4
                                  "    - {type: conv2d, filters: 64, kernel: 4, stride: 2, "
                                  "padding: 1}\n"                           // 5
                                  "    - {type: leaky_relu, slope: 0.2}\n"  // 6
                                  "    - {type: conv2d, filters: 64, kernel: 4, stride: 2, "
                                  "padding: 1}\n"                      // 7
                                  "    - {type: relu}\n"               // 8
                                  "    - {type: dense, units: 1}\n");  // 9
  expect_contains(error_of([&] { load_model_file(p, 0); }),
                  {"net.yaml:9:7: model.layers[4] (dense): dense expects input [N, features], "
                   "got [1, 64, 7, 7]; put a 'flatten' layer before it"});
  const std::string q =
      model_file(dir, "conv.yaml", "[784]", "    - {type: conv2d, filters: 4, kernel: 3}\n");
  expect_contains(error_of([&] { load_model_file(q, 0); }),
                  {"conv.yaml:4:7: model.layers[0] (conv2d):", "[N, C, H, W]"});
  const std::string r = model_file(dir, "big.yaml", "[1, 4, 4]",
                                   "    - {type: flatten}\n"
                                   "    - {type: reshape, shape: [3, 5]}\n");
  expect_contains(error_of([&] { load_model_file(r, 0); }),
                  {"big.yaml:5:7: model.layers[1] (reshape):"});
  const std::string s =
      model_file(dir, "small.yaml", "[1, 4, 4]", "    - {type: conv2d, filters: 2, kernel: 5}\n");
  expect_contains(error_of([&] { load_model_file(s, 0); }),
                  {"small.yaml:4:7: model.layers[0] (conv2d):"});
}

TEST(ModelYaml, LayerNamesMustBeUnique) {
  TempDir dir;
  const std::string p = model_file(dir, "n.yaml", "[4]",
                                   "    - {type: dense, units: 3, name: enc}\n"    // 4
                                   "    - {type: dense, units: 3, name: enc}\n");  // 5
  expect_contains(error_of([&] { load_model_file(p, 0); }),
                  {"n.yaml:5:7: model.layers[1]: the layer name 'enc' is already used by "
                   "model.layers[0]"});
}

TEST(ModelYaml, FileProblems) {
  TempDir dir;
  const std::string missing = dir.path("missing.yaml");
  expect_contains(error_of([&] { load_model_file(missing, 0); }), {missing, "no such file"});
  const std::string bad = dir.write("bad.yaml",
                                    "model:\n"                        // 1
                                    "  input_shape: [4]\n"            // 2
                                    "  layers:\n"                     // 3
                                    "    - {type: dense, units: 3\n"  // 4
                                    "    - {type: relu}\n");          // 5
  const std::string msg = error_of([&] { load_model_file(bad, 0); });
  expect_contains(msg, {bad + ":", "YAML syntax error"});
  const std::string tabs = dir.write("tabs.yaml",
                                     "model:\n"              // 1
                                     "  input_shape: [4]\n"  // 2
                                     "    layers: []\n");    // 3
  expect_contains(error_of([&] { load_model_file(tabs, 0); }), {tabs + ":3:", "YAML syntax error"});
}

// Every example model in configs/models/ builds.
TEST(ModelYaml, ExampleConfigsBuild) {
  const std::filesystem::path folder = std::filesystem::path(STRATA_SOURCE_DIR) / "configs/models";
  int count = 0;
  for (const auto& entry : std::filesystem::directory_iterator(folder)) {
    if (entry.path().extension() != ".yaml") continue;
    SCOPED_TRACE(entry.path().string());
    EXPECT_NO_THROW({
      Sequential m = load_model_file(entry.path().string(), 1);
      EXPECT_TRUE(m.built());
    });
    ++count;
  }
  EXPECT_GE(count, 3);
}

TEST(ModelYaml, ExampleConfigsMatchTheBenchmarkModels) {
  const std::string folder = std::string(STRATA_SOURCE_DIR) + "/configs/models/";
  Sequential ae = load_model_file(folder + "mlp_autoencoder.yaml", 1);
  EXPECT_EQ(ae.input_sample_shape(), (Shape{784}));
  EXPECT_EQ(ae.output_sample_shape(), (Shape{784}));
  EXPECT_EQ(exact_params(ae), 785000 + 500500 + 125250 + 7530 + 7750 + 125500 + 501000 + 784784);

  Sequential g = load_model_file(folder + "dcgan28_generator.yaml", 1);
  EXPECT_EQ(g.input_sample_shape(), (Shape{100}));
  EXPECT_EQ(g.output_sample_shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(exact_params(g),
            (100 * 6272 + 6272) + 2 * 6272 + (128 * 64 * 16 + 64) + 2 * 64 + (64 * 1 * 16 + 1));

  Sequential d = load_model_file(folder + "dcgan28_discriminator.yaml", 1);
  EXPECT_EQ(d.input_sample_shape(), (Shape{1, 28, 28}));
  EXPECT_EQ(d.output_sample_shape(), (Shape{1}));
  EXPECT_EQ(exact_params(d), (64 * 16 + 64) + (128 * 64 * 16 + 128) + 2 * 128 + (6272 + 1));
}

}  // namespace
}  // namespace strata
