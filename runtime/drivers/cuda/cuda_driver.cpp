// The cuda driver: PTX kernels (format "ptx-cuda1",
// schemas/cuda_executable.fbs) on an NVIDIA GPU through the CUDA driver API,
// loaded with dlopen from libcuda.so.1: no link-time CUDA dependency, and
// "no CUDA device" (UNAVAILABLE, so auto moves on) where there is no driver
// or no GPU. Buffers are managed (unified) memory, so the HAL's host reads
// and writes and the cpu fallback ("elf-x86_64-so", run on the host by an
// inner cpu device) see the same bytes; each execute() enqueues its commands
// on one stream and synchronizes it, and before a host dispatch.
#include "drivers/host_fallback.h"
#include "hal/guard.h"

#include "nuri/schemas/cuda_executable_generated.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <memory>
#include <string>
#include <vector>

namespace nuri {
namespace {

// The few CUDA driver API types and entry points used (cuda.h, ABI-stable
// since CUDA 4; the _v2 names are the current ones).
using CUresult = int;
using CUdevice = int;
using CUdeviceptr = unsigned long long;
using CUcontext = struct CUctx_st *;
using CUmodule = struct CUmod_st *;
using CUfunction = struct CUfunc_st *;
using CUstream = struct CUstream_st *;
constexpr int kAttrComputeMajor = 75, kAttrComputeMinor = 76;
constexpr unsigned kMemAttachGlobal = 1;

struct Api {
  void *library = nullptr;
  CUresult (*cuInit)(unsigned) = nullptr;
  CUresult (*cuDeviceGetCount)(int *) = nullptr;
  CUresult (*cuDeviceGet)(CUdevice *, int) = nullptr;
  CUresult (*cuDeviceGetName)(char *, int, CUdevice) = nullptr;
  CUresult (*cuDeviceGetAttribute)(int *, int, CUdevice) = nullptr;
  CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *, CUdevice) = nullptr;
  CUresult (*cuDevicePrimaryCtxRelease)(CUdevice) = nullptr;
  CUresult (*cuCtxSetCurrent)(CUcontext) = nullptr;
  CUresult (*cuMemAllocManaged)(CUdeviceptr *, size_t, unsigned) = nullptr;
  CUresult (*cuMemFree)(CUdeviceptr) = nullptr;
  CUresult (*cuMemsetD8Async)(CUdeviceptr, unsigned char, size_t, CUstream) = nullptr;
  CUresult (*cuMemcpyAsync)(CUdeviceptr, CUdeviceptr, size_t, CUstream) = nullptr;
  CUresult (*cuModuleLoadDataEx)(CUmodule *, const void *, unsigned, int *, void **) = nullptr;
  CUresult (*cuModuleGetFunction)(CUfunction *, CUmodule, const char *) = nullptr;
  CUresult (*cuModuleUnload)(CUmodule) = nullptr;
  CUresult (*cuLaunchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned, unsigned,
                             unsigned, unsigned, CUstream, void **, void **) = nullptr;
  CUresult (*cuStreamCreate)(CUstream *, unsigned) = nullptr;
  CUresult (*cuStreamDestroy)(CUstream) = nullptr;
  CUresult (*cuStreamSynchronize)(CUstream) = nullptr;
  CUresult (*cuGetErrorName)(CUresult, const char **) = nullptr;

