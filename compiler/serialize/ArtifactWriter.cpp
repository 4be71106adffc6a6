//===- ArtifactWriter.cpp -------------------------------------------------===//
//
// @main after dispatch formation is the host program: every SSA tensor is a
// buffer, reshapes alias their operand's buffer, and each call is a
// dispatch binding its operands' and results' buffers. Weights become
// 64-byte aligned constants the runtime maps in place.
//
//===----------------------------------------------------------------------===//
#include "compiler/serialize/ArtifactWriter.h"
#include "compiler/serialize/SizeExpr.h"

#include "dialects/nuri/IR/NuriDialect.h"
#include "nuri/schemas/artifact_generated.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;
namespace fb = ::nuri::artifact;

namespace nuri {
namespace {

bool dtypeOf(Type t, fb::DType &out) {
  if (t.isF32()) out = fb::DType::F32;
  else if (t.isF16()) out = fb::DType::F16;
  else if (t.isBF16()) out = fb::DType::BF16;
  else if (t.isF64()) out = fb::DType::F64;
  else if (t.isInteger(1)) out = fb::DType::I1;
  else if (t.isSignlessInteger(8)) out = fb::DType::I8;
  else if (t.isUnsignedInteger(8)) out = fb::DType::U8;
  else if (t.isSignlessInteger(16)) out = fb::DType::I16;
  else if (t.isUnsignedInteger(16)) out = fb::DType::U16;
  else if (t.isSignlessInteger(32)) out = fb::DType::I32;
  else if (t.isUnsignedInteger(32)) out = fb::DType::U32;
  else if (t.isSignlessInteger(64)) out = fb::DType::I64;
  else if (t.isUnsignedInteger(64)) out = fb::DType::U64;
  else return false;
  return true;
}

uint64_t byteSize(RankedTensorType t) {
  return t.getNumElements() * mlir::nuri::elementByteSize(t.getElementType());
}

struct BufferInfo {
  fb::BufferKind kind;
  uint32_t index;
  uint64_t size;
  /// Buffers of symbolic shape: their bytes at run time.
  std::optional<SizeProgram> sizeExpr;
};

/// The sizes of a symbolic tensor's dynamic dimensions, from its tie
/// (nuri-form-dispatches ties every one in @main).
FailureOr<SmallVector<Value>> symbolicSizes(Value v) {
  if (auto tie = v.getDefiningOp<mlir::nuri::TieShapeOp>())
    return SmallVector<Value>(tie.getDims());
  for (Operation *u : v.getUsers())
    if (auto tie = dyn_cast<mlir::nuri::TieShapeOp>(u))
      return SmallVector<Value>(tie.getDims());
  return failure();
}

flatbuffers::Offset<fb::SizeExpr> serialize(flatbuffers::FlatBufferBuilder &fbb,
                                            const SizeProgram &p) {
  std::vector<fb::SizeOp> ops;
  for (uint8_t o : p.ops)
    ops.push_back(static_cast<fb::SizeOp>(o));
  return fb::CreateSizeExpr(fbb, fbb.CreateVector(ops), fbb.CreateVector(p.args));
}

/// One program per dimension of a symbolic tensor.
FailureOr<std::vector<SizeProgram>> dimPrograms(Value v, Value symbols, std::string &error) {
  auto type = cast<RankedTensorType>(v.getType());
  auto sizes = symbolicSizes(v);
  if (failed(sizes)) {
    error = "a tensor of symbolic shape has no sizes";
    return failure();
  }
  std::vector<SizeProgram> out;
  unsigned next = 0;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    SizeProgram p;
    if (!type.isDynamicDim(d)) {
      p.ops.push_back((uint8_t)fb::SizeOp::Const);
      p.args.push_back(type.getDimSize(d));
    } else if (!appendSizeProgram((*sizes)[next++], symbols, p, error)) {
      return failure();
    }
    out.push_back(std::move(p));
  }
  return out;
}

using DimExprs = flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::SizeExpr>>>;

/// TensorSignature.dim_exprs of a symbolic tensor.
LogicalResult serializeDims(flatbuffers::FlatBufferBuilder &fbb, Value v, Value symbols,
                            std::string &error, DimExprs &out) {
  auto exprs = dimPrograms(v, symbols, error);
  if (failed(exprs))
    return failure();
  std::vector<flatbuffers::Offset<fb::SizeExpr>> offs;
  for (const SizeProgram &p : *exprs)
    offs.push_back(serialize(fbb, p));
  out = fbb.CreateVector(offs);
  return success();
}

} // namespace

