// HAL objects: devices, buffers, executables, command buffers, semaphores.
#include "drivers/cpu/cpu_testing.h"
#include "hal/driver.h"
#include "test_model.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>

namespace nuri::test {
namespace {

class HalTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_EQ(nullptr, nuri_instance_create(&instance));
    ASSERT_EQ(nullptr, nuri_device_create(instance, "cpu", nullptr, &device));
    allocator = nuri_device_allocator(device);
  }
  void TearDown() override {
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

  nuri_instance_t instance = nullptr;
  nuri_device_t device = nullptr;
  nuri_allocator_t allocator = nullptr;
};

TEST(StatusTest, CarriesCodeAndMessage) {
  EXPECT_EQ(NURI_OK, nuri_status_code(nullptr));
  EXPECT_STREQ("OK", nuri_status_message(nullptr));
  nuri_status_t status = nuri_make_status(NURI_NOT_FOUND, "no %s %d", "x", 3);
  EXPECT_EQ(NURI_NOT_FOUND, nuri_status_code(status));
  EXPECT_STREQ("no x 3", nuri_status_message(status));
  nuri_status_free(status);
  nuri_status_free(nullptr);
  EXPECT_EQ(nullptr, nuri_make_status(NURI_OK, "ignored"));
  EXPECT_STREQ("DATA_LOSS", nuri_status_code_name(NURI_DATA_LOSS));
  EXPECT_EQ(2u, nuri_dtype_size(NURI_DTYPE_BF16));
  EXPECT_STREQ("i1", nuri_dtype_name(NURI_DTYPE_I1));
  EXPECT_STREQ("string", nuri_dtype_name(NURI_DTYPE_STRING));
  EXPECT_EQ(0u, nuri_dtype_size(NURI_DTYPE_STRING)); // width is per tensor
  EXPECT_EQ(0u, nuri_dtype_size(static_cast<nuri_dtype_t>(99)));
}

nuri_status_t unavailableDevice(const nuri_device_options_t *,
                                const nuri_device_vtable_t **, void **) {
  return nuri_make_status(NURI_UNAVAILABLE, "no npu on this machine");
}
const nuri_driver_vtable_t kMissingNpu = {"npu", unavailableDevice};

TEST_F(HalTest, DriverRegistryAndAutoSelection) {
  // cpu, npu-sim, vulkan where the runtime was built with its headers, cuda.
  size_t drivers = nuri_instance_driver_count(instance);
  ASSERT_TRUE(drivers == 3 || drivers == 4);
  EXPECT_STREQ("cpu", nuri_instance_driver_name(instance, 0));
  EXPECT_STREQ("npu-sim", nuri_instance_driver_name(instance, 1));
  if (drivers == 4)
    EXPECT_STREQ("vulkan", nuri_instance_driver_name(instance, 2));
  EXPECT_STREQ("cuda", nuri_instance_driver_name(instance, drivers - 1));
  EXPECT_EQ(nullptr, nuri_instance_driver_name(instance, drivers));
  EXPECT_STREQ("cpu", nuri_device_name(device));

  nuri_device_t other = nullptr;
  EXPECT_EQ(NURI_NOT_FOUND,
            codeOf(nuri_device_create(instance, "tpu", nullptr, &other)));
  EXPECT_EQ(nullptr, other);
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_device_create(instance, "cpu:1", nullptr, &other)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_device_create(instance, "cpu:x", nullptr, &other)));
  // Where a GPU is present, auto prefers it (cuda, then vulkan) to the cpu.
  const char *gpu = nullptr;
  for (const char *name : {"cuda", "vulkan"}) {
    nuri_status_t status = nuri_device_create(instance, name, nullptr, &other);
    if (!status) {
      gpu = name;
      nuri_device_release(other);
      break;
    }
    nuri_status_free(status);
  }
  ASSERT_EQ(nullptr, nuri_instance_register_driver(instance, &kMissingNpu));
  EXPECT_EQ(NURI_ALREADY_EXISTS,
            codeOf(nuri_instance_register_driver(instance, &kMissingNpu)));
  EXPECT_EQ(NURI_UNAVAILABLE,
            codeOf(nuri_device_create(instance, "npu", nullptr, &other)));
  // auto skips the registered but unavailable npu.
  ASSERT_EQ(nullptr, nuri_device_create(instance, "auto", nullptr, &other));
  EXPECT_STREQ(gpu ? gpu : "cpu", nuri_device_name(other));
  nuri_device_release(other);

  nuri_driver_t driver = nullptr;
  ASSERT_EQ(nullptr, nuri_driver_create(instance, "cpu", &driver));
  EXPECT_STREQ("cpu", nuri_driver_name(driver));
  nuri_device_options_t options;
  nuri_device_options_init(&options);
  options.thread_count = 3;
  ASSERT_EQ(nullptr, nuri_driver_create_device(driver, &options, &other));
  EXPECT_EQ(3u, nuri_cpu_device_thread_count(other));
  nuri_driver_release(driver);
  nuri_device_release(other);
  options.thread_count = -1;
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_device_create(instance, "cpu", &options, &other)));
  EXPECT_TRUE(nuri_device_supports_format(device, "elf-x86_64-so"));
  EXPECT_FALSE(nuri_device_supports_format(device, "spirv"));
}

