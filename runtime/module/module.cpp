// Loads and verifies .nuri artifacts and describes their signatures.
#include "module/module.h"

#include "hal/guard.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

using namespace nuri;

nuri_module_s::~nuri_module_s() { releaseObject(instance); }

static nuri_status_t finishLoad(nuri_instance_t instance, std::string name,
                                std::shared_ptr<const void> storage,
                                size_t size, nuri_module_t *out_module) {
  const artifact::Model *model = nullptr;
  NURI_RETURN_IF_ERROR(verifyArtifact(
      static_cast<const uint8_t *>(storage.get()), size, name.c_str(), &model));
  auto module = std::make_unique<nuri_module_s>();
  auto describe = [model](const flatbuffers::Vector<
                         flatbuffers::Offset<artifact::TensorSignature>> *list,
                     std::vector<nuri_module_s::Tensor> &out) {
    if (!list)
      return;
    for (const artifact::TensorSignature *signature : *list) {
      nuri_module_s::Tensor tensor;
      tensor.name = signature->name()->str();
      tensor.dtype = static_cast<nuri_dtype_t>(signature->dtype());
      uint64_t elements = 1;
      if (signature->shape())
        for (int64_t dim : *signature->shape()) {
          tensor.shape.push_back(dim);
          elements *= static_cast<uint64_t>(dim);
        }
      tensor.elementBytes = nuri::elementBytes(signature);
      tensor.byteSize = elements * tensor.elementBytes;
      tensor.dimExprs = signature->dim_exprs();
      tensor.symbolic = tensor.dimExprs != nullptr;
      if (tensor.symbolic)
        tensor.byteSize = 0; // known at each call
      tensor.dimsBuffer = signature->dims_buffer();
      if (tensor.dimsBuffer >= 0) // capacity: the size of the bound buffer
        tensor.byteSize = model->program()->buffers()->Get(signature->buffer())->size();
      tensor.buffer = signature->buffer();
      tensor.allocated = nuri::isAllocated(model, tensor.buffer);
      out.push_back(std::move(tensor));
    }
  };
  describe(model->inputs(), module->inputs);
  describe(model->outputs(), module->outputs);
  retainObject(instance);
  module->instance = instance;
  module->name = std::move(name);
  module->storage = std::move(storage);
  module->model = model;
  *out_module = module.release();
  return nullptr;
}

extern "C" {

nuri_status_t nuri_module_load_file(nuri_instance_t instance, const char *path,
                                    nuri_module_t *out_module) {
  NURI_CHECK_ARG(instance && path && out_module,
                 "nuri_module_load_file: NULL argument");
  *out_module = nullptr;
  return guard([&]() -> nuri_status_t {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      return nuri_make_status(
          errno == ENOENT ? NURI_NOT_FOUND : NURI_INVALID_ARGUMENT,
          "%s: cannot open: %s", path, std::strerror(errno));
    struct stat info;
    if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
      close(fd);
      return nuri_make_status(NURI_INVALID_ARGUMENT, "%s: not a regular file",
                              path);
    }
    size_t size = static_cast<size_t>(info.st_size);
    if (size == 0) {
      close(fd);
      return nuri_make_status(NURI_INVALID_ARGUMENT,
                              "%s: not a .nuri artifact (bad identifier)",
                              path);
    }
    // Read-only private mapping: constants are used in place, and a kernel
    // that writes to one faults instead of corrupting the file.
    void *base = mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    int mapError = errno;
    close(fd);
    if (base == MAP_FAILED)
      return nuri_make_status(NURI_INTERNAL, "%s: mmap failed: %s", path,
                              std::strerror(mapError));
    std::shared_ptr<const void> storage(
        base, [size](const void *p) { munmap(const_cast<void *>(p), size); });
    return finishLoad(instance, path, std::move(storage), size, out_module);
  });
}

