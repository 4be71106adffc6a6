// Runs a module's host program on one device.
#include "module/module.h"

#include "hal/guard.h"
#include "module/symbols.h"

#include <chrono>
#include <cstring>
#include <set>

using namespace nuri;

struct nuri_session_s : RefCounted {
  nuri_module_t module = nullptr;
  nuri_device_t device = nullptr;
  // Indexed by artifact executable / constant / buffer id; null where the
  // program does not need one.
  std::vector<nuri_executable_t> executables;
  // Per host program command: for a dispatch, the implementation this
  // device runs (the primary executable, or the fallback when the device
  // cannot load the primary's format).
  struct Choice {
    uint32_t executable = 0, entry = 0, workgroups = 1;
  };
  std::vector<Choice> dispatches;
  std::vector<nuri_buffer_t> constants;
  std::vector<nuri_buffer_t> transients;
  // Per output, its shape after the last invoke (run-time shapes resolved).
  std::vector<std::vector<int64_t>> outputShapes;
  // Symbolic dimensions: per input, the shape set for the next invokes
  // (empty: not set); the symbols' sizes of the current invoke.
  std::vector<std::vector<int64_t>> inputShapes;
  std::vector<int64_t> symbols;
  // Dispatch tracing (nuri_session_set_dispatch_hook); null: off.
  nuri_dispatch_hook_t hook = nullptr;
  void *hookUser = nullptr;
  ~nuri_session_s() {
    for (nuri_executable_t executable : executables)
      releaseObject(executable);
    for (nuri_buffer_t buffer : constants)
      releaseObject(buffer);
    for (nuri_buffer_t buffer : transients)
      releaseObject(buffer);
    releaseObject(device);
    releaseObject(module);
  }
};

