// The vulkan driver on whatever Vulkan device the machine has (lavapipe in
// CI): buffers, copies, the host fallback, executables it must reject, and
// the errors of a missing loader or device. Shaders themselves are run by
// the e2e tests (tests/e2e/peer_models.py --device vulkan).
#include "hal/driver.h"
#include "test_model.h"

#include "nuri/schemas/vulkan_executable_generated.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace nuri::test {
namespace {

class VulkanDriverTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(nullptr, nuri_instance_create(&instance));
    nuri_status_t status = nuri_device_create(instance, "vulkan", nullptr, &device);
    if (status) {
      std::string why = nuri_status_message(status);
      nuri_status_free(status);
      GTEST_SKIP() << "no Vulkan device: " << why;
    }
    allocator = nuri_device_allocator(device);
  }
  void TearDown() override {
    if (device)
      nuri_device_release(device);
    nuri_instance_release(instance);
  }
  nuri_buffer_t allocate(uint64_t size) {
    nuri_buffer_t buffer = nullptr;
    EXPECT_EQ(nullptr, nuri_allocator_allocate(allocator, size, &buffer));
    return buffer;
  }
  template <typename T> T *map(nuri_buffer_t buffer) {
    void *host = nullptr;
    EXPECT_EQ(nullptr, nuri_buffer_map(buffer, &host));
    return static_cast<T *>(host);
  }
  /// A spirv-vk1 FlatBuffer with one kernel of these words.
  static std::string executableWith(std::vector<uint32_t> words, bool needsFloat16 = false) {
    flatbuffers::FlatBufferBuilder fbb;
    auto kernel = vulkan::CreateKernel(fbb, fbb.CreateString("k"), fbb.CreateVector(words),
                                       fbb.CreateVector(std::vector<uint32_t>{1, 1, 1}),
                                       fbb.CreateVector(std::vector<uint32_t>{1, 1, 1}),
                                       fbb.CreateVector(std::vector<uint32_t>{0}));
    auto root = vulkan::CreateExecutable(
        fbb, fbb.CreateVector(std::vector<flatbuffers::Offset<vulkan::Kernel>>{kernel}),
        fbb.CreateString("test"), false, false, false, needsFloat16);
    vulkan::FinishExecutableBuffer(fbb, root);
    return std::string(reinterpret_cast<const char *>(fbb.GetBufferPointer()), fbb.GetSize());
  }
  nuri_instance_t instance = nullptr;
  nuri_device_t device = nullptr;
  nuri_allocator_t allocator = nullptr;
};

TEST_F(VulkanDriverTest, BuffersAreMappedZeroedAndAligned) {
  EXPECT_STREQ("vulkan", nuri_device_name(device));
  EXPECT_TRUE(nuri_device_supports_format(device, "spirv-vk1"));
  EXPECT_TRUE(nuri_device_supports_format(device, "elf-x86_64-so"));
  EXPECT_FALSE(nuri_device_supports_format(device, "ptx"));
  for (uint64_t size : {0ull, 1ull, 64ull, 1000ull, 1ull << 20}) {
    nuri_buffer_t buffer = allocate(size);
    ASSERT_NE(nullptr, buffer);
    EXPECT_EQ(size, nuri_buffer_size(buffer));
    uint8_t *host = map<uint8_t>(buffer);
    EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(host) % 64) << size;
    for (uint64_t i = 0; i < size; ++i)
      ASSERT_EQ(0, host[i]);
    nuri_buffer_release(buffer);
  }
  nuri_buffer_t huge = nullptr;
  EXPECT_EQ(NURI_RESOURCE_EXHAUSTED, codeOf(nuri_allocator_allocate(allocator, ~0ull, &huge)));
}