TEST_F(HalTest, BuffersAreAlignedZeroedAndSized) {
  for (uint64_t size : {0ull, 1ull, 63ull, 64ull, 1000ull, 1ull << 20}) {
    nuri_buffer_t buffer = allocate(size);
    ASSERT_NE(nullptr, buffer);
    EXPECT_EQ(size, nuri_buffer_size(buffer));
    uint8_t *host = map<uint8_t>(buffer);
    EXPECT_EQ(0u, reinterpret_cast<uintptr_t>(host) % 64) << size;
    for (uint64_t i = 0; i < size; ++i)
      ASSERT_EQ(0, host[i]);
    nuri_buffer_retain(buffer);
    nuri_buffer_release(buffer);
    nuri_buffer_release(buffer);
  }
  nuri_buffer_t huge = nullptr;
  EXPECT_EQ(NURI_RESOURCE_EXHAUSTED,
            codeOf(nuri_allocator_allocate(allocator, ~0ull, &huge)));
}

// The cpu has no memory of its own: a device-local request is answered
// with host-visible memory, which says so and maps.
TEST_F(HalTest, DeviceLocalOnTheCpuIsHostMemory) {
  nuri_buffer_t buffer = nullptr;
  ASSERT_EQ(nullptr,
            nuri_allocator_allocate_typed(allocator, 256, NURI_MEMORY_DEVICE_LOCAL, &buffer));
  EXPECT_EQ(NURI_MEMORY_HOST_VISIBLE, nuri_buffer_memory_type(buffer));
  EXPECT_NE(nullptr, map<uint8_t>(buffer));
  nuri_buffer_release(buffer);
  EXPECT_EQ(NURI_MEMORY_HOST_VISIBLE, nuri_buffer_memory_type(nullptr));
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_allocator_allocate_typed(nullptr, 64, NURI_MEMORY_DEVICE_LOCAL, &buffer)));
}

// Records (workgroup_id + 1) into slot workgroup_id of binding 0.
void markWorkgroups(void **bindings, int64_t id, int64_t count) {
  auto *slots = static_cast<int64_t *>(bindings[0]);
  slots[id] += id + 1;
  slots[count] = count; // every workgroup agrees on the count
}

// binding1[i] = binding0[i] * 10 for 8 elements per workgroup.
void timesTen(void **bindings, int64_t id, int64_t) {
  auto *in = static_cast<const int32_t *>(bindings[0]);
  auto *out = static_cast<int32_t *>(bindings[1]);
  for (int64_t i = id * 8; i < id * 8 + 8; ++i)
    out[i] = in[i] * 10;
}