  bool load(std::string &error) {
    const char *name = getenv("NURI_CUDA_LIBRARY");
    library = dlopen(name && *name ? name : "libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!library) {
      const char *e = dlerror();
      error = std::string("no CUDA driver (") + (e ? e : "libcuda.so.1 not found") + ")";
      return false;
    }
    bool ok = true;
    auto sym = [&](auto &fn, const char *n) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(library, n));
      if (!fn && ok) {
        ok = false;
        error = std::string("the CUDA driver has no ") + n;
      }
    };
    sym(cuInit, "cuInit");
    sym(cuDeviceGetCount, "cuDeviceGetCount");
    sym(cuDeviceGet, "cuDeviceGet");
    sym(cuDeviceGetName, "cuDeviceGetName");
    sym(cuDeviceGetAttribute, "cuDeviceGetAttribute");
    sym(cuDevicePrimaryCtxRetain, "cuDevicePrimaryCtxRetain");
    sym(cuDevicePrimaryCtxRelease, "cuDevicePrimaryCtxRelease_v2");
    sym(cuCtxSetCurrent, "cuCtxSetCurrent");
    sym(cuMemAllocManaged, "cuMemAllocManaged");
    sym(cuMemFree, "cuMemFree_v2");
    sym(cuMemsetD8Async, "cuMemsetD8Async");
    sym(cuMemcpyAsync, "cuMemcpyAsync");
    sym(cuModuleLoadDataEx, "cuModuleLoadDataEx");
    sym(cuModuleGetFunction, "cuModuleGetFunction");
    sym(cuModuleUnload, "cuModuleUnload");
    sym(cuLaunchKernel, "cuLaunchKernel");
    sym(cuStreamCreate, "cuStreamCreate");
    sym(cuStreamDestroy, "cuStreamDestroy_v2");
    sym(cuStreamSynchronize, "cuStreamSynchronize");
    sym(cuGetErrorName, "cuGetErrorName");
    return ok;
  }
  const char *name(CUresult r) const {
    const char *s = nullptr;
    if (cuGetErrorName && cuGetErrorName(r, &s) == 0 && s)
      return s;
    return "CUDA error";
  }
  ~Api() {
    if (library)
      dlclose(library);
  }
};

constexpr const char *kPtxFormat = "ptx-cuda1";

struct CudaDevice {
  Api api;
  CUdevice device = 0;
  CUcontext context = nullptr;
  CUstream stream = nullptr;
  int major = 0, minor = 0;
  std::string name;
  HostFallback host; // cpu code, on the managed memory
  ~CudaDevice() {
    if (stream)
      api.cuStreamDestroy(stream);
    if (context)
      api.cuDevicePrimaryCtxRelease(device);
  }
};

struct Buffer {
  CUdeviceptr pointer = 0;
  uint64_t size = 0;
};

struct Kernel {
  CUmodule module = nullptr;
  CUfunction function = nullptr;
  uint32_t block[3], grid[3];
  std::vector<uint32_t> bindings;
};

struct Executable {
  void *host = nullptr;
  std::vector<Kernel> kernels;
};

CudaDevice *self(void *d) { return static_cast<CudaDevice *>(d); }

#define NURI_CU_CHECK(d, call, what)                                           \
  do {                                                                         \
    CUresult nuri_cu_ = (call);                                                \
    if (nuri_cu_ != 0)                                                         \
      return nuri_make_status(nuri_cu_ == 2 ? NURI_RESOURCE_EXHAUSTED          \
                                            : NURI_INTERNAL,                   \
                              "cuda: %s failed: %s", what, (d)->api.name(nuri_cu_)); \
  } while (0)

void destroyDevice(void *device) { delete self(device); }

nuri_status_t allocate(void *device, uint64_t size, void **out) {
  CudaDevice *d = self(device);
  d->api.cuCtxSetCurrent(d->context);
  auto b = std::make_unique<Buffer>();
  b->size = size;
  uint64_t bytes = std::max<uint64_t>(64, (size + 63) / 64 * 64);
  CUresult r = d->api.cuMemAllocManaged(&b->pointer, bytes, kMemAttachGlobal);
  if (r != 0)
    return nuri_make_status(NURI_RESOURCE_EXHAUSTED, "cuda: cannot allocate %llu bytes (%s)",
                            (unsigned long long)size, d->api.name(r));
  std::memset(reinterpret_cast<void *>(b->pointer), 0, bytes);
  *out = b.release();
  return nullptr;
}

void freeBuffer(void *device, void *buffer) {
  CudaDevice *d = self(device);
  auto *b = static_cast<Buffer *>(buffer);
  d->api.cuMemFree(b->pointer);
  delete b;
}

void *mapBuffer(void *, void *buffer) {
  return reinterpret_cast<void *>(static_cast<Buffer *>(buffer)->pointer);
}

int supportsFormat(void *, const char *format) {
  return std::strcmp(format, kPtxFormat) == 0 || HostFallback::runs(format);
}

void destroyExecutable(void *device, void *executable) {
  CudaDevice *d = self(device);
  auto *e = static_cast<Executable *>(executable);
  if (e->host)
    d->host.unload(e->host);
  for (Kernel &k : e->kernels)
    if (k.module)
      d->api.cuModuleUnload(k.module);
  delete e;
}