nuri_status_t nuri_module_load_memory(nuri_instance_t instance,
                                      const void *data, size_t size,
                                      const char *name,
                                      nuri_module_t *out_module) {
  NURI_CHECK_ARG(instance && (data || !size) && out_module,
                 "nuri_module_load_memory: NULL argument");
  *out_module = nullptr;
  return guard([&]() -> nuri_status_t {
    // Constants are 64-byte aligned relative to the artifact start, so the
    // copy must start on a 64-byte boundary for them to be usable in place.
    size_t rounded = (size + 63) / 64 * 64;
    void *copy = std::aligned_alloc(64, rounded ? rounded : 64);
    if (!copy)
      return nuri_make_status(NURI_RESOURCE_EXHAUSTED,
                              "cannot allocate %zu bytes for the artifact",
                              size);
    if (size)
      std::memcpy(copy, data, size);
    std::shared_ptr<const void> storage(
        copy, [](const void *p) { std::free(const_cast<void *>(p)); });
    return finishLoad(instance, name ? name : "<memory>", std::move(storage),
                      size, out_module);
  });
}

void nuri_module_retain(nuri_module_t module) { retainObject(module); }
void nuri_module_release(nuri_module_t module) { releaseObject(module); }
const char *nuri_module_name(nuri_module_t module) {
  return module ? module->name.c_str() : "";
}
int nuri_module_has_target(nuri_module_t module, const char *target) {
  if (!module || !target || !module->model->executables())
    return 0;
  for (const nuri::artifact::Executable *e : *module->model->executables())
    if (e->target() && e->target()->str() == target)
      return 1;
  return 0;
}
int nuri_module_compiled_for(nuri_module_t module, const char *target) {
  if (!module || !target || !module->model->targets())
    return 0;
  for (const flatbuffers::String *t : *module->model->targets())
    if (t->str() == target)
      return 1;
  return 0;
}
size_t nuri_module_input_count(nuri_module_t module) {
  return module ? module->inputs.size() : 0;
}
size_t nuri_module_output_count(nuri_module_t module) {
  return module ? module->outputs.size() : 0;
}

static nuri_status_t tensorInfo(const std::vector<nuri_module_s::Tensor> &list,
                                const char *what, size_t index,
                                nuri_tensor_info_t *out_info) {
  NURI_CHECK_ARG(out_info, "out_info is NULL");
  if (index >= list.size())
    return nuri_make_status(NURI_OUT_OF_RANGE, "%s %zu of %zu", what, index,
                            list.size());
  const nuri_module_s::Tensor &tensor = list[index];
  out_info->name = tensor.name.c_str();
  out_info->dtype = tensor.dtype;
  out_info->rank = tensor.shape.size();
  out_info->shape = tensor.shape.data();
  out_info->byte_size = tensor.byteSize;
  out_info->string_bytes =
      tensor.dtype == NURI_DTYPE_STRING ? tensor.elementBytes : 0;
  return nullptr;
}

nuri_status_t nuri_module_input_info(nuri_module_t module, size_t index,
                                     nuri_tensor_info_t *out_info) {
  NURI_CHECK_ARG(module, "module is NULL");
  return tensorInfo(module->inputs, "input", index, out_info);
}

nuri_status_t nuri_module_output_info(nuri_module_t module, size_t index,
                                      nuri_tensor_info_t *out_info) {
  NURI_CHECK_ARG(module, "module is NULL");
  return tensorInfo(module->outputs, "output", index, out_info);
}

nuri_status_t nuri_module_find_input(nuri_module_t module, const char *name,
                                     size_t *out_index) {
  NURI_CHECK_ARG(module && name && out_index,
                 "nuri_module_find_input: NULL argument");
  for (size_t i = 0; i < module->inputs.size(); ++i)
    if (module->inputs[i].name == name) {
      *out_index = i;
      return nullptr;
    }
  return nuri_make_status(NURI_NOT_FOUND, "%s: no input named '%s'",
                          module->name.c_str(), name);
}

} // extern "C"