bool writeArtifact(ModuleOp module, const std::vector<ExecutableBlob> &executables,
                   const std::vector<std::string> &compiledFor, std::string &bytes,
                   std::string &error) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main) {
    error = "no @main";
    return false;
  }
  flatbuffers::FlatBufferBuilder fbb(1 << 20);
  std::vector<BufferInfo> buffers;
  DenseMap<Value, uint32_t> bufferOf;
  std::vector<flatbuffers::Offset<fb::Constant>> constants;
  std::vector<fb::Command> commandTypes;
  std::vector<flatbuffers::Offset<void>> commands;

  // Which executable/entry implements each dispatch.
  std::map<std::string, std::pair<uint32_t, uint32_t>> entryOf;
  std::map<std::string, int64_t> workgroupsOf;
  // The first target listed that implements a dispatch runs it; the next
  // one is its fallback for devices that cannot load the first.
  struct Entry {
    uint32_t executable, entry;
    int64_t workgroups;
  };
  // Every later implementation, in target order; the first is the fallback.
  std::map<std::string, std::vector<Entry>> alternativesOf;
  for (auto [e, exe] : llvm::enumerate(executables))
    for (size_t i = 0; i < exe.dispatchNames.size(); ++i) {
      if (entryOf.emplace(exe.dispatchNames[i], std::make_pair((uint32_t)e, (uint32_t)i)).second)
        workgroupsOf[exe.dispatchNames[i]] = exe.workgroupCounts[i];
      else
        alternativesOf[exe.dispatchNames[i]].push_back(
            Entry{(uint32_t)e, (uint32_t)i, exe.workgroupCounts[i]});
    }

  auto ret = cast<func::ReturnOp>(main.getBody().front().getTerminator());
  // Outputs of run-time size (no bound known) -> the values holding their dims.
  DenseMap<Value, Value> dimsOf;
  for (unsigned i = 0; i < ret.getNumOperands(); ++i)
    if (auto dimsIndex = main.getResultAttrOfType<IntegerAttr>(i, "nuri.dims_result"))
      if (!cast<RankedTensorType>(ret.getOperand(i).getType()).hasStaticShape())
        {
          // Keyed by the dispatch result the output aliases.
          Value v = ret.getOperand(i);
          while (Operation *def = v.getDefiningOp()) {
            if (!isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::BitcastOp>(def))
              break;
            v = def->getOperand(0);
          }
          // A capacity, when given, sizes the buffer (it may exceed the dims).
          auto capacity = main.getResultAttrOfType<IntegerAttr>(i, "nuri.capacity_result");
          dimsOf[v] = ret.getOperand(capacity ? capacity.getInt() : dimsIndex.getInt());
        }

  auto newBuffer = [&](fb::BufferKind kind, uint32_t index, Value v) {
    auto type = cast<RankedTensorType>(v.getType());
    buffers.push_back({kind, index, type.hasStaticShape() ? byteSize(type) : 0, std::nullopt});
    bufferOf[v] = buffers.size() - 1;
    return (uint32_t)(buffers.size() - 1);
  };

  // The symbols table (symbolic input dimensions), when there is one.
  Value symbols;
  ArrayAttr symbolAttrs;
  for (BlockArgument arg : main.getArguments())
    if (auto a = main.getArgAttrOfType<ArrayAttr>(arg.getArgNumber(), "nuri.symbols")) {
      symbols = arg;
      symbolAttrs = a;
    }
  // A buffer of symbolic shape is sized by its dims at each call.
  auto sizeBySymbols = [&](uint32_t id, Value v, ArrayRef<Value> sizes) -> bool {
    auto type = cast<RankedTensorType>(v.getType());
    int64_t factor = mlir::nuri::elementByteSize(type.getElementType());
    for (int64_t d : type.getShape())
      if (!ShapedType::isDynamic(d))
        factor *= d;
    SizeProgram p;
    if (!productProgram(factor, sizes, symbols, p, error))
      return false;
    buffers[id].sizeExpr = std::move(p);
    return true;
  };

  uint32_t inputIndex = 0;
  for (BlockArgument arg : main.getArguments()) {
    if (arg == symbols) {
      uint32_t id = newBuffer(fb::BufferKind::Symbols, 0, arg);
      buffers[id].size = 8 * symbolAttrs.size();
      continue;
    }
    uint32_t id = newBuffer(fb::BufferKind::Input, inputIndex++, arg);
    if (cast<RankedTensorType>(arg.getType()).hasStaticShape())
      continue;
    auto sizes = symbolicSizes(arg);
    if (failed(sizes) || !sizeBySymbols(id, arg, *sizes)) {
      if (error.empty())
        error = "input " + std::to_string(arg.getArgNumber()) + " has no symbolic sizes";
      return false;
    }
  }

  for (Operation &op : main.getBody().front()) {
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(c.getValue());
      if (!dense && symbols && !isa<ShapedType>(c.getType()))
        continue; // a scalar of the size arithmetic (SizeExpr)
      if (!dense) {
        error = "unsupported constant on the host";
        return false;
      }
      std::vector<char> data = mlir::nuri::elementBytes(dense);
      fbb.ForceVectorAlignment(data.size(), 1, 64);
      auto dataOff =
          fbb.CreateVector(reinterpret_cast<const uint8_t *>(data.data()), data.size());
      constants.push_back(fb::CreateConstant(fbb, 0, dataOff));
      newBuffer(fb::BufferKind::Constant, constants.size() - 1, c.getResult());
      continue;
    }
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp, tensor::BitcastOp,
            mlir::nuri::TieShapeOp>(op)) {
      auto it = bufferOf.find(op.getOperand(0));
      if (it == bufferOf.end()) {
        error = "a reshape on the host reads a value without a buffer";
        return false;
      }
      bufferOf[op.getResult(0)] = it->second;
      continue;
    }
    if (auto call = dyn_cast<func::CallOp>(op)) {
      auto it = entryOf.find(call.getCallee().str());
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (it == entryOf.end() || !callee) {
        error = "no executable implements " + call.getCallee().str();
        return false;
      }
      std::vector<uint32_t> bindings;
      std::vector<flatbuffers::Offset<fb::TensorSignature>> results;
      for (Value v : call.getOperands()) {
        if (!bufferOf.count(v)) {
          error = "operand of " + call.getCallee().str() + " has no buffer";
          return false;
        }
        bindings.push_back(bufferOf[v]);
      }
      for (Value r : call.getResults()) {
        uint32_t id = newBuffer(fb::BufferKind::Transient, 0, r);
        bindings.push_back(id);
        // What the dispatch writes, for tracing (string and unknown element
        // types are left out: they are compared by no tool).
        auto resultType = cast<RankedTensorType>(r.getType());
        fb::DType dtype;
        if (resultType.hasStaticShape() && dtypeOf(resultType.getElementType(), dtype))
          results.push_back(fb::CreateTensorSignature(
              fbb, 0, dtype, fbb.CreateVector(resultType.getShape().vec()), id));
        auto type = cast<RankedTensorType>(r.getType());
        if (type.hasStaticShape())
          continue;
        // Symbolic dimensions: sized from the symbols at each call.
        if (!dimsOf.count(r)) {
          auto sizes = symbolicSizes(r);
          if (succeeded(sizes)) {
            if (!sizeBySymbols(id, r, *sizes))
              return false;
            continue;
          }
        }
        // Sized on the host once its dims exist (an earlier dispatch wrote them).
        Value dims = dimsOf.lookup(r);
        if (!dims || !bufferOf.count(dims)) {
          error = "a result of " + call.getCallee().str() +
                  " has a run-time size but no dimensions computed before it";
          return false;
        }
        auto a = fb::CreateAllocate(fbb, id, bufferOf[dims],
                                    cast<RankedTensorType>(dims.getType()).getDimSize(0),
                                    mlir::nuri::elementByteSize(type.getElementType()));
        commandTypes.push_back(fb::Command::Allocate);
        commands.push_back(a.Union());
      }
      std::vector<flatbuffers::Offset<flatbuffers::String>> nodes;
      if (auto names = callee->getAttrOfType<ArrayAttr>("nuri.nodes"))
        for (auto n : names.getAsValueRange<StringAttr>())
          nodes.push_back(fbb.CreateString(n.str()));
      const std::vector<Entry> &others = alternativesOf[call.getCallee().str()];
      std::vector<flatbuffers::Offset<fb::Implementation>> alternatives;
      for (const Entry &o : others)
        alternatives.push_back(
            fb::CreateImplementation(fbb, o.executable, o.entry, (uint32_t)o.workgroups));
      auto d = fb::CreateDispatch(
          fbb, it->second.first, it->second.second, workgroupsOf[call.getCallee().str()],
          fbb.CreateVector(bindings), fbb.CreateVector(nodes),
          others.empty() ? -1 : (int32_t)others[0].executable, others.empty() ? 0 : others[0].entry,
          others.empty() ? 0 : (uint32_t)others[0].workgroups,
          results.size() == call.getNumResults() ? fbb.CreateVector(results) : 0,
          others.size() > 1 ? fbb.CreateVector(alternatives) : 0);
      commandTypes.push_back(fb::Command::Dispatch);
      commands.push_back(d.Union());
      continue;
    }
    if (isa<func::ReturnOp>(op))
      continue;
    // Index arithmetic on the symbols: it sizes buffers (SizeExpr), and
    // every dispatch that needs a value recomputes it.
    if (symbols && isPure(&op) && op.getNumRegions() == 0 &&
        llvm::none_of(op.getResultTypes(), [](Type t) { return isa<ShapedType>(t); }))
      continue;
    error = "operation '" + op.getName().getStringRef().str() +
            "' cannot run on the host; it should have been in a dispatch";
    return false;
  }

  // Outputs: a transient returned once becomes the output buffer itself;
  // anything else (an input, a constant, a repeat) is copied into one.
  std::vector<flatbuffers::Offset<fb::TensorSignature>> inputs, outputs;
  std::set<uint32_t> claimed;
  // Results marked nuri.dims_of hold the run-time dimensions of an output
  // (data-dependent shapes): they stay in their own buffers.
  unsigned numOutputs = ret.getNumOperands();
  while (numOutputs > 0 && main.getResultAttr(numOutputs - 1, "nuri.dims_of"))
    --numOutputs;
  for (auto [i, v] : llvm::enumerate(ret.getOperands())) {
    if (i >= numOutputs)
      break;
    auto found = bufferOf.find(v);
    if (found == bufferOf.end()) {
      error = "output " + std::to_string(i) + " has no buffer";
      return false;
    }
    uint32_t src = found->second;
    uint32_t dst;
    if (buffers[src].kind == fb::BufferKind::Transient && !claimed.count(src)) {
      buffers[src].kind = fb::BufferKind::Output;
      buffers[src].index = i;
      dst = src;
    } else if (!cast<RankedTensorType>(v.getType()).hasStaticShape()) {
      error = "output " + std::to_string(i) + " has a run-time size and is not a fresh result";
      return false;
    } else {
      buffers.push_back({fb::BufferKind::Output, (uint32_t)i,
                         byteSize(cast<RankedTensorType>(v.getType()))});
      dst = buffers.size() - 1;
      auto copy = fb::CreateCopy(fbb, src, 0, dst, 0, buffers[dst].size);
      commandTypes.push_back(fb::Command::Copy);
      commands.push_back(copy.Union());
    }
    claimed.insert(dst);
    auto type = cast<RankedTensorType>(v.getType());
    fb::DType dt;
    if (!dtypeOf(type.getElementType(), dt)) {
      error = "output " + std::to_string(i) + " has an unsupported element type";
      return false;
    }
    auto name = main.getResultAttrOfType<StringAttr>(i, "nuri.name");
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    for (int64_t &d : shape)
      if (ShapedType::isDynamic(d))
        d = -1; // symbolic: dim_exprs gives it
    // Strings are i8[..., W] in the IR: the last dimension is the bytes.
    auto stringBytes = main.getResultAttrOfType<IntegerAttr>(i, "nuri.string_bytes");
    if (stringBytes) {
      dt = fb::DType::STRING;
      if (!shape.empty())
        shape.pop_back();
    }
    int32_t dimsBuffer = -1;
    if (auto runtime = main.getResultAttrOfType<DenseI64ArrayAttr>(i, "nuri.runtime_shape")) {
      auto dimsIndex = main.getResultAttrOfType<IntegerAttr>(i, "nuri.dims_result");
      auto dims = dimsIndex ? bufferOf.find(ret.getOperand(dimsIndex.getInt())) : bufferOf.end();
      if (dims == bufferOf.end()) {
        error = "output " + std::to_string(i) + " has no dimension buffer";
        return false;
      }
      shape.assign(runtime.asArrayRef().begin(), runtime.asArrayRef().end());
      dimsBuffer = dims->second;
      claimed.insert(dims->second); // never handed out as an output buffer
    }
    DimExprs dimExprs;
    if (dimsBuffer < 0 && !type.hasStaticShape() &&
        failed(serializeDims(fbb, v, symbols, error, dimExprs)))
      return false;
    outputs.push_back(fb::CreateTensorSignature(
        fbb, fbb.CreateString(name ? name.str() : "output_" + std::to_string(i)), dt,
        fbb.CreateVector(shape), dst, dimsBuffer,
        stringBytes ? (uint32_t)stringBytes.getInt() : 0, dimExprs));
  }
  for (BlockArgument arg : main.getArguments()) {
    if (arg == symbols)
      continue;
    auto type = cast<RankedTensorType>(arg.getType());
    fb::DType dt;
    if (!dtypeOf(type.getElementType(), dt)) {
      error = "input " + std::to_string(arg.getArgNumber()) + " has an unsupported element type";
      return false;
    }
    auto name = main.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "nuri.name");
    std::vector<int64_t> shape(type.getShape().begin(), type.getShape().end());
    for (int64_t &d : shape)
      if (ShapedType::isDynamic(d))
        d = -1; // symbolic: dim_exprs gives it
    auto stringBytes = main.getArgAttrOfType<IntegerAttr>(arg.getArgNumber(), "nuri.string_bytes");
    if (stringBytes) {
      dt = fb::DType::STRING;
      shape.pop_back();
    }
    DimExprs dimExprs;
    if (!type.hasStaticShape() && failed(serializeDims(fbb, arg, symbols, error, dimExprs)))
      return false;
    inputs.push_back(fb::CreateTensorSignature(
        fbb, fbb.CreateString(name ? name.str() : "input_" + std::to_string(arg.getArgNumber())),
        dt, fbb.CreateVector(shape), bufferOf[arg], -1,
        stringBytes ? (uint32_t)stringBytes.getInt() : 0, dimExprs));
  }
  std::vector<flatbuffers::Offset<fb::Symbol>> symbolOffs;
  if (symbolAttrs)
    for (Attribute a : symbolAttrs) {
      auto d = cast<DictionaryAttr>(a);
      symbolOffs.push_back(fb::CreateSymbol(
          fbb, fbb.CreateString(d.getAs<StringAttr>("name").str()),
          d.getAs<IntegerAttr>("min").getInt(), d.getAs<IntegerAttr>("max").getInt(),
          (uint32_t)d.getAs<IntegerAttr>("input").getInt(),
          (uint32_t)d.getAs<IntegerAttr>("dim").getInt()));
    }

  std::vector<flatbuffers::Offset<fb::Buffer>> bufferOffs;
  for (auto &b : buffers)
    bufferOffs.push_back(fb::CreateBuffer(fbb, b.kind, b.index, b.size,
                                          b.sizeExpr ? serialize(fbb, *b.sizeExpr) : 0));
  auto program = fb::CreateHostProgram(fbb, fbb.CreateVector(bufferOffs),
                                       fbb.CreateVector(commandTypes), fbb.CreateVector(commands));
  std::vector<flatbuffers::Offset<fb::Executable>> exes;
  std::vector<flatbuffers::Offset<flatbuffers::String>> targets;
  for (const auto &exe : executables) {
    fbb.ForceVectorAlignment(exe.data.size(), 1, 64);
    auto data = fbb.CreateVector(reinterpret_cast<const uint8_t *>(exe.data.data()), exe.data.size());
    std::vector<flatbuffers::Offset<flatbuffers::String>> entries;
    for (const auto &e : exe.entryPoints)
      entries.push_back(fbb.CreateString(e));
    exes.push_back(fb::CreateExecutable(fbb, fbb.CreateString(exe.target),
                                        fbb.CreateString(exe.format), data,
                                        fbb.CreateVector(entries)));
  }
  for (const std::string &t : compiledFor)
    targets.push_back(fbb.CreateString(t));
  auto modelName = module->getAttrOfType<StringAttr>("nuri.model_name");
  auto model = fb::CreateModel(fbb, (uint32_t)fb::FormatVersion::Current,
                               fbb.CreateString("nuri-compile"),
                               fbb.CreateString(modelName ? modelName.str() : ""),
                               fbb.CreateVector(targets), fbb.CreateVector(exes),
                               fbb.CreateVector(constants), fbb.CreateVector(inputs),
                               fbb.CreateVector(outputs), program,
                               symbolOffs.empty() ? 0 : fbb.CreateVector(symbolOffs));
  fb::FinishModelBuffer(fbb, model);
  bytes.assign(reinterpret_cast<const char *>(fbb.GetBufferPointer()), fbb.GetSize());
  return true;
}

} // namespace nuri