TEST_F(HalTest, CommandBufferRunsDispatchesAndCopiesInOrder) {
  const nuri_cpu_entry_fn_t functions[] = {markWorkgroups, timesTen};
  nuri_executable_t executable = nullptr;
  ASSERT_EQ(nullptr, nuri_executable_create_from_functions(device, functions, 2,
                                                           &executable));
  EXPECT_EQ(2u, nuri_executable_entry_point_count(executable));

  nuri_buffer_t slots = allocate(101 * 8);
  nuri_buffer_t source = allocate(64 * 4), staged = allocate(64 * 4),
                result = allocate(64 * 4);
  int32_t *src = map<int32_t>(source);
  for (int i = 0; i < 64; ++i)
    src[i] = i - 7;

  nuri_command_buffer_t cb = nullptr;
  ASSERT_EQ(nullptr, nuri_command_buffer_create(device, &cb));
  ASSERT_EQ(nullptr,
            nuri_command_buffer_dispatch(cb, executable, 0, 100, &slots, 1));
  ASSERT_EQ(nullptr, nuri_command_buffer_copy(cb, source, 0, staged, 0, 256));
  ASSERT_EQ(nullptr, nuri_command_buffer_barrier(cb));
  nuri_buffer_t pair[] = {staged, result};
  ASSERT_EQ(nullptr,
            nuri_command_buffer_dispatch(cb, executable, 1, 8, pair, 2));
  // A partial copy at an offset: result[60..63] = source[0..3].
  ASSERT_EQ(nullptr, nuri_command_buffer_copy(cb, source, 0, result, 240, 16));
  EXPECT_EQ(5u, nuri_command_buffer_command_count(cb));

  // Invalid records fail and leave the command buffer unchanged.
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_command_buffer_dispatch(
                                       cb, executable, 2, 1, &slots, 1)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_command_buffer_dispatch(
                                       cb, executable, 0, 0, &slots, 1)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_command_buffer_copy(cb, source, 8, result, 0, 256)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_command_buffer_copy(cb, source, 0, result, 1, 256)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_command_buffer_copy(cb, source, ~0ull, result, 0, 2)));
  EXPECT_EQ(5u, nuri_command_buffer_command_count(cb));

  nuri_semaphore_t done = nullptr;
  ASSERT_EQ(nullptr, nuri_semaphore_create(device, 0, &done));
  // Release our references early: the command buffer keeps them alive.
  nuri_executable_release(executable);
  for (int run = 1; run <= 2; ++run) {
    ASSERT_EQ(nullptr, nuri_device_submit(device, cb, nullptr, 0, done, run));
    EXPECT_EQ(uint64_t(run), nuri_semaphore_query(done));
  }
  int64_t *marks = map<int64_t>(slots);
  for (int64_t i = 0; i < 100; ++i)
    ASSERT_EQ(2 * (i + 1), marks[i]) << "workgroup " << i;
  EXPECT_EQ(100, marks[100]);
  int32_t *out = map<int32_t>(result);
  for (int i = 0; i < 60; ++i)
    ASSERT_EQ((i - 7) * 10, out[i]);
  for (int i = 60; i < 64; ++i)
    ASSERT_EQ(i - 60 - 7, out[i]);

  nuri_command_buffer_release(cb);
  nuri_semaphore_release(done);
  for (nuri_buffer_t buffer : {slots, source, staged, result})
    nuri_buffer_release(buffer);
}

TEST_F(HalTest, ExecutableFromSharedObject) {
  std::vector<uint8_t> library = kernelLibrary();
  const char *entries[] = {"add_f32", "scale2_f32"};
  nuri_executable_t executable = nullptr;
  ASSERT_EQ(nullptr,
            nuri_executable_create(device, "elf-x86_64-so", library.data(),
                                   library.size(), entries, 2, &executable));
  nuri_buffer_t in = allocate(kElements * 4), out = allocate(kElements * 4);
  float *a = map<float>(in);
  for (int64_t i = 0; i < kElements; ++i)
    a[i] = static_cast<float>(i) / 4;
  nuri_command_buffer_t cb = nullptr;
  ASSERT_EQ(nullptr, nuri_command_buffer_create(device, &cb));
  nuri_buffer_t bindings[] = {in, out};
  ASSERT_EQ(nullptr,
            nuri_command_buffer_dispatch(cb, executable, 1, 7, bindings, 2));
  ASSERT_EQ(nullptr, nuri_device_submit(device, cb, nullptr, 0, nullptr, 0));
  float *b = map<float>(out);
  for (int64_t i = 0; i < kElements; ++i)
    ASSERT_EQ(a[i] * 2, b[i]);
  nuri_command_buffer_release(cb);
  nuri_buffer_release(in);
  nuri_buffer_release(out);
  nuri_executable_release(executable);

  const char *missing[] = {"add_f32", "no_such_kernel"};
  nuri_status_t status =
      nuri_executable_create(device, "elf-x86_64-so", library.data(),
                             library.size(), missing, 2, &executable);
  EXPECT_EQ(NURI_NOT_FOUND, nuri_status_code(status));
  EXPECT_NE(nullptr,
            std::strstr(nuri_status_message(status), "no_such_kernel"));
  nuri_status_free(status);
  std::vector<uint8_t> garbage(256, 0x42);
  EXPECT_NE(NURI_OK, codeOf(nuri_executable_create(
                         device, "elf-x86_64-so", garbage.data(),
                         garbage.size(), entries, 1, &executable)));
  EXPECT_EQ(NURI_UNIMPLEMENTED, codeOf(nuri_executable_create(
                                    device, "ptx", library.data(),
                                    library.size(), entries, 1, &executable)));
}

