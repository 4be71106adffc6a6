// The reference NPU's target description: presets carry the public figures
// they cite; malformed or implausible descriptions are rejected with a
// message naming the file and the field.
#include "targets/npu/description/NpuTarget.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace nuri::npu {
namespace {

TEST(NpuTargetTest, PresetsMatchThePublicFigures) {
  EXPECT_EQ((std::vector<std::string>{"datacenter", "edge"}), presetNames());
  TargetDescription dc, edge;
  std::string error;
  ASSERT_TRUE(loadTarget("datacenter", dc, error)) << error;
  // RNGD: 8 elements at 1 GHz, 256 TFLOPS bf16, 512 TOPS int8, 256 MB SRAM,
  // 1.5 TB/s.
  EXPECT_EQ(8u, dc.cores);
  EXPECT_DOUBLE_EQ(262.144, dc.peakTeraOps()); // 8 x 128 x 128 x 2 x 1 GHz
  EXPECT_DOUBLE_EQ(2 * dc.peakTeraOps(), dc.peakTeraOps(/*int8=*/true));
  EXPECT_EQ(256ull << 20, dc.scratchpadBytes * dc.cores);
  EXPECT_DOUBLE_EQ(1500.0, dc.dramBytesPerCycle());
  ASSERT_TRUE(loadTarget("edge", edge, error)) << error;
  // Warboy: 64 TOPS int8, 32 MB SRAM.
  EXPECT_NEAR(64.0, edge.peakTeraOps(true), 2.0);
  EXPECT_EQ(32ull << 20, edge.scratchpadBytes * edge.cores);
  EXPECT_DOUBLE_EQ(68.0, edge.dramBytesPerCycle());
}

TEST(NpuTargetTest, RejectsBadDescriptions) {
  TargetDescription t;
  std::string error;
  EXPECT_FALSE(loadTarget("mainframe", t, error));
  EXPECT_NE(std::string::npos, error.find("unknown npu preset 'mainframe' (presets: datacenter edge"))
      << error;
  const std::string core =
      "core: { matrix: { rows: 0, cols: 8 }, vector: { lanes: 8 }, "
      "scratchpad: { bytes: 65536, banks: 4 }, dma: { bytes_per_cycle: 8 } }, ";
  const std::string good = "{ name: \"t\", clock_hz: 1000000000, cores: 1, " + core +
                           "dram: { bytes: 1073741824, bandwidth: 1000000000 } }";
  EXPECT_FALSE(parseTarget(good, "t.json", t, error));
  EXPECT_EQ("t.json: core.matrix.rows is 0, expected 1..4096", error);
  EXPECT_FALSE(parseTarget("{ name: \"t\", cores: 1 }", "t.json", t, error));
  EXPECT_NE(std::string::npos, error.find("t.json: ")) << error;
  EXPECT_FALSE(parseTarget("{ name: \"t\", cores: ", "t.json", t, error));
  EXPECT_NE(std::string::npos, error.find("t.json: ")) << error;
  EXPECT_FALSE(parseTarget("{ name: \"t\", clocks: 3 }", "t.json", t, error));
  EXPECT_NE(std::string::npos, error.find("clocks")) << error;
  EXPECT_FALSE(loadTarget("/nonexistent/t.json", t, error));
  EXPECT_EQ("/nonexistent/t.json: cannot open the target description", error);
}

TEST(NpuTargetTest, LoadsAVendorFile) {
  std::string path = ::testing::TempDir() + "/nuri_npu_target_test.json";
  {
    std::ofstream out(path);
    out << "// a vendor's chip\n{ name: \"mine\", clock_hz: 800000000, cores: 4, "
           "core: { matrix: { rows: 32, cols: 32 }, vector: { lanes: 64 }, "
           "scratchpad: { bytes: 4194304, banks: 8 }, dma: { bytes_per_cycle: 32 } }, "
           "dram: { bytes: 8589934592, bandwidth: 51200000000 } }\n";
  }
  TargetDescription t;
  std::string error;
  ASSERT_TRUE(loadTarget(path, t, error)) << error;
  EXPECT_EQ("mine", t.name);
  EXPECT_EQ(2u, t.int8Factor); // schema default
  EXPECT_EQ(uint64_t(4 * 32 * 32), t.peakMacsPerCycle());
  EXPECT_DOUBLE_EQ(64.0, t.dramBytesPerCycle());
  std::remove(path.c_str());
}

} // namespace
} // namespace nuri::npu