TEST_F(VulkanDriverTest, CopiesRunOnTheQueueAndHostKernelsSeeThem) {
  std::vector<uint8_t> library = kernelLibrary();
  const char *entries[] = {"add_f32", "scale2_f32"};
  nuri_executable_t host = nullptr;
  ASSERT_EQ(nullptr, nuri_executable_create(device, "elf-x86_64-so", library.data(),
                                            library.size(), entries, 2, &host));
  nuri_buffer_t a = allocate(kElements * 4), b = allocate(kElements * 4),
                c = allocate(kElements * 4);
  float *src = map<float>(a);
  for (int64_t i = 0; i < kElements; ++i)
    src[i] = float(i) - 3;
  nuri_command_buffer_t cb = nullptr;
  ASSERT_EQ(nullptr, nuri_command_buffer_create(device, &cb));
  // Copy on the GPU queue, then a host kernel reads the copy: the driver
  // must submit and wait before the host runs.
  ASSERT_EQ(nullptr, nuri_command_buffer_copy(cb, a, 0, b, 0, kElements * 4));
  nuri_buffer_t pair[] = {b, c};
  ASSERT_EQ(nullptr, nuri_command_buffer_dispatch(cb, host, 1, 7, pair, 2));
  // ...and a copy after the host kernel sees its result: c[0..3] -> a[4..7].
  ASSERT_EQ(nullptr, nuri_command_buffer_copy(cb, c, 0, a, 16, 16));
  ASSERT_EQ(nullptr, nuri_device_submit(device, cb, nullptr, 0, nullptr, 0));
  float *out = map<float>(c);
  for (int64_t i = 0; i < kElements; ++i)
    ASSERT_EQ((float(i) - 3) * 2, out[i]) << i;
  for (int64_t i = 4; i < 8; ++i)
    ASSERT_EQ((float(i - 4) - 3) * 2, src[i]) << i;
  nuri_command_buffer_release(cb);
  for (nuri_buffer_t x : {a, b, c})
    nuri_buffer_release(x);
  nuri_executable_release(host);
}

TEST_F(VulkanDriverTest, DeviceLocalBuffersAreReachedByCopiesOnly) {
  nuri_buffer_t local = nullptr;
  ASSERT_EQ(nullptr, nuri_allocator_allocate_typed(allocator, kElements * 4,
                                                   NURI_MEMORY_DEVICE_LOCAL, &local));
  EXPECT_EQ(NURI_MEMORY_DEVICE_LOCAL, nuri_buffer_memory_type(local));
  EXPECT_EQ(uint64_t(kElements * 4), nuri_buffer_size(local));
  void *host = nullptr;
  nuri_status_t status = nuri_buffer_map(local, &host);
  EXPECT_EQ(NURI_FAILED_PRECONDITION, nuri_status_code(status));
  EXPECT_NE(nullptr, std::strstr(nuri_status_message(status), "device-local"));
  nuri_status_free(status);
  nuri_buffer_t a = allocate(kElements * 4), c = allocate(kElements * 4);
  EXPECT_EQ(NURI_MEMORY_HOST_VISIBLE, nuri_buffer_memory_type(a));
  float *in = map<float>(a), *out = map<float>(c);
  for (int64_t i = 0; i < kElements; ++i) {
    in[i] = float(i) * 0.5f;
    out[i] = -1;
  }
  // Zero-filled like any buffer: read back before anything is written.
  nuri_command_buffer_t cb = nullptr;
  ASSERT_EQ(nullptr, nuri_command_buffer_create(device, &cb));
  ASSERT_EQ(nullptr, nuri_command_buffer_copy(cb, local, 0, c, 0, kElements * 4));
  ASSERT_EQ(nullptr, nuri_device_submit(device, cb, nullptr, 0, nullptr, 0));
  nuri_command_buffer_release(cb);
  for (int64_t i = 0; i < kElements; ++i)
    ASSERT_EQ(0.0f, out[i]) << i;
  // Staged in and out through host-visible buffers.
  ASSERT_EQ(nullptr, nuri_command_buffer_create(device, &cb));
  ASSERT_EQ(nullptr, nuri_command_buffer_copy(cb, a, 0, local, 0, kElements * 4));
  ASSERT_EQ(nullptr, nuri_command_buffer_copy(cb, local, 8, c, 0, kElements * 4 - 8));
  ASSERT_EQ(nullptr, nuri_device_submit(device, cb, nullptr, 0, nullptr, 0));
  nuri_command_buffer_release(cb);
  for (int64_t i = 0; i + 2 < kElements; ++i)
    ASSERT_EQ(float(i + 2) * 0.5f, out[i]) << i;
  // The host fallback cannot reach it: an error naming it, not a crash.
  std::vector<uint8_t> library = kernelLibrary();
  const char *entries[] = {"add_f32", "scale2_f32"};
  nuri_executable_t kernels = nullptr;
  ASSERT_EQ(nullptr, nuri_executable_create(device, "elf-x86_64-so", library.data(),
                                            library.size(), entries, 2, &kernels));
  ASSERT_EQ(nullptr, nuri_command_buffer_create(device, &cb));
  nuri_buffer_t pair[] = {local, c};
  ASSERT_EQ(nullptr, nuri_command_buffer_dispatch(cb, kernels, 1, 7, pair, 2));
  status = nuri_device_submit(device, cb, nullptr, 0, nullptr, 0);
  EXPECT_EQ(NURI_FAILED_PRECONDITION, nuri_status_code(status));
  EXPECT_NE(nullptr, std::strstr(nuri_status_message(status), "device-local"));
  nuri_status_free(status);
  nuri_command_buffer_release(cb);
  nuri_executable_release(kernels);
  nuri_buffer_t huge = nullptr;
  EXPECT_EQ(NURI_RESOURCE_EXHAUSTED,
            codeOf(nuri_allocator_allocate_typed(allocator, ~0ull, NURI_MEMORY_DEVICE_LOCAL, &huge)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_allocator_allocate_typed(allocator, 64, static_cast<nuri_memory_type_t>(7),
                                                 &huge)));
  for (nuri_buffer_t x : {local, a, c})
    nuri_buffer_release(x);
}