nuri_status_t createExecutable(void *device, const char *format, const void *data, size_t size,
                               const char *const *entry_points, size_t count, void **out) {
  CudaDevice *d = self(device);
  auto e = std::make_unique<Executable>();
  if (HostFallback::runs(format)) {
    NURI_RETURN_IF_ERROR(d->host.load(format, data, size, entry_points, count, &e->host));
    *out = e.release();
    return nullptr;
  }
  flatbuffers::Verifier verifier(static_cast<const uint8_t *>(data), size);
  if (!cuda::VerifyExecutableBuffer(verifier))
    return nuri_make_status(NURI_INVALID_ARGUMENT, "cuda: the executable is not a valid ptx-cuda1 FlatBuffer");
  const cuda::Executable *x = cuda::GetExecutable(data);
  if (x->kernels()->size() != count)
    return nuri_make_status(NURI_INVALID_ARGUMENT, "cuda: the executable has %u kernels for %zu entry points",
                            x->kernels()->size(), count);
  int archMajor = 0, archMinor = 0;
  if (std::sscanf(x->arch()->c_str(), "sm_%1d%1d", &archMajor, &archMinor) != 2)
    return nuri_make_status(NURI_INVALID_ARGUMENT, "cuda: unknown arch '%s'", x->arch()->c_str());
  if (d->major * 10 + d->minor < archMajor * 10 + archMinor)
    return nuri_make_status(NURI_UNIMPLEMENTED,
                            "cuda: the executable was compiled for %s; device '%s' is sm_%d%d "
                            "(compile with --cuda-arch sm_%d%d)",
                            x->arch()->c_str(), d->name.c_str(), d->major, d->minor, d->major, d->minor);
  d->api.cuCtxSetCurrent(d->context);
  for (size_t i = 0; i < count; ++i) {
    const cuda::Kernel *k = x->kernels()->Get(i);
    Kernel kernel;
    if (k->block()->size() != 3 || k->grid()->size() != 3)
      return nuri_make_status(NURI_INVALID_ARGUMENT, "cuda: kernel '%s' needs 3-D block and grid",
                              entry_points[i]);
    for (int j = 0; j < 3; ++j) {
      kernel.block[j] = k->block()->Get(j);
      kernel.grid[j] = k->grid()->Get(j);
      if (!kernel.block[j] || !kernel.grid[j])
        return nuri_make_status(NURI_INVALID_ARGUMENT, "cuda: kernel '%s' has an empty grid",
                                entry_points[i]);
    }
    kernel.bindings.assign(k->bindings()->begin(), k->bindings()->end());
    std::string ptx = k->ptx()->str(); // NUL-terminated for the JIT
    CUresult r = d->api.cuModuleLoadDataEx(&kernel.module, ptx.c_str(), 0, nullptr, nullptr);
    if (r == 0)
      r = d->api.cuModuleGetFunction(&kernel.function, kernel.module, k->name()->c_str());
    e->kernels.push_back(kernel);
    if (r != 0) {
      destroyExecutable(device, e.release());
      return nuri_make_status(NURI_INVALID_ARGUMENT, "cuda: device '%s' rejects kernel '%s' (%s)",
                              d->name.c_str(), entry_points[i], d->api.name(r));
    }
  }
  *out = e.release();
  return nullptr;
}