namespace {

using namespace artifact;

/// The format of the cpu's code, which every device with a host fallback
/// runs on the host.
constexpr const char *kHostFormat = "elf-x86_64-so";

const char *targetOf(const Executable *executable) {
  return executable->target() ? executable->target()->c_str() : "?";
}

/// Picks each dispatch's implementation: the primary executable when the
/// device loads its format, else the fallback when it loads that one.
nuri_status_t chooseImplementations(nuri_session_t session) {
  const Model *model = session->module->model;
  const HostProgram *program = model->program();
  size_t commandCount = program->commands() ? program->commands()->size() : 0;
  session->dispatches.assign(commandCount, {});
  for (size_t c = 0; c < commandCount; ++c) {
    if (program->commands_type()->Get(c) != Command::Dispatch)
      continue;
    auto *dispatch = static_cast<const Dispatch *>(program->commands()->Get(c));
    const Executable *primary = model->executables()->Get(dispatch->executable());
    if (nuri_device_supports_format(session->device, primary->format()->c_str())) {
      session->dispatches[c] = {dispatch->executable(), dispatch->entry(),
                                dispatch->workgroup_count()};
      continue;
    }
    if (dispatch->alternatives()) {
      // Three or more targets: the first implementation the device loads.
      bool found = false;
      for (const Implementation *alt : *dispatch->alternatives())
        if (nuri_device_supports_format(
                session->device, model->executables()->Get(alt->executable())->format()->c_str())) {
          session->dispatches[c] = {alt->executable(), alt->entry(), alt->workgroup_count()};
          found = true;
          break;
        }
      if (found)
        continue;
      return nuri_make_status(NURI_UNIMPLEMENTED,
                              "%s: dispatch %zu: no implementation (target '%s' and %u more) can run "
                              "on device '%s'",
                              session->module->name.c_str(), c, targetOf(primary),
                              dispatch->alternatives()->size(), nuri_device_name(session->device));
    }
    int32_t fallback = dispatch->fallback_executable();
    if (fallback < 0)
      return nuri_make_status(
          NURI_UNIMPLEMENTED,
          "%s: executable %u (target '%s', format '%s') cannot run on device "
          "'%s'",
          session->module->name.c_str(), dispatch->executable(),
          targetOf(primary), primary->format()->c_str(),
          nuri_device_name(session->device));
    const Executable *other = model->executables()->Get(fallback);
    if (!nuri_device_supports_format(session->device, other->format()->c_str()))
      return nuri_make_status(
          NURI_UNIMPLEMENTED,
          "%s: dispatch %zu: neither executable %u (target '%s', format '%s') "
          "nor its fallback executable %d (target '%s', format '%s') can run "
          "on device '%s'",
          session->module->name.c_str(), c, dispatch->executable(),
          targetOf(primary), primary->format()->c_str(), fallback,
          targetOf(other), other->format()->c_str(),
          nuri_device_name(session->device));
    session->dispatches[c] = {static_cast<uint32_t>(fallback),
                              dispatch->fallback_entry(),
                              dispatch->fallback_workgroup_count()};
  }
  return nullptr;
}

/// Creates the executables the chosen implementations use, and only those.
nuri_status_t loadExecutables(nuri_session_t session) {
  NURI_RETURN_IF_ERROR(chooseImplementations(session));
  const Model *model = session->module->model;
  const HostProgram *program = model->program();
  size_t executableCount =
      model->executables() ? model->executables()->size() : 0;
  session->executables.assign(executableCount, nullptr);
  for (size_t c = 0; c < session->dispatches.size(); ++c) {
    if (program->commands_type()->Get(c) != Command::Dispatch)
      continue;
    uint32_t index = session->dispatches[c].executable;
    if (session->executables[index])
      continue;
    const Executable *executable = model->executables()->Get(index);
    const char *format = executable->format()->c_str();
    std::vector<const char *> entries;
    for (const flatbuffers::String *entry : *executable->entry_points())
      entries.push_back(entry->c_str());
    nuri_status_t status = nuri_executable_create(
        session->device, format, executable->data()->data(),
        executable->data()->size(), entries.data(), entries.size(),
        &session->executables[index]);
    if (status) {
      nuri_status_t wrapped = nuri_make_status(
          nuri_status_code(status), "%s: executable %u: %s",
          session->module->name.c_str(), index, nuri_status_message(status));
      nuri_status_free(status);
      return wrapped;
    }
  }
  return nullptr;
}

/// The buffers the host touches: those a dispatch the device runs on the
/// host (the cpu fallback) binds, the dims the session reads, the symbols
/// it writes. The others meet only the device's own commands and may live
/// in its memory.
std::vector<bool> hostTouched(nuri_session_t session) {
  const Model *model = session->module->model;
  const HostProgram *program = model->program();
  std::vector<bool> host(program->buffers()->size(), false);
  auto mark = [&](int64_t id) {
    if (id >= 0 && static_cast<size_t>(id) < host.size())
      host[id] = true;
  };
  for (uint32_t id = 0; id < host.size(); ++id)
    if (program->buffers()->Get(id)->kind() == BufferKind::Symbols)
      mark(id);
  for (const nuri_module_s::Tensor &t : session->module->outputs)
    mark(t.dimsBuffer);
  size_t count = program->commands() ? program->commands()->size() : 0;
  for (size_t c = 0; c < count; ++c) {
    switch (program->commands_type()->Get(c)) {
    case Command::Dispatch: {
      auto *dispatch = static_cast<const Dispatch *>(program->commands()->Get(c));
      const Executable *executable =
          model->executables()->Get(session->dispatches[c].executable);
      if (std::strcmp(executable->format()->c_str(), kHostFormat) == 0 && dispatch->bindings())
        for (uint32_t id : *dispatch->bindings())
          mark(id);
      break;
    }
    case Command::Allocate:
      mark(static_cast<const Allocate *>(program->commands()->Get(c))->dims_buffer());
      break;
    default:
      break;
    }
  }
  return host;
}

/// Replaces the host-visible `buffers` with device-local copies where the
/// device has memory of its own, uploaded by one submission at session
/// creation; leaves them where the device has none.
nuri_status_t moveToDevice(nuri_device_t device, const std::vector<nuri_buffer_t *> &buffers) {
  struct Held {
    std::vector<nuri_buffer_t> local;
    nuri_command_buffer_t cb = nullptr;
    ~Held() {
      for (nuri_buffer_t b : local)
        nuri_buffer_release(b);
      nuri_command_buffer_release(cb);
    }
  } held;
  for (nuri_buffer_t *buffer : buffers) {
    nuri_buffer_t local = nullptr;
    NURI_RETURN_IF_ERROR(nuri_allocator_allocate_typed(
        nuri_device_allocator(device), nuri_buffer_size(*buffer), NURI_MEMORY_DEVICE_LOCAL, &local));
    held.local.push_back(local);
    if (nuri_buffer_memory_type(local) != NURI_MEMORY_DEVICE_LOCAL)
      return nullptr; // no memory of its own: the host copies stay
  }
  if (buffers.empty())
    return nullptr;
  NURI_RETURN_IF_ERROR(nuri_command_buffer_create(device, &held.cb));
  for (size_t i = 0; i < buffers.size(); ++i)
    NURI_RETURN_IF_ERROR(nuri_command_buffer_copy(held.cb, *buffers[i], 0, held.local[i], 0,
                                                  nuri_buffer_size(*buffers[i])));
  NURI_RETURN_IF_ERROR(nuri_device_submit(device, held.cb, nullptr, 0, nullptr, 0));
  for (size_t i = 0; i < buffers.size(); ++i) {
    nuri_buffer_release(*buffers[i]);
    *buffers[i] = held.local[i];
  }
  held.local.clear();
  return nullptr;
}

nuri_status_t bindBuffers(nuri_session_t session) {
  const Model *model = session->module->model;
  auto *buffers = model->program()->buffers();
  std::vector<bool> host = hostTouched(session);
  // A constant goes to device memory when no buffer naming it is touched
  // by the host.
  session->constants.assign(model->constants() ? model->constants()->size() : 0,
                            nullptr);
  std::vector<bool> hostConstants(session->constants.size(), false);
  for (uint32_t id = 0; id < buffers->size(); ++id)
    if (buffers->Get(id)->kind() == BufferKind::Constant && host[id] &&
        buffers->Get(id)->index() < hostConstants.size())
      hostConstants[buffers->Get(id)->index()] = true;
  std::vector<nuri_buffer_t *> toDevice; // weights only the device reads
  session->transients.assign(buffers->size(), nullptr);
  for (uint32_t id = 0; id < buffers->size(); ++id) {
    const Buffer *buffer = buffers->Get(id);
    if (buffer->kind() == BufferKind::Symbols) {
      NURI_RETURN_IF_ERROR(
          nuri_allocator_allocate(nuri_device_allocator(session->device),
                                  buffer->size(), &session->transients[id]));
    } else if (buffer->kind() == BufferKind::Transient && !buffer->size_expr()) {
      // Allocated once and reused by every invoke of this session (those of
      // symbolic size when an invoke first needs them); in the device's own
      // memory where only the device touches it.
      NURI_RETURN_IF_ERROR(nuri_allocator_allocate_typed(
          nuri_device_allocator(session->device), buffer->size(),
          host[id] ? NURI_MEMORY_HOST_VISIBLE : NURI_MEMORY_DEVICE_LOCAL,
          &session->transients[id]));
    } else if (buffer->kind() == BufferKind::Constant &&
               !session->constants[buffer->index()]) {
      const Constant *constant = model->constants()->Get(buffer->index());
      nuri_buffer_t &bound = session->constants[buffer->index()];
      NURI_RETURN_IF_ERROR(wrapHostMemory(session->device, constant->data()->data(),
                                          constant->data()->size(),
                                          session->module->storage, &bound));
      if (!hostConstants[buffer->index()])
        toDevice.push_back(&bound);
    }
  }
  return moveToDevice(session->device, toDevice);
}

/// Reads the dimensions of data-dependent outputs and checks that they fit the
/// output's capacity, so a caller never reads past a buffer.
nuri_status_t resolveOutputShapes(nuri_session_t session,
                                  const std::vector<nuri_buffer_t> &table) {
  nuri_module_t module = session->module;
  session->outputShapes.resize(module->outputs.size());
  for (size_t i = 0; i < module->outputs.size(); ++i) {
    const nuri_module_s::Tensor &tensor = module->outputs[i];
    std::vector<int64_t> &shape = session->outputShapes[i];
    shape = tensor.shape;
    if (tensor.symbolic) {
      for (size_t d = 0; d < shape.size(); ++d) {
        std::string why;
        if (!evalSizeExpr(tensor.dimExprs->Get(d), session->symbols, shape[d], why))
          return nuri_make_status(NURI_OUT_OF_RANGE, "%s: output '%s' dimension %zu: %s",
                                  module->name.c_str(), tensor.name.c_str(), d, why.c_str());
      }
      continue;
    }
    if (tensor.dimsBuffer < 0)
      continue;
    void *host = nullptr;
    NURI_RETURN_IF_ERROR(nuri_buffer_map(table[tensor.dimsBuffer], &host));
    const int64_t *dims = static_cast<const int64_t *>(host);
    uint64_t elements = 1;
    for (size_t d = 0; d < shape.size(); ++d) {
      if (shape[d] == -1)
        shape[d] = dims[d];
      if (shape[d] < 0 || (shape[d] > 0 && elements > UINT64_MAX / shape[d]))
        return nuri_make_status(NURI_OUT_OF_RANGE,
                                "%s: output '%s': computed dimension %zu is %lld",
                                module->name.c_str(), tensor.name.c_str(), d,
                                (long long)shape[d]);
      elements *= static_cast<uint64_t>(shape[d]);
    }
    // Compared in elements: elements * elementBytes (up to string_bytes)
    // could wrap for absurd dimensions.
    uint64_t capacity = nuri_buffer_size(table[tensor.buffer]);
    if (elements > capacity / tensor.elementBytes)
      return nuri_make_status(
          NURI_OUT_OF_RANGE,
          "%s: output '%s': computed shape needs %llu elements of %llu bytes, "
          "capacity is %llu bytes",
          module->name.c_str(), tensor.name.c_str(),
          (unsigned long long)elements,
          (unsigned long long)tensor.elementBytes,
          (unsigned long long)capacity);
  }
  return nullptr;
}

/// The symbols' sizes from the input shapes set for this invoke, checked
/// against their bounds and against every input dimension that names them.
nuri_status_t bindSymbols(nuri_session_t session) {
  nuri_module_t module = session->module;
  const Model *model = module->model;
  auto *symbols = model->symbols();
  size_t n = symbols ? symbols->size() : 0;
  session->symbols.assign(n, 0);
  for (size_t i = 0; i < module->inputs.size(); ++i)
    if (module->inputs[i].symbolic && session->inputShapes[i].empty())
      return nuri_make_status(
          NURI_INVALID_ARGUMENT,
          "%s: input '%s' has symbolic dimensions: set its shape first "
          "(nuri_session_set_input_shape)",
          module->name.c_str(), module->inputs[i].name.c_str());
  for (size_t j = 0; j < n; ++j) {
    const Symbol *symbol = symbols->Get(j);
    int64_t size = session->inputShapes[symbol->input()][symbol->dim()];
    if (size < symbol->min() || size > symbol->max())
      return nuri_make_status(
          NURI_INVALID_ARGUMENT,
          "%s: input '%s' dimension %u ('%s') is %lld, outside the bounds %lld..%lld "
          "it was compiled for",
          module->name.c_str(), module->inputs[symbol->input()].name.c_str(), symbol->dim(),
          symbol->name()->c_str(), (long long)size, (long long)symbol->min(),
          (long long)symbol->max());
    session->symbols[j] = size;
  }
  for (size_t i = 0; i < module->inputs.size(); ++i) {
    const nuri_module_s::Tensor &tensor = module->inputs[i];
    if (!tensor.symbolic)
      continue;
    for (size_t d = 0; d < tensor.shape.size(); ++d) {
      int64_t want = 0;
      std::string why;
      if (!evalSizeExpr(tensor.dimExprs->Get(d), session->symbols, want, why))
        return nuri_make_status(NURI_INVALID_ARGUMENT, "%s: input '%s' dimension %zu: %s",
                                module->name.c_str(), tensor.name.c_str(), d, why.c_str());
      if (session->inputShapes[i][d] != want)
        return nuri_make_status(
            NURI_INVALID_ARGUMENT,
            "%s: input '%s' dimension %zu is %lld but must be %lld (a dimension of the same "
            "name, set by another input)",
            module->name.c_str(), tensor.name.c_str(), d,
            (long long)session->inputShapes[i][d], (long long)want);
    }
  }
  return nullptr;
}

/// Bytes of a buffer of symbolic size in this invoke.
nuri_status_t symbolicBytes(nuri_session_t session, const Buffer *buffer, uint64_t *out) {
  int64_t bytes = 0;
  std::string why;
  if (!evalSizeExpr(buffer->size_expr(), session->symbols, bytes, why))
    return nuri_make_status(NURI_OUT_OF_RANGE, "%s: %s", session->module->name.c_str(),
                            why.c_str());
  if (static_cast<uint64_t>(bytes) > kMaxBufferBytes)
    return nuri_make_status(NURI_RESOURCE_EXHAUSTED, "%s: a buffer would need %lld bytes",
                            session->module->name.c_str(), (long long)bytes);
  *out = static_cast<uint64_t>(bytes);
  return nullptr;
}

/// Bytes for an Allocate: the product of its run-time dims times the element
/// size, rejected (never wrapped) when implausible.
nuri_status_t allocationSize(nuri_session_t session, nuri_buffer_t dimsBuffer,
                             const Allocate *allocate, uint64_t *out_bytes) {
  void *host = nullptr;
  NURI_RETURN_IF_ERROR(nuri_buffer_map(dimsBuffer, &host));
  const int64_t *dims = static_cast<const int64_t *>(host);
  uint64_t bytes = allocate->element_size();
  for (uint32_t d = 0; d < allocate->rank(); ++d) {
    if (dims[d] < 0 || (dims[d] > 0 && bytes > kMaxBufferBytes / dims[d]))
    {
      const Buffer *target = session->module->model->program()->buffers()->Get(allocate->buffer());
      std::string what = target->kind() == BufferKind::Output
                             ? "output '" + session->module->outputs[target->index()].name + "'"
                             : "buffer " + std::to_string(allocate->buffer());
      return nuri_make_status(NURI_OUT_OF_RANGE,
                              "%s: %s: computed dimension %u is %lld (negative or too large)",
                              session->module->name.c_str(), what.c_str(), d, (long long)dims[d]);
    }
    bytes *= static_cast<uint64_t>(dims[d]);
  }
  *out_bytes = bytes;
  return nullptr;
}

/// Calls the session's hook for dispatch command `c`, the `ordinal`-th
/// dispatch, which has just completed in `seconds`.
nuri_status_t traceDispatch(nuri_session_t session, nuri_dispatch_hook_t hook,
                            void *user, size_t c, uint32_t ordinal,
                            const Dispatch *dispatch,
                            const std::vector<nuri_buffer_t> &table,
                            double seconds) {
  const nuri_session_s::Choice &choice = session->dispatches[c];
  const Executable *executable =
      session->module->model->executables()->Get(choice.executable);
  std::vector<const char *> nodes;
  if (dispatch->nodes())
    for (const flatbuffers::String *node : *dispatch->nodes())
      nodes.push_back(node ? node->c_str() : "");
  std::vector<nuri_dispatch_result_t> results;
  if (dispatch->results())
    for (const TensorSignature *result : *dispatch->results()) {
      nuri_dispatch_result_t r{};
      r.buffer = table[result->buffer()];
      r.dtype = static_cast<nuri_dtype_t>(result->dtype());
      r.rank = result->shape() ? result->shape()->size() : 0;
      r.shape = r.rank ? result->shape()->data() : nullptr;
      results.push_back(r);
    }
  nuri_dispatch_info_t info{};
  info.index = ordinal;
  info.name = executable->entry_points()->Get(choice.entry)->c_str();
  info.format = executable->format()->c_str();
  info.nodes = nodes.data();
  info.node_count = nodes.size();
  info.results = results.data();
  info.result_count = results.size();
  info.seconds = seconds;
  return hook(user, &info);
}

} // namespace

