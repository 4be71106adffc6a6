// Driver plugins (nuri/driver_plugin.h): the npu-sim driver built as a
// plugin runs an artifact like the built-in one, and the loader refuses
// what it cannot use with the file and the reason.
#include "nuri/driver_plugin.h"
#include "test_model.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace nuri::test {
namespace {

namespace fs = std::filesystem;

struct Instance {
  nuri_instance_t instance = nullptr;
  Instance() { EXPECT_EQ(nullptr, nuri_instance_create(&instance)); }
  ~Instance() { nuri_instance_release(instance); }
};

TEST(DriverPlugin, TheNpuSimulatorRunsAsAPlugin) {
  Instance i;
  size_t before = nuri_instance_driver_count(i.instance);
  const char *name = nullptr;
  StatusResult loaded = take(nuri_instance_load_driver_plugin(i.instance, NURI_NPU_SIM_PLUGIN, &name));
  ASSERT_EQ(NURI_OK, loaded.code) << loaded.message;
  ASSERT_NE(nullptr, name);
  EXPECT_STREQ("npu-sim-plugin", name);
  EXPECT_EQ(before + 1, nuri_instance_driver_count(i.instance));
  nuri_device_t device = nullptr;
  ASSERT_EQ(nullptr, nuri_device_create(i.instance, "npu-sim-plugin", nullptr, &device));
  EXPECT_TRUE(nuri_device_supports_format(device, "npu-isa-v1"));
  // An npu,cpu artifact: the three dispatches run on the plugin's simulator.
  std::vector<uint8_t> bytes = fallbackModel("npu", "npu-isa-v1", npuAddScaleProgram()).serialize();
  nuri_module_t module = nullptr;
  ASSERT_EQ(nullptr,
            nuri_module_load_memory(i.instance, bytes.data(), bytes.size(), "npu.nuri", &module));
  nuri_session_t session = nullptr;
  StatusResult created = take(nuri_session_create(module, device, &session));
  ASSERT_EQ(NURI_OK, created.code) << created.message;
  nuri_buffer_t inputs[2];
  for (int k = 0; k < 2; ++k) {
    ASSERT_EQ(nullptr,
              nuri_allocator_allocate(nuri_device_allocator(device), kElements * 4, &inputs[k]));
    float *host = nullptr;
    ASSERT_EQ(nullptr, nuri_buffer_map(inputs[k], (void **)&host));
    for (int64_t e = 0; e < kElements; ++e)
      host[e] = k ? 0.5f * e : 1.0f + e;
  }
  nuri_buffer_t outputs[3] = {};
  StatusResult invoked = take(nuri_session_invoke(session, inputs, 2, outputs, 3));
  ASSERT_EQ(NURI_OK, invoked.code) << invoked.message;
  float *sum = nullptr, *doubled = nullptr;
  ASSERT_EQ(nullptr, nuri_buffer_map(outputs[0], (void **)&sum));
  ASSERT_EQ(nullptr, nuri_buffer_map(outputs[1], (void **)&doubled));
  for (int64_t e = 0; e < kElements; ++e) {
    ASSERT_EQ((1.0f + e) + 0.5f * e + float(e), sum[e]) << e;
    ASSERT_EQ(2 * sum[e], doubled[e]) << e;
  }
  char *stats = nullptr;
  ASSERT_EQ(nullptr, nuri_device_profile(device, NURI_PROFILE_STATS_JSON, &stats));
  EXPECT_NE(nullptr, std::strstr(stats, "\"npu_dispatches\":3")) << stats;
  nuri_profile_free(stats);
  for (nuri_buffer_t b : {inputs[0], inputs[1], outputs[0], outputs[1], outputs[2]})
    nuri_buffer_release(b);
  nuri_session_release(session);
  nuri_module_release(module);
  nuri_device_release(device);
  // The same plugin again: its driver name is taken.
  StatusResult again = take(nuri_instance_load_driver_plugin(i.instance, NURI_NPU_SIM_PLUGIN, nullptr));
  EXPECT_EQ(NURI_ALREADY_EXISTS, again.code);
  EXPECT_NE(std::string::npos, again.message.find(NURI_NPU_SIM_PLUGIN)) << again.message;
}

TEST(DriverPlugin, BadPluginsAreRefusedWithTheReason) {
  Instance i;
  size_t before = nuri_instance_driver_count(i.instance);
  struct Case {
    std::string path;
    nuri_status_code_t code;
    std::vector<std::string> says;
  };
  fs::path text = fs::temp_directory_path() / "nuri_not_a_plugin.so";
  {
    FILE *f = std::fopen(text.c_str(), "w");
    ASSERT_NE(nullptr, f);
    std::fputs("not a shared library\n", f);
    std::fclose(f);
  }
  const Case cases[] = {
      {"/nonexistent/libfoo_driver.so", NURI_NOT_FOUND, {"/nonexistent/libfoo_driver.so", "no such file"}},
      {text.string(), NURI_INVALID_ARGUMENT, {"does not load"}},
      {NURI_TEST_KERNELS_SO, NURI_NOT_FOUND, {"exports no nuri_driver_plugin"}},
      {NURI_BAD_ABI_PLUGIN, NURI_FAILED_PRECONDITION, {"driver ABI version 999", "this runtime has version 1"}},
      {NURI_NULL_DRIVER_PLUGIN, NURI_INVALID_ARGUMENT, {"needs a name and create_device"}},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.path);
    StatusResult r = take(nuri_instance_load_driver_plugin(i.instance, c.path.c_str(), nullptr));
    EXPECT_EQ(c.code, r.code) << r.message;
    EXPECT_NE(std::string::npos, r.message.find(c.path)) << r.message;
    for (const std::string &s : c.says)
      EXPECT_NE(std::string::npos, r.message.find(s)) << r.message;
  }
  EXPECT_EQ(before, nuri_instance_driver_count(i.instance));
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_instance_load_driver_plugin(i.instance, nullptr, nullptr)));
  fs::remove(text);
}

TEST(DriverPlugin, DriverPathTakesFilesAndDirectories) {
  fs::path dir = fs::temp_directory_path() / "nuri_driver_path_test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  fs::copy_file(NURI_NPU_SIM_PLUGIN, dir / "libnuri_npu_sim_plugin.so");
  {
    Instance i;
    ASSERT_EQ(0, setenv("NURI_DRIVER_PATH", ("::" + dir.string()).c_str(), 1));
    StatusResult r = take(nuri_instance_load_driver_path(i.instance));
    EXPECT_EQ(NURI_OK, r.code) << r.message;
    nuri_driver_t driver = nullptr;
    EXPECT_EQ(nullptr, nuri_driver_create(i.instance, "npu-sim-plugin", &driver));
    nuri_driver_release(driver);
  }
  {
    Instance i;
    ASSERT_EQ(0, setenv("NURI_DRIVER_PATH", (std::string(NURI_BAD_ABI_PLUGIN) + ":" + dir.string()).c_str(), 1));
    StatusResult r = take(nuri_instance_load_driver_path(i.instance));
    EXPECT_EQ(NURI_FAILED_PRECONDITION, r.code) << r.message;
  }
  {
    Instance i;
    ASSERT_EQ(0, unsetenv("NURI_DRIVER_PATH"));
    EXPECT_EQ(nullptr, nuri_instance_load_driver_path(i.instance));
  }
  fs::remove_all(dir);
}

} // namespace
} // namespace nuri::test