TEST_F(VulkanDriverTest, RejectsExecutablesItCannotRun) {
  const char *entries[] = {"k"};
  nuri_executable_t e = nullptr;
  std::string garbage(256, 'x');
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_executable_create(device, "spirv-vk1", garbage.data(),
                                                                 garbage.size(), entries, 1, &e)));
  std::string notSpirv = executableWith({1, 2, 3, 4, 5, 6});
  nuri_status_t status =
      nuri_executable_create(device, "spirv-vk1", notSpirv.data(), notSpirv.size(), entries, 1, &e);
  EXPECT_EQ(NURI_INVALID_ARGUMENT, nuri_status_code(status));
  EXPECT_NE(nullptr, std::strstr(nuri_status_message(status), "'k' is not SPIR-V"));
  nuri_status_free(status);
  const char *two[] = {"k", "l"};
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_executable_create(device, "spirv-vk1", notSpirv.data(),
                                                                 notSpirv.size(), two, 2, &e)));
  EXPECT_EQ(NURI_UNIMPLEMENTED, codeOf(nuri_executable_create(device, "ptx", notSpirv.data(),
                                                              notSpirv.size(), entries, 1, &e)));
}

TEST(VulkanDriverErrors, MissingLoaderOrDeviceIsReported) {
  nuri_instance_t instance = nullptr;
  ASSERT_EQ(nullptr, nuri_instance_create(&instance));
  nuri_device_t device = nullptr;
  if (nuri_instance_driver_count(instance) < 4) {
    nuri_instance_release(instance);
    GTEST_SKIP() << "runtime built without the vulkan driver";
  }
  // No Vulkan loader: the driver is UNAVAILABLE (auto moves on), not a crash.
  setenv("NURI_VULKAN_LIBRARY", "/nonexistent/libvulkan.so.1", 1);
  nuri_status_t status = nuri_device_create(instance, "vulkan", nullptr, &device);
  unsetenv("NURI_VULKAN_LIBRARY");
  EXPECT_EQ(NURI_UNAVAILABLE, nuri_status_code(status));
  EXPECT_NE(nullptr, std::strstr(nuri_status_message(status), "Vulkan loader"));
  nuri_status_free(status);
  EXPECT_EQ(nullptr, device);
  status = nuri_device_create(instance, "vulkan:999", nullptr, &device);
  nuri_status_code_t code = nuri_status_code(status);
  // INVALID_ARGUMENT where Vulkan has devices; UNAVAILABLE where it has none.
  EXPECT_TRUE(code == NURI_INVALID_ARGUMENT || code == NURI_UNAVAILABLE) << nuri_status_message(status);
  nuri_status_free(status);
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_device_create(instance, "vulkan:-1", nullptr, &device)));
  nuri_instance_release(instance);
}

} // namespace
} // namespace nuri::test