extern "C" {

nuri_status_t nuri_session_set_dispatch_hook(nuri_session_t session,
                                             nuri_dispatch_hook_t hook,
                                             void *user) {
  NURI_CHECK_ARG(session, "nuri_session_set_dispatch_hook: NULL session");
  session->hook = hook;
  session->hookUser = hook ? user : nullptr;
  return nullptr;
}

nuri_status_t nuri_session_create(nuri_module_t module, nuri_device_t device,
                                  nuri_session_t *out_session) {
  NURI_CHECK_ARG(module && device && out_session,
                 "nuri_session_create: NULL argument");
  *out_session = nullptr;
  return guard([&]() -> nuri_status_t {
    auto *session = new nuri_session_s();
    retainObject(module);
    retainObject(device);
    session->module = module;
    session->device = device;
    session->inputShapes.resize(module->inputs.size());
    nuri_status_t status = loadExecutables(session);
    if (!status)
      status = bindBuffers(session);
    if (status) {
      releaseObject(session);
      return status;
    }
    *out_session = session;
    return nullptr;
  });
}

nuri_status_t nuri_session_set_input_shape(nuri_session_t session, size_t index,
                                           const int64_t *dims, size_t rank) {
  NURI_CHECK_ARG(session && (dims || !rank), "nuri_session_set_input_shape: NULL argument");
  nuri_module_t module = session->module;
  NURI_CHECK_ARG(index < module->inputs.size(), "%s: no input %zu", module->name.c_str(), index);
  const nuri_module_s::Tensor &tensor = module->inputs[index];
  NURI_CHECK_ARG(rank == tensor.shape.size(), "%s: input '%s' has rank %zu, not %zu",
                 module->name.c_str(), tensor.name.c_str(), tensor.shape.size(), rank);
  for (size_t d = 0; d < rank; ++d) {
    NURI_CHECK_ARG(dims[d] >= 0 && static_cast<uint64_t>(dims[d]) <= kMaxBufferBytes,
                   "%s: input '%s' dimension %zu is %lld", module->name.c_str(),
                   tensor.name.c_str(), d, (long long)dims[d]);
    NURI_CHECK_ARG(tensor.shape[d] == -1 || tensor.shape[d] == dims[d],
                   "%s: input '%s' dimension %zu is %lld, not %lld", module->name.c_str(),
                   tensor.name.c_str(), d, (long long)tensor.shape[d], (long long)dims[d]);
  }
  session->inputShapes[index].assign(dims, dims + rank);
  return nullptr;
}

uint64_t nuri_session_buffer_bytes(nuri_session_t session, nuri_memory_type_t type) {
  if (!session)
    return 0;
  uint64_t bytes = 0;
  for (const std::vector<nuri_buffer_t> *held : {&session->transients, &session->constants})
    for (nuri_buffer_t b : *held)
      if (b && nuri_buffer_memory_type(b) == type)
        bytes += nuri_buffer_size(b);
  return bytes;
}

nuri_status_t nuri_session_output_shape(nuri_session_t session, size_t index,
                                        int64_t *dims, size_t rank) {
  NURI_CHECK_ARG(session && (dims || !rank),
                 "nuri_session_output_shape: NULL argument");
  nuri_module_t module = session->module;
  NURI_CHECK_ARG(index < module->outputs.size(), "%s: no output %zu",
                 module->name.c_str(), index);
  const nuri_module_s::Tensor &tensor = module->outputs[index];
  NURI_CHECK_ARG(rank == tensor.shape.size(), "%s: output '%s' has rank %zu, not %zu",
                 module->name.c_str(), tensor.name.c_str(), tensor.shape.size(), rank);
  const std::vector<int64_t> &shape =
      index < session->outputShapes.size() ? session->outputShapes[index] : tensor.shape;
  for (size_t d = 0; d < rank; ++d) {
    NURI_CHECK_ARG(shape[d] >= 0, "%s: output '%s' has a run-time shape: invoke first",
                   module->name.c_str(), tensor.name.c_str());
    dims[d] = shape[d];
  }
  return nullptr;
}

void nuri_session_retain(nuri_session_t session) { retainObject(session); }
void nuri_session_release(nuri_session_t session) { releaseObject(session); }

nuri_status_t nuri_session_invoke(nuri_session_t session,
                                  const nuri_buffer_t *inputs,
                                  size_t input_count, nuri_buffer_t *outputs,
                                  size_t output_count) {
  NURI_CHECK_ARG(session && (inputs || !input_count) &&
                     (outputs || !output_count),
                 "nuri_session_invoke: NULL argument");
  nuri_module_t module = session->module;
  NURI_CHECK_ARG(input_count == module->inputs.size(),
                 "%s: expected %zu inputs, got %zu", module->name.c_str(),
                 module->inputs.size(), input_count);
  NURI_CHECK_ARG(output_count == module->outputs.size(),
                 "%s: expected %zu outputs, got %zu", module->name.c_str(),
                 module->outputs.size(), output_count);
  for (size_t i = 0; i < output_count; ++i)
    outputs[i] = nullptr;
  const bool symbolic = module->model->symbols() != nullptr;
  if (symbolic)
    NURI_RETURN_IF_ERROR(bindSymbols(session));
  for (size_t i = 0; i < input_count; ++i) {
    NURI_CHECK_ARG(inputs[i], "input '%s' is NULL",
                   module->inputs[i].name.c_str());
    NURI_CHECK_ARG(inputs[i]->device == session->device,
                   "input '%s' belongs to another device",
                   module->inputs[i].name.c_str());
    uint64_t want = module->inputs[i].byteSize;
    if (module->inputs[i].symbolic) {
      want = module->inputs[i].elementBytes;
      for (int64_t d : session->inputShapes[i])
        want *= static_cast<uint64_t>(d); // bounded by kMaxBufferBytes per dim and rank
    }
    NURI_CHECK_ARG(inputs[i]->size == want,
                   "input '%s' needs %llu bytes, buffer has %llu",
                   module->inputs[i].name.c_str(), (unsigned long long)want,
                   (unsigned long long)inputs[i]->size);
  }
  nuri_command_buffer_t cb = nullptr;
  nuri_status_t status = guard([&]() -> nuri_status_t {
    nuri_allocator_t allocator = nuri_device_allocator(session->device);
    const HostProgram *program = module->model->program();
    auto *buffers = program->buffers();
    for (size_t i = 0; i < output_count; ++i) {
      if (module->outputs[i].allocated) // sized by its Allocate command
        continue;
      uint64_t bytes = module->outputs[i].byteSize;
      if (module->outputs[i].symbolic)
        NURI_RETURN_IF_ERROR(
            symbolicBytes(session, buffers->Get(module->outputs[i].buffer), &bytes));
      NURI_RETURN_IF_ERROR(nuri_allocator_allocate(allocator, bytes, &outputs[i]));
    }
    // Buffers of symbolic size: (re)allocated when this call needs more.
    for (uint32_t id = 0; symbolic && id < buffers->size(); ++id) {
      const Buffer *buffer = buffers->Get(id);
      if (buffer->kind() == BufferKind::Symbols) {
        void *host = nullptr;
        NURI_RETURN_IF_ERROR(nuri_buffer_map(session->transients[id], &host));
        std::memcpy(host, session->symbols.data(), session->symbols.size() * sizeof(int64_t));
      }
      if (buffer->kind() != BufferKind::Transient || !buffer->size_expr())
        continue;
      uint64_t bytes = 0;
      NURI_RETURN_IF_ERROR(symbolicBytes(session, buffer, &bytes));
      nuri_buffer_t &held = session->transients[id];
      if (held && nuri_buffer_size(held) >= bytes)
        continue;
      nuri_buffer_release(held);
      held = nullptr;
      NURI_RETURN_IF_ERROR(nuri_allocator_allocate(allocator, bytes, &held));
    }
    std::vector<nuri_buffer_t> table(buffers->size());
    for (uint32_t id = 0; id < buffers->size(); ++id) {
      const Buffer *buffer = buffers->Get(id);
      switch (buffer->kind()) {
      case BufferKind::Input:
        table[id] = inputs[buffer->index()];
        break;
      case BufferKind::Output:
        table[id] = outputs[buffer->index()];
        break;
      case BufferKind::Constant:
        table[id] = session->constants[buffer->index()];
        break;
      default:
        table[id] = session->transients[id];
        break;
      }
    }
    NURI_RETURN_IF_ERROR(nuri_command_buffer_create(session->device, &cb));
    // Runs what is recorded so far and waits for it: the host reads dims
    // that dispatches wrote. With `seconds`, also measures the wall time
    // from the submit to the end of the wait.
    nuri_semaphore_t done = nullptr;
    uint64_t doneValue = 0;
    auto flush = [&](double *seconds = nullptr) -> nuri_status_t {
      if (!done)
        NURI_RETURN_IF_ERROR(nuri_semaphore_create(session->device, 0, &done));
      std::chrono::steady_clock::time_point start;
      if (seconds)
        start = std::chrono::steady_clock::now();
      NURI_RETURN_IF_ERROR(
          nuri_device_submit(session->device, cb, nullptr, 0, done, ++doneValue));
      NURI_RETURN_IF_ERROR(nuri_semaphore_wait(done, doneValue, NURI_TIMEOUT_INFINITE));
      if (seconds)
        *seconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
      nuri_command_buffer_release(cb);
      cb = nullptr;
      return nuri_command_buffer_create(session->device, &cb);
    };
    struct SemaphoreGuard {
      nuri_semaphore_t &s;
      ~SemaphoreGuard() { nuri_semaphore_release(s); }
    } semaphoreGuard{done};
    size_t commandCount = program->commands() ? program->commands()->size() : 0;
    std::vector<nuri_buffer_t> bindings;
    // Read once: a hook that sets another hook (or none) affects the next
    // invoke, not this one.
    const nuri_dispatch_hook_t hook = session->hook;
    void *const hookUser = session->hookUser;
    const bool tracing = hook != nullptr;
    uint32_t dispatchOrdinal = 0;
    for (size_t c = 0; c < commandCount; ++c) {
      switch (program->commands_type()->Get(c)) {
      case Command::Dispatch: {
        auto *dispatch =
            static_cast<const Dispatch *>(program->commands()->Get(c));
        bindings.clear();
        if (dispatch->bindings())
          for (uint32_t id : *dispatch->bindings())
            bindings.push_back(table[id]);
        const nuri_session_s::Choice &choice = session->dispatches[c];
        // Tracing times each dispatch alone: run the copies and barriers
        // recorded before it first.
        if (tracing && nuri_command_buffer_command_count(cb) > 0)
          NURI_RETURN_IF_ERROR(flush());
        NURI_RETURN_IF_ERROR(nuri_command_buffer_dispatch(
            cb, session->executables[choice.executable], choice.entry,
            choice.workgroups, bindings.data(), bindings.size()));
        if (tracing) {
          double seconds = 0;
          NURI_RETURN_IF_ERROR(flush(&seconds));
          // The hook maps the results: device-local ones are copied to
          // host-visible buffers first.
          struct Readback {
            std::vector<nuri_buffer_t> buffers;
            ~Readback() {
              for (nuri_buffer_t b : buffers)
                nuri_buffer_release(b);
            }
          } readback;
          std::vector<nuri_buffer_t> traced = table;
          if (dispatch->results())
            for (const TensorSignature *result : *dispatch->results()) {
              nuri_buffer_t local = table[result->buffer()];
              if (nuri_buffer_memory_type(local) != NURI_MEMORY_DEVICE_LOCAL)
                continue;
              nuri_buffer_t copy = nullptr;
              NURI_RETURN_IF_ERROR(
                  nuri_allocator_allocate(allocator, nuri_buffer_size(local), &copy));
              readback.buffers.push_back(copy);
              traced[result->buffer()] = copy;
              NURI_RETURN_IF_ERROR(
                  nuri_command_buffer_copy(cb, local, 0, copy, 0, nuri_buffer_size(local)));
            }
          if (!readback.buffers.empty())
            NURI_RETURN_IF_ERROR(flush());
          NURI_RETURN_IF_ERROR(traceDispatch(session, hook, hookUser, c,
                                             dispatchOrdinal, dispatch, traced,
                                             seconds));
        }
        ++dispatchOrdinal;
        break;
      }
      case Command::Copy: {
        auto *copy = static_cast<const Copy *>(program->commands()->Get(c));
        NURI_RETURN_IF_ERROR(nuri_command_buffer_copy(
            cb, table[copy->source()], copy->source_offset(),
            table[copy->target()], copy->target_offset(), copy->size()));
        break;
      }
      case Command::Allocate: {
        auto *allocate = static_cast<const Allocate *>(program->commands()->Get(c));
        NURI_RETURN_IF_ERROR(flush());
        uint64_t bytes = 0;
        NURI_RETURN_IF_ERROR(
            allocationSize(session, table[allocate->dims_buffer()], allocate, &bytes));
        nuri_buffer_t buffer = nullptr;
        NURI_RETURN_IF_ERROR(nuri_allocator_allocate(allocator, bytes, &buffer));
        const Buffer *target = buffers->Get(allocate->buffer());
        if (target->kind() == BufferKind::Output) {
          outputs[target->index()] = buffer;
        } else {
          nuri_buffer_release(session->transients[allocate->buffer()]);
          session->transients[allocate->buffer()] = buffer;
        }
        table[allocate->buffer()] = buffer;
        break;
      }
      default:
        NURI_RETURN_IF_ERROR(nuri_command_buffer_barrier(cb));
        break;
      }
    }
    NURI_RETURN_IF_ERROR(flush());
    return resolveOutputShapes(session, table);
  });
  nuri_command_buffer_release(cb);
  if (status)
    for (size_t i = 0; i < output_count; ++i) {
      nuri_buffer_release(outputs[i]);
      outputs[i] = nullptr;
    }
  return status;
}

} // extern "C"
