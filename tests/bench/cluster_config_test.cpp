// Cluster files (bench/cluster_config.h): every key read into the Cluster, defaults, and strict
// errors that name the file, line and key; the shipped configs/clusters/*.yaml all load.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "bench/cluster_config.h"
#include "core/error.h"

namespace strata::scaling {
namespace {

constexpr const char* kFull =
    "name: two_nodes\n"
    "gpus_per_node: 4\n"
    "intra_node: {bandwidth_gbs: 300, latency_us: 2.5}\n"
    "inter_node:\n"
    "  bandwidth_gbs: 25\n"
    "  latency_us: 7\n"
    "call_us: 6\n"
    "algorithm: tree\n"
    "overlap: false\n";

std::string error_of(const std::string& text) {
  try {
    parse_cluster(text, "c.yaml");
  } catch (const Error& e) {
    return e.message();
  }
  return "";
}

TEST(ClusterConfig, ReadsEveryKey) {
  const Cluster c = parse_cluster(kFull, "c.yaml");
  EXPECT_EQ(c.name, "two_nodes");
  EXPECT_EQ(c.gpus_per_node, 4);
  EXPECT_EQ(c.intra.bandwidth_gbs, 300.0);
  EXPECT_EQ(c.intra.latency_us, 2.5);
  EXPECT_EQ(c.inter.bandwidth_gbs, 25.0);
  EXPECT_EQ(c.inter.latency_us, 7.0);
  EXPECT_EQ(c.call_us, 6.0);
  EXPECT_EQ(c.algorithm, Algorithm::kTree);
  EXPECT_FALSE(c.overlap);
}

TEST(ClusterConfig, Defaults) {
  const Cluster c = parse_cluster(
      "gpus_per_node: 2\nintra_node: {bandwidth_gbs: 10, latency_us: 1}\n", "dir/box.yaml");
  EXPECT_EQ(c.name, "box");               // the file's name
  EXPECT_EQ(c.inter.bandwidth_gbs, 0.0);  // one node only
  EXPECT_EQ(c.call_us, 0.0);
  EXPECT_EQ(c.algorithm, Algorithm::kAuto);
  EXPECT_TRUE(c.overlap);
}

TEST(ClusterConfig, UnknownKeysAreErrorsNamingThem) {
  std::string e = error_of(std::string(kFull) + "gpus_per_nodes: 8\n");
  EXPECT_NE(e.find("c.yaml:10"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'gpus_per_nodes'"), std::string::npos) << e;
  e = error_of(
      "gpus_per_node: 2\nintra_node: {bandwidth_gbs: 10, latency_us: 1, bandwith_gbs: 3}\n");
  EXPECT_NE(e.find("intra_node"), std::string::npos) << e;
  EXPECT_NE(e.find("'bandwith_gbs'"), std::string::npos) << e;
}

TEST(ClusterConfig, WrongValuesAreErrorsNamingTheKey) {
  std::string e = error_of("intra_node: {bandwidth_gbs: 10, latency_us: 1}\n");
  EXPECT_NE(e.find("gpus_per_node"), std::string::npos) << e;
  e = error_of("gpus_per_node: 0\nintra_node: {bandwidth_gbs: 10, latency_us: 1}\n");
  EXPECT_NE(e.find("gpus_per_node"), std::string::npos) << e;
  e = error_of("gpus_per_node: 8\nintra_node: {bandwidth_gbs: -1, latency_us: 1}\n");
  EXPECT_NE(e.find("intra_node.bandwidth_gbs"), std::string::npos) << e;
  e = error_of(
      "gpus_per_node: 8\nintra_node: {bandwidth_gbs: 1, latency_us: 1}\nalgorithm: butterfly\n");
  EXPECT_NE(e.find("algorithm"), std::string::npos) << e;
  EXPECT_NE(e.find("hierarchical"), std::string::npos) << e;
  e = error_of("gpus_per_node: 8\nintra_node: {bandwidth_gbs: 1, latency_us: 1}\noverlap: yes\n");
  EXPECT_NE(e.find("overlap"), std::string::npos) << e;
}

TEST(ClusterConfig, ShippedClusterFilesLoad) {
  int files = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(STRATA_SOURCE_DIR) + "/configs/clusters")) {
    if (entry.path().extension() != ".yaml") continue;
    const Cluster c = load_cluster(entry.path().string());
    EXPECT_EQ(c.name, entry.path().stem().string());
    EXPECT_GT(c.intra.bandwidth_gbs, 0.0) << entry.path();
    ++files;
  }
  EXPECT_GE(files, 2);
}

}  // namespace
}  // namespace strata::scaling
