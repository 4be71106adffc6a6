#include "module/artifact.h"

#include "hal/guard.h"
#include "module/symbols.h"

#include <string>

namespace nuri {
namespace {

using namespace artifact;

#define CHECK(cond, ...)                                                       \
  do {                                                                         \
    if (!(cond))                                                               \
      return fail(__VA_ARGS__);                                                \
  } while (0)

class Checker {
public:
  Checker(const char *name, const Model *model) : name_(name), model_(model) {}

  nuri_status_t run();

private:
  template <typename... Args>
  nuri_status_t fail(const char *format, Args... args) {
    std::string full = std::string("%s: ") + format;
    return nuri_make_status(NURI_DATA_LOSS, full.c_str(), name_, args...);
  }
  nuri_status_t fail(const char *message) {
    return nuri_make_status(NURI_DATA_LOSS, "%s: %s", name_, message);
  }

  nuri_status_t checkBuffers();
  nuri_status_t checkSymbols();
  nuri_status_t checkSignatures(
      const char *what,
      const flatbuffers::Vector<flatbuffers::Offset<TensorSignature>> *list,
      BufferKind kind);
  nuri_status_t checkStringBytes(const char *what, const char *tensor,
                                 const TensorSignature *signature);
  nuri_status_t checkExecutables();
  nuri_status_t checkCommands();
  nuri_status_t checkResults(uint32_t c, const Dispatch *dispatch);