nuri_status_t execute(void *device, const nuri_hal_command_t *commands, size_t count) {
  CudaDevice *d = self(device);
  d->api.cuCtxSetCurrent(d->context);
  std::vector<CUdeviceptr> pointers;
  std::vector<void *> params;
  for (size_t c = 0; c < count; ++c) {
    const nuri_hal_command_t &command = commands[c];
    switch (command.kind) {
    case NURI_HAL_COMMAND_DISPATCH: {
      auto *e = static_cast<Executable *>(command.executable);
      if (e->host) {
        NURI_CU_CHECK(d, d->api.cuStreamSynchronize(d->stream), "cuStreamSynchronize");
        NURI_RETURN_IF_ERROR(d->host.run(command, e->host, [](void *b) {
          return reinterpret_cast<void *>(static_cast<Buffer *>(b)->pointer);
        }));
        break;
      }
      const Kernel &k = e->kernels[command.entry];
      pointers.resize(k.bindings.size());
      params.resize(k.bindings.size());
      for (size_t i = 0; i < k.bindings.size(); ++i) {
        if (k.bindings[i] >= command.binding_count)
          return nuri_make_status(NURI_INVALID_ARGUMENT, "cuda: kernel %u binds dispatch binding %u of %zu",
                                  command.entry, k.bindings[i], command.binding_count);
        pointers[i] = static_cast<Buffer *>(command.bindings[k.bindings[i]])->pointer;
        params[i] = &pointers[i];
      }
      NURI_CU_CHECK(d,
                    d->api.cuLaunchKernel(k.function, k.grid[0], k.grid[1], k.grid[2], k.block[0],
                                          k.block[1], k.block[2], 0, d->stream, params.data(), nullptr),
                    "cuLaunchKernel");
      break;
    }
    case NURI_HAL_COMMAND_COPY:
      if (command.size)
        NURI_CU_CHECK(d,
                      d->api.cuMemcpyAsync(static_cast<Buffer *>(command.target)->pointer + command.target_offset,
                                           static_cast<Buffer *>(command.source)->pointer + command.source_offset,
                                           command.size, d->stream),
                      "cuMemcpyAsync");
      break;
    case NURI_HAL_COMMAND_BARRIER:
      break; // one stream: commands run in order
    default:
      return nuri_make_status(NURI_INVALID_ARGUMENT, "unknown command kind %d", static_cast<int>(command.kind));
    }
  }
  NURI_CU_CHECK(d, d->api.cuStreamSynchronize(d->stream), "cuStreamSynchronize");
  return nullptr;
}

const nuri_device_vtable_t kDeviceVtable = {
    destroyDevice,        allocate,      freeBuffer,     mapBuffer,
    /*import_host=*/nullptr, /*release_import=*/nullptr, supportsFormat, createExecutable,
    destroyExecutable,    execute,
    /*profile=*/nullptr,  /*profile_reset=*/nullptr,
    /*allocate_device_local=*/nullptr, // managed memory for now (docs/gpu.md)
};

nuri_status_t createDevice(const nuri_device_options_t *options, const nuri_device_vtable_t **out_vtable,
                           void **out_device) {
  auto d = std::make_unique<CudaDevice>();
  std::string error;
  if (!d->api.load(error))
    return nuri_make_status(NURI_UNAVAILABLE, "cuda: %s", error.c_str());
  CUresult r = d->api.cuInit(0);
  if (r != 0)
    return nuri_make_status(NURI_UNAVAILABLE, "cuda: no CUDA device (cuInit: %s)", d->api.name(r));
  int n = 0;
  d->api.cuDeviceGetCount(&n);
  if (n == 0)
    return nuri_make_status(NURI_UNAVAILABLE, "cuda: no CUDA device");
  if (options->device_index < 0 || options->device_index >= n)
    return nuri_make_status(NURI_INVALID_ARGUMENT, "cuda: no device %d (this machine has %d: cuda:0..cuda:%d)",
                            options->device_index, n, n - 1);
  NURI_CU_CHECK(d.get(), d->api.cuDeviceGet(&d->device, options->device_index), "cuDeviceGet");
  char name[256] = {0};
  d->api.cuDeviceGetName(name, sizeof name - 1, d->device);
  d->name = name;
  d->api.cuDeviceGetAttribute(&d->major, kAttrComputeMajor, d->device);
  d->api.cuDeviceGetAttribute(&d->minor, kAttrComputeMinor, d->device);
  NURI_CU_CHECK(d.get(), d->api.cuDevicePrimaryCtxRetain(&d->context, d->device), "cuDevicePrimaryCtxRetain");
  NURI_CU_CHECK(d.get(), d->api.cuCtxSetCurrent(d->context), "cuCtxSetCurrent");
  NURI_CU_CHECK(d.get(), d->api.cuStreamCreate(&d->stream, 0), "cuStreamCreate");
  NURI_RETURN_IF_ERROR(d->host.create(options));
  *out_device = d.release();
  *out_vtable = &kDeviceVtable;
  return nullptr;
}

const nuri_driver_vtable_t kDriverVtable = {"cuda", createDevice};

} // namespace
} // namespace nuri

extern "C" const nuri_driver_vtable_t *nuri_cuda_driver_vtable(void) { return &nuri::kDriverVtable; }
