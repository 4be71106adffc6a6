// The cuda driver: without a GPU (CI) it must report UNAVAILABLE, naming
// why, and never crash; with one (the GPU check) buffers, copies and a host
// dispatch between them.
#include "hal/driver.h"
#include "test_model.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace nuri::test {
namespace {

TEST(CudaDriver, MissingDriverOrGpuIsUnavailable) {
  nuri_instance_t instance = nullptr;
  ASSERT_EQ(nullptr, nuri_instance_create(&instance));
  nuri_device_t device = nullptr;
  setenv("NURI_CUDA_LIBRARY", "/nonexistent/libcuda.so.1", 1);
  nuri_status_t status = nuri_device_create(instance, "cuda", nullptr, &device);
  unsetenv("NURI_CUDA_LIBRARY");
  EXPECT_EQ(NURI_UNAVAILABLE, nuri_status_code(status));
  EXPECT_NE(nullptr, std::strstr(nuri_status_message(status), "no CUDA driver"));
  nuri_status_free(status);
  EXPECT_EQ(nullptr, device);
  // The real library, where there is one: a device, or UNAVAILABLE.
  status = nuri_device_create(instance, "cuda", nullptr, &device);
  if (status) {
    EXPECT_EQ(NURI_UNAVAILABLE, nuri_status_code(status)) << nuri_status_message(status);
    nuri_status_free(status);
  } else {
    nuri_device_release(device);
  }
  nuri_instance_release(instance);
}

TEST(CudaDriver, BuffersCopiesAndHostDispatches) {
  nuri_instance_t instance = nullptr;
  ASSERT_EQ(nullptr, nuri_instance_create(&instance));
  nuri_device_t device = nullptr;
  nuri_status_t status = nuri_device_create(instance, "cuda", nullptr, &device);
  if (status) {
    std::string why = nuri_status_message(status);
    nuri_status_free(status);
    nuri_instance_release(instance);
    GTEST_SKIP() << why;
  }
  EXPECT_TRUE(nuri_device_supports_format(device, "ptx-cuda1"));
  EXPECT_TRUE(nuri_device_supports_format(device, "elf-x86_64-so"));
  nuri_allocator_t allocator = nuri_device_allocator(device);
  std::vector<uint8_t> library = kernelLibrary();
  const char *entries[] = {"add_f32", "scale2_f32"};
  nuri_executable_t host = nullptr;
  ASSERT_EQ(nullptr, nuri_executable_create(device, "elf-x86_64-so", library.data(), library.size(),
                                            entries, 2, &host));
  nuri_buffer_t a = nullptr, b = nullptr, c = nullptr;
  ASSERT_EQ(nullptr, nuri_allocator_allocate(allocator, kElements * 4, &a));
  ASSERT_EQ(nullptr, nuri_allocator_allocate(allocator, kElements * 4, &b));
  ASSERT_EQ(nullptr, nuri_allocator_allocate(allocator, kElements * 4, &c));
  void *pa = nullptr, *pc = nullptr;
  ASSERT_EQ(nullptr, nuri_buffer_map(a, &pa));
  for (int64_t i = 0; i < kElements; ++i)
    static_cast<float *>(pa)[i] = float(i) - 3;
  nuri_command_buffer_t cb = nullptr;
  ASSERT_EQ(nullptr, nuri_command_buffer_create(device, &cb));
  ASSERT_EQ(nullptr, nuri_command_buffer_copy(cb, a, 0, b, 0, kElements * 4));
  nuri_buffer_t pair[] = {b, c};
  ASSERT_EQ(nullptr, nuri_command_buffer_dispatch(cb, host, 1, 7, pair, 2));
  ASSERT_EQ(nullptr, nuri_device_submit(device, cb, nullptr, 0, nullptr, 0));
  ASSERT_EQ(nullptr, nuri_buffer_map(c, &pc));
  for (int64_t i = 0; i < kElements; ++i)
    ASSERT_EQ((float(i) - 3) * 2, static_cast<float *>(pc)[i]) << i;
  std::string garbage(256, 'x');
  nuri_executable_t e = nullptr;
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_executable_create(device, "ptx-cuda1", garbage.data(),
                                                                 garbage.size(), entries, 1, &e)));
  nuri_command_buffer_release(cb);
  for (nuri_buffer_t x : {a, b, c})
    nuri_buffer_release(x);
  nuri_executable_release(host);
  nuri_device_release(device);
  nuri_instance_release(instance);
}

} // namespace
} // namespace nuri::test