TEST_F(HalTest, SemaphoreTimeline) {
  nuri_semaphore_t semaphore = nullptr;
  ASSERT_EQ(nullptr, nuri_semaphore_create(device, 5, &semaphore));
  EXPECT_EQ(5u, nuri_semaphore_query(semaphore));
  EXPECT_EQ(nullptr, nuri_semaphore_wait(semaphore, 5, 0));
  EXPECT_EQ(nullptr, nuri_semaphore_wait(semaphore, 3, 0));
  EXPECT_EQ(NURI_DEADLINE_EXCEEDED,
            codeOf(nuri_semaphore_wait(semaphore, 6, 1000000)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_semaphore_signal(semaphore, 5)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_semaphore_signal(semaphore, 4)));

  // A waiter on another thread wakes when the value is reached.
  std::atomic<bool> woke{false};
  std::thread waiter([&] {
    nuri_status_t status =
        nuri_semaphore_wait(semaphore, 8, NURI_TIMEOUT_INFINITE);
    woke = status == nullptr;
    nuri_status_free(status);
  });
  ASSERT_EQ(nullptr, nuri_semaphore_signal(semaphore, 7));
  ASSERT_EQ(nullptr, nuri_semaphore_signal(semaphore, 8));
  waiter.join();
  EXPECT_TRUE(woke);

  // submit waits on one semaphore and signals another.
  nuri_semaphore_t signal = nullptr;
  ASSERT_EQ(nullptr, nuri_semaphore_create(device, 0, &signal));
  nuri_command_buffer_t cb = nullptr;
  ASSERT_EQ(nullptr, nuri_command_buffer_create(device, &cb));
  ASSERT_EQ(nullptr, nuri_command_buffer_barrier(cb));
  ASSERT_EQ(nullptr, nuri_device_submit(device, cb, semaphore, 8, signal, 1));
  EXPECT_EQ(1u, nuri_semaphore_query(signal));
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_device_submit(device, cb, nullptr, 0, signal, 1)));
  nuri_command_buffer_release(cb);
  nuri_semaphore_release(signal);
  nuri_semaphore_release(semaphore);
}

TEST_F(HalTest, NullArgumentsAreErrorsNotCrashes) {
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_instance_create(nullptr)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_device_create(nullptr, "cpu", nullptr, nullptr)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_allocator_allocate(nullptr, 4, nullptr)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_buffer_map(nullptr, nullptr)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_module_load_file(instance, nullptr, nullptr)));
  nuri_executable_t executable = nullptr;
  nuri_cpu_entry_fn_t none = nullptr;
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_executable_create_from_functions(
                                       device, &none, 1, &executable)));
  nuri_buffer_release(nullptr);
  nuri_device_release(nullptr);
}

TEST_F(HalTest, ProfileIsUnimplementedOnCpu) {
  char *json = reinterpret_cast<char *>(1);
  nuri_status_t status =
      nuri_device_profile(device, NURI_PROFILE_STATS_JSON, &json);
  EXPECT_EQ(NURI_UNIMPLEMENTED, nuri_status_code(status));
  EXPECT_STREQ("device 'cpu' keeps no profile", nuri_status_message(status));
  nuri_status_free(status);
  EXPECT_EQ(nullptr, json);
  EXPECT_EQ(NURI_UNIMPLEMENTED, codeOf(nuri_device_profile_reset(device)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_device_profile(
                device, static_cast<nuri_profile_kind_t>(7), &json)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT,
            codeOf(nuri_device_profile(nullptr, NURI_PROFILE_STATS_JSON,
                                       &json)));
  EXPECT_EQ(NURI_INVALID_ARGUMENT, codeOf(nuri_device_profile_reset(nullptr)));
  nuri_profile_free(nullptr);
}

} // namespace
} // namespace nuri::test