  const char *name_;
  const Model *model_;
  uint32_t bufferCount_ = 0;
};

size_t count(const flatbuffers::Vector<flatbuffers::Offset<void>> *v) {
  return v ? v->size() : 0;
}
template <typename T> size_t count(const flatbuffers::Vector<T> *v) {
  return v ? v->size() : 0;
}

nuri_status_t Checker::run() {
  CHECK(model_->version() == static_cast<uint32_t>(FormatVersion::Current),
        "unsupported artifact version %u (this runtime reads version %u)",
        model_->version(), static_cast<uint32_t>(FormatVersion::Current));
  CHECK(model_->program(), "artifact has no host program");
  CHECK(model_->program()->buffers(), "host program has no buffer list");
  bufferCount_ = model_->program()->buffers()->size();
  NURI_RETURN_IF_ERROR(checkBuffers());
  NURI_RETURN_IF_ERROR(checkSymbols());
  NURI_RETURN_IF_ERROR(
      checkSignatures("input", model_->inputs(), BufferKind::Input));
  NURI_RETURN_IF_ERROR(
      checkSignatures("output", model_->outputs(), BufferKind::Output));
  NURI_RETURN_IF_ERROR(checkExecutables());
  return checkCommands();
}

nuri_status_t Checker::checkBuffers() {
  auto *buffers = model_->program()->buffers();
  size_t inputs = count(model_->inputs()), outputs = count(model_->outputs()),
         constants = count(model_->constants());
  for (uint32_t id = 0; id < bufferCount_; ++id) {
    const Buffer *buffer = buffers->Get(id);
    CHECK(buffer->size() <= kMaxBufferBytes,
          "buffer %u has an implausible size of %llu bytes", id,
          (unsigned long long)buffer->size());
    uint32_t index = buffer->index();
    if (buffer->size_expr()) {
      std::string why = checkSizeExpr(buffer->size_expr(), count(model_->symbols()));
      CHECK(why.empty(), "buffer %u: %s", id, why.c_str());
      CHECK(buffer->size() == 0 &&
                (buffer->kind() == BufferKind::Transient || buffer->kind() == BufferKind::Input ||
                 buffer->kind() == BufferKind::Output),
            "buffer %u has a size program but is not an unsized transient, input or output",
            id);
    }
    switch (buffer->kind()) {
    case BufferKind::Transient:
      break;
    case BufferKind::Symbols:
      CHECK(buffer->size() == count(model_->symbols()) * sizeof(int64_t),
            "buffer %u holds the symbols but has %llu bytes for %zu symbols", id,
            (unsigned long long)buffer->size(), count(model_->symbols()));
      break;
    case BufferKind::Input:
      CHECK(index < inputs, "buffer %u is input %u of %zu", id, index, inputs);
      break;
    case BufferKind::Output:
      CHECK(index < outputs, "buffer %u is output %u of %zu", id, index,
            outputs);
      break;
    case BufferKind::Constant: {
      CHECK(index < constants, "buffer %u is constant %u of %zu", id, index,
            constants);
      const Constant *constant = model_->constants()->Get(index);
      CHECK(constant->data(), "constant %u has no data", index);
      CHECK(constant->data()->size() == buffer->size(),
            "buffer %u has %llu bytes but constant %u has %u", id,
            (unsigned long long)buffer->size(), index,
            constant->data()->size());
      break;
    }
    default:
      return fail("buffer %u has unknown kind %u", id,
                  static_cast<unsigned>(buffer->kind()));
    }
  }
  return nullptr;
}

nuri_status_t Checker::checkSymbols() {
  auto *symbols = model_->symbols();
  size_t inputs = count(model_->inputs());
  for (uint32_t j = 0; j < count(symbols); ++j) {
    const Symbol *symbol = symbols->Get(j);
    CHECK(symbol->name() && symbol->name()->size() > 0, "symbol %u has no name", j);
    CHECK(symbol->min() >= 0 && symbol->min() <= symbol->max() &&
              static_cast<uint64_t>(symbol->max()) <= kMaxBufferBytes,
          "symbol '%s' has bounds [%lld, %lld]", symbol->name()->c_str(),
          (long long)symbol->min(), (long long)symbol->max());
    CHECK(symbol->input() < inputs, "symbol '%s' reads input %u of %zu",
          symbol->name()->c_str(), symbol->input(), inputs);
    const TensorSignature *input = model_->inputs()->Get(symbol->input());
    CHECK(symbol->dim() < count(input->shape()) &&
              input->shape()->Get(symbol->dim()) == -1,
          "symbol '%s' reads dimension %u of input %u, which is not symbolic",
          symbol->name()->c_str(), symbol->dim(), symbol->input());
  }
  return nullptr;
}

nuri_status_t Checker::checkSignatures(
    const char *what,
    const flatbuffers::Vector<flatbuffers::Offset<TensorSignature>> *list,
    BufferKind kind) {
  if (!list)
    return nullptr;
  auto *buffers = model_->program()->buffers();
  for (uint32_t i = 0; i < list->size(); ++i) {
    const TensorSignature *signature = list->Get(i);
    CHECK(signature->name() && signature->name()->size() > 0,
          "%s %u has no name", what, i);
    const char *tensor = signature->name()->c_str();
    auto dtype = static_cast<nuri_dtype_t>(signature->dtype());
    CHECK(dtype == NURI_DTYPE_STRING || nuri_dtype_size(dtype) != 0,
          "%s '%s' has unknown dtype %u", what, tensor,
          static_cast<unsigned>(signature->dtype()));
    NURI_RETURN_IF_ERROR(checkStringBytes(what, tensor, signature));
    // Nonzero from here on: every size below is a multiple of it.
    uint64_t elementSize = elementBytes(signature);
    uint64_t elements = 1;
    size_t rank = count(signature->shape());
    CHECK(rank <= kMaxRank, "%s '%s' has rank %zu (at most %zu)", what, tensor,
          rank, kMaxRank);
    int32_t dimsBuffer = signature->dims_buffer();
    bool runtimeShape = dimsBuffer >= 0;
    CHECK(dimsBuffer >= -1 && (!runtimeShape || kind == BufferKind::Output),
          "%s '%s' has invalid dims_buffer %d", what, tensor, dimsBuffer);
    if (runtimeShape) {
      CHECK(static_cast<uint32_t>(dimsBuffer) < bufferCount_,
            "%s '%s' reads its dimensions from buffer %d of %u", what, tensor,
            dimsBuffer, bufferCount_);
      const Buffer *dims = buffers->Get(dimsBuffer);
      CHECK(dims->size() == rank * sizeof(int64_t) &&
                dims->kind() != BufferKind::Output,
            "%s '%s': dimension buffer %d must be a non-output int64[%zu]",
            what, tensor, dimsBuffer, rank);
    }
    // Symbolic dimensions: one size program per dimension.
    bool symbolic = signature->dim_exprs() != nullptr;
    if (symbolic) {
      CHECK(!runtimeShape && count(signature->dim_exprs()) == rank,
            "%s '%s' has %zu dimension programs for rank %zu", what, tensor,
            count(signature->dim_exprs()), rank);
      for (size_t d = 0; d < rank; ++d) {
        std::string why = checkSizeExpr(signature->dim_exprs()->Get(d), count(model_->symbols()));
        CHECK(why.empty(), "%s '%s' dimension %zu: %s", what, tensor, d, why.c_str());
      }
    }
    for (size_t d = 0; d < rank; ++d) {
      int64_t dim = signature->shape()->Get(d);
      if ((runtimeShape || symbolic) && dim == -1)
        continue;
      CHECK(dim >= 0 && static_cast<uint64_t>(dim) <= kMaxBufferBytes,
            "%s '%s' has invalid dimension %lld", what, tensor, (long long)dim);
      elements *= static_cast<uint64_t>(dim);
      CHECK(elements <= kMaxBufferBytes, "%s '%s' has too many elements", what,
            tensor);
    }
    uint32_t id = signature->buffer();
    CHECK(id < bufferCount_, "%s '%s' uses buffer %u of %u", what, tensor, id,
          bufferCount_);
    const Buffer *buffer = buffers->Get(id);
    CHECK(buffer->kind() == kind && buffer->index() == i,
          "%s '%s' uses buffer %u, which is not %s %u", what, tensor, id, what,
          i);
    uint64_t bytes = elements * elementSize;
    // Every buffer bound to this tensor must hold exactly the tensor.
    for (uint32_t other = 0; other < bufferCount_; ++other) {
      const Buffer *b = buffers->Get(other);
      if (b->kind() == kind && b->index() == i && !(symbolic && b->size_expr()))
        CHECK(runtimeShape ? b->size() % elementSize == 0 : b->size() == bytes,
              "%s '%s' is %s%s with %llu bytes but buffer %u has %llu", what,
              tensor, nuri_dtype_name(dtype), rank ? "[...]" : "[]",
              (unsigned long long)bytes, other, (unsigned long long)b->size());
    }
  }
  return nullptr;
}

// STRING elements are NUL-padded to a width fixed at compile time; other
// dtypes have their own size, so a width there means a confused writer.
nuri_status_t Checker::checkStringBytes(const char *what, const char *tensor,
                                        const TensorSignature *signature) {
  uint32_t width = signature->string_bytes();
  if (signature->dtype() == DType::STRING)
    CHECK(width >= 1 && width <= kMaxStringBytes,
          "%s '%s' is a string tensor with string_bytes %u (must be 1..%u)",
          what, tensor, width, kMaxStringBytes);
  else
    CHECK(width == 0,
          "%s '%s' has dtype %s but string_bytes %u (only string tensors "
          "have a width)",
          what, tensor,
          nuri_dtype_name(static_cast<nuri_dtype_t>(signature->dtype())),
          width);
  return nullptr;
}

nuri_status_t Checker::checkExecutables() {
  size_t n = count(model_->executables());
  for (uint32_t i = 0; i < n; ++i) {
    const Executable *executable = model_->executables()->Get(i);
    CHECK(executable->format() && executable->format()->size() > 0,
          "executable %u has no format", i);
    CHECK(executable->data() && executable->data()->size() > 0,
          "executable %u has no code", i);
    CHECK(executable->entry_points() && executable->entry_points()->size() > 0,
          "executable %u has no entry points", i);
    for (uint32_t e = 0; e < executable->entry_points()->size(); ++e) {
      auto *entry = executable->entry_points()->Get(e);
      CHECK(entry && entry->size() > 0, "executable %u entry point %u is empty",
            i, e);
    }
  }
  return nullptr;
}

nuri_status_t Checker::checkCommands() {
  auto *program = model_->program();
  auto *types = program->commands_type();
  auto *commands = program->commands();
  CHECK(count(types) == count(commands),
        "host program has %zu command types for %zu commands", count(types),
        count(commands));
  size_t executables = count(model_->executables());
  auto *buffers = program->buffers();
  // Buffers sized at run time: none may be used before its Allocate, and
  // copies (of compile-time sizes) never touch them.
  std::vector<bool> pending(bufferCount_, false);
  std::vector<bool> runtimeSized(bufferCount_, false);
  for (uint32_t id = 0; id < bufferCount_; ++id)
    runtimeSized[id] = buffers->Get(id)->size_expr() != nullptr;
  for (uint32_t c = 0; c < count(commands); ++c) {
    CHECK(commands->Get(c), "command %u is missing", c);
    if (types->Get(c) != Command::Allocate)
      continue;
    auto *allocate = static_cast<const Allocate *>(commands->Get(c));
    uint32_t id = allocate->buffer();
    CHECK(id < bufferCount_, "allocate %u sizes buffer %u of %u", c, id, bufferCount_);
    CHECK(!pending[id] && !buffers->Get(id)->size_expr(),
          "buffer %u is allocated twice", id);
    BufferKind kind = buffers->Get(id)->kind();
    CHECK((kind == BufferKind::Transient || kind == BufferKind::Output) &&
              buffers->Get(id)->size() == 0,
          "allocate %u sizes buffer %u, which is not an unsized transient or output", c, id);
    pending[id] = true;
    runtimeSized[id] = true;
  }
  auto ready = [&](uint32_t id) { return id < bufferCount_ && !pending[id]; };
  for (uint32_t c = 0; c < count(commands); ++c) {
    switch (types->Get(c)) {
    case Command::Dispatch: {
      auto *dispatch = static_cast<const Dispatch *>(commands->Get(c));
      CHECK(dispatch->executable() < executables,
            "dispatch %u uses executable %u of %zu", c, dispatch->executable(),
            executables);
      const Executable *executable =
          model_->executables()->Get(dispatch->executable());
      CHECK(dispatch->entry() < executable->entry_points()->size(),
            "dispatch %u uses entry point %u of %u", c, dispatch->entry(),
            executable->entry_points()->size());
      CHECK(dispatch->workgroup_count() >= 1 &&
                dispatch->workgroup_count() <= kMaxWorkgroupCount,
            "dispatch %u has workgroup_count %u (must be 1..%u)", c,
            dispatch->workgroup_count(), kMaxWorkgroupCount);
      int32_t fallback = dispatch->fallback_executable();
      CHECK(fallback >= -1 && fallback < static_cast<int64_t>(executables),
            "dispatch %u has fallback executable %d of %zu", c, fallback,
            executables);
      if (fallback >= 0) {
        const Executable *other = model_->executables()->Get(fallback);
        CHECK(dispatch->fallback_entry() < other->entry_points()->size(),
              "dispatch %u uses fallback entry point %u of %u", c,
              dispatch->fallback_entry(), other->entry_points()->size());
        CHECK(dispatch->fallback_workgroup_count() >= 1 &&
                  dispatch->fallback_workgroup_count() <= kMaxWorkgroupCount,
              "dispatch %u has fallback_workgroup_count %u (must be 1..%u)",
              c, dispatch->fallback_workgroup_count(), kMaxWorkgroupCount);
      }
      for (uint32_t a = 0; a < count(dispatch->alternatives()); ++a) {
        const Implementation *alt = dispatch->alternatives()->Get(a);
        CHECK(alt->executable() < executables,
              "dispatch %u alternative %u uses executable %u of %zu", c, a, alt->executable(),
              executables);
        CHECK(alt->entry() < model_->executables()->Get(alt->executable())->entry_points()->size(),
              "dispatch %u alternative %u uses entry point %u of %u", c, a, alt->entry(),
              model_->executables()->Get(alt->executable())->entry_points()->size());
        CHECK(alt->workgroup_count() >= 1 && alt->workgroup_count() <= kMaxWorkgroupCount,
              "dispatch %u alternative %u has workgroup_count %u (must be 1..%u)", c, a,
              alt->workgroup_count(), kMaxWorkgroupCount);
      }
      for (uint32_t b = 0; b < count(dispatch->bindings()); ++b) {
        uint32_t id = dispatch->bindings()->Get(b);
        CHECK(id < bufferCount_, "dispatch %u binds buffer %u of %u", c, id, bufferCount_);
        CHECK(ready(id), "dispatch %u binds buffer %u before it is allocated", c, id);
      }
      NURI_RETURN_IF_ERROR(checkResults(c, dispatch));
      break;
    }
    case Command::Allocate: {
      auto *allocate = static_cast<const Allocate *>(commands->Get(c));
      uint32_t dims = allocate->dims_buffer();
      CHECK(ready(dims) && dims != allocate->buffer() && !runtimeSized[dims],
            "allocate %u reads its dimensions from buffer %u of %u", c, dims, bufferCount_);
      CHECK(allocate->rank() <= kMaxRank &&
                buffers->Get(dims)->size() == allocate->rank() * sizeof(int64_t),
            "allocate %u: dimension buffer %u is not int64[%u]", c, dims, allocate->rank());
      // A string output's elements are string_bytes wide, hence the bound.
      CHECK(allocate->element_size() >= 1 &&
                allocate->element_size() <= kMaxStringBytes,
            "allocate %u has element size %u (must be 1..%u)", c,
            allocate->element_size(), kMaxStringBytes);
      pending[allocate->buffer()] = false;
      break;
    }
    case Command::Copy: {
      auto *copy = static_cast<const Copy *>(commands->Get(c));
      // Copies have sizes fixed at compile time: never of run-time-sized buffers.
      CHECK(copy->source() < bufferCount_ && !runtimeSized[copy->source()],
            "copy %u reads buffer %u of %u", c, copy->source(), bufferCount_);
      CHECK(copy->target() < bufferCount_ && !runtimeSized[copy->target()],
            "copy %u writes buffer %u of %u", c, copy->target(), bufferCount_);
      uint64_t sourceSize = buffers->Get(copy->source())->size();
      uint64_t targetSize = buffers->Get(copy->target())->size();
      CHECK(copy->source_offset() <= sourceSize &&
                copy->size() <= sourceSize - copy->source_offset(),
            "copy %u reads [%llu, +%llu) outside buffer %u of %llu bytes", c,
            (unsigned long long)copy->source_offset(),
            (unsigned long long)copy->size(), copy->source(),
            (unsigned long long)sourceSize);
      CHECK(copy->target_offset() <= targetSize &&
                copy->size() <= targetSize - copy->target_offset(),
            "copy %u writes [%llu, +%llu) outside buffer %u of %llu bytes", c,
            (unsigned long long)copy->target_offset(),
            (unsigned long long)copy->size(), copy->target(),
            (unsigned long long)targetSize);
      CHECK(buffers->Get(copy->target())->kind() != BufferKind::Constant,
            "copy %u writes constant buffer %u", c, copy->target());
      break;
    }
    case Command::Barrier:
      break;
    default:
      return fail("command %u has unknown type %u", c,
                  static_cast<unsigned>(types->Get(c)));
    }
  }
  return nullptr;
}

// Dispatch.results describes the last results.length bindings (the buffers
// the dispatch writes) for tracing; each must fit the buffer it names.
nuri_status_t Checker::checkResults(uint32_t c, const Dispatch *dispatch) {
  auto *results = dispatch->results();
  if (!results)
    return nullptr;
  size_t bindings = count(dispatch->bindings());
  CHECK(results->size() <= bindings,
        "dispatch %u describes %u results but has %zu bindings", c,
        results->size(), bindings);
  size_t first = bindings - results->size();
  auto *buffers = model_->program()->buffers();
  for (uint32_t r = 0; r < results->size(); ++r) {
    const TensorSignature *result = results->Get(r);
    CHECK(result, "dispatch %u result %u is missing", c, r);
    uint32_t id = result->buffer();
    CHECK(id < bufferCount_, "dispatch %u result %u is buffer %u of %u", c, r,
          id, bufferCount_);
    uint32_t bound = dispatch->bindings()->Get(first + r);
    CHECK(id == bound,
          "dispatch %u result %u is buffer %u but binding %zu is buffer %u", c,
          r, id, first + r, bound);
    auto dtype = static_cast<nuri_dtype_t>(result->dtype());
    CHECK(dtype == NURI_DTYPE_STRING || nuri_dtype_size(dtype) != 0,
          "dispatch %u result %u has unknown dtype %u", c, r,
          static_cast<unsigned>(result->dtype()));
    CHECK(dtype != NURI_DTYPE_STRING ||
              (result->string_bytes() >= 1 &&
               result->string_bytes() <= kMaxStringBytes),
          "dispatch %u result %u is a string tensor with string_bytes %u "
          "(must be 1..%u)",
          c, r, result->string_bytes(), kMaxStringBytes);
    size_t rank = count(result->shape());
    CHECK(rank <= kMaxRank, "dispatch %u result %u has rank %zu (at most %zu)",
          c, r, rank, kMaxRank);
    uint64_t elements = 1;
    for (size_t d = 0; d < rank; ++d) {
      int64_t dim = result->shape()->Get(d);
      CHECK(dim >= 0 && static_cast<uint64_t>(dim) <= kMaxBufferBytes,
            "dispatch %u result %u has invalid dimension %lld", c, r,
            (long long)dim);
      elements *= static_cast<uint64_t>(dim);
      CHECK(elements <= kMaxBufferBytes,
            "dispatch %u result %u has too many elements", c, r);
    }
    // At most kMaxBufferBytes (2^44) elements of at most kMaxStringBytes
    // (2^16) bytes: the product cannot wrap.
    uint64_t bytes = elements * elementBytes(result);
    uint64_t size = buffers->Get(id)->size();
    // A run-time-sized buffer (size 0, sized by an Allocate) has no bound here.
    CHECK(size == 0 || bytes <= size,
          "dispatch %u result %u is %s with %llu bytes but buffer %u has %llu",
          c, r, nuri_dtype_name(dtype), (unsigned long long)bytes, id,
          (unsigned long long)size);
  }
  return nullptr;
}

} // namespace

uint64_t elementBytes(const TensorSignature *signature) {
  auto dtype = static_cast<nuri_dtype_t>(signature->dtype());
  return dtype == NURI_DTYPE_STRING ? signature->string_bytes()
                                    : nuri_dtype_size(dtype);
}

bool isAllocated(const Model *model, uint32_t id) {
  auto *program = model->program();
  auto *types = program->commands_type();
  for (uint32_t c = 0; c < count(program->commands()); ++c)
    if (types->Get(c) == Command::Allocate &&
        static_cast<const Allocate *>(program->commands()->Get(c))->buffer() == id)
      return true;
  return false;
}

nuri_status_t verifyArtifact(const uint8_t *data, size_t size, const char *name,
                             const Model **out_model) {
  *out_model = nullptr;
  if (!name)
    name = "<memory>";
  if (!data || size < 8 || !ModelBufferHasIdentifier(data))
    return nuri_make_status(NURI_INVALID_ARGUMENT,
                            "%s: not a .nuri artifact (bad identifier)", name);
  // Large artifacts (constants) need a bigger table budget than the
  // default; depth and table limits still bound the work.
  flatbuffers::Verifier verifier(data, size, /*max_depth=*/64,
                                 /*max_tables=*/10000000);
  if (!VerifyModelBuffer(verifier))
    return nuri_make_status(NURI_DATA_LOSS,
                            "%s: truncated or corrupted artifact", name);
  const Model *model = GetModel(data);
  NURI_RETURN_IF_ERROR(Checker(name, model).run());
  *out_model = model;
  return nullptr;
}

} // namespace nuri
