//===- Serialize.cpp - npu.kernel ops to the instruction stream -----------===//
#include "targets/npu/NPUTarget.h"
#include "dialects/npu/IR/NpuDialect.h"
#include "targets/npu/description/TargetTable.h"

#include "nuri/schemas/npu_isa_generated.h"

using namespace mlir;
namespace fbisa = nuri::npu::isa;

namespace nuri::npu_target {
namespace {

fbisa::DType dtype(StringRef name) {
  return llvm::StringSwitch<fbisa::DType>(name)
      .Case("bf16", fbisa::DType::BF16)
      .Case("i8", fbisa::DType::I8)
      .Case("i32", fbisa::DType::I32)
      .Default(fbisa::DType::F32);
}

fbisa::Descriptor descriptor(int64_t offset, ArrayRef<int64_t> sizes, ArrayRef<int64_t> strides) {
  std::array<uint32_t, 4> s;
  std::array<int64_t, 4> st;
  for (int d = 0; d < 4; ++d) {
    s[d] = sizes[d];
    st[d] = strides[d];
  }
  return fbisa::Descriptor(offset, s, st);
}

std::optional<fbisa::SramStrides> sramStrides(std::optional<ArrayRef<int64_t>> strides) {
  if (!strides)
    return std::nullopt;
  std::array<uint32_t, 4> st;
  for (int d = 0; d < 4; ++d)
    st[d] = (*strides)[d];
  return fbisa::SramStrides(st);
}

struct Writer {
  flatbuffers::FlatBufferBuilder &fbb;

  flatbuffers::Offset<fbisa::Instruction> sync(Operation *op, fbisa::Op kind,
                                             flatbuffers::Offset<void> body) {
    auto waits = op->getAttrOfType<DenseI64ArrayAttr>("waits").asArrayRef();
    std::vector<fbisa::Wait> w;
    for (size_t i = 0; i + 1 < waits.size(); i += 2)
      w.emplace_back(waits[i], waits[i + 1]);
    auto signal = op->getAttrOfType<IntegerAttr>("signal").getInt();
    return fbisa::CreateInstruction(fbb, kind, body, fbb.CreateVectorOfStructs(w), signal);
  }

  flatbuffers::Offset<fbisa::Instruction> instruction(Operation *op) {
    if (auto load = dyn_cast<mlir::npu::DmaLoadOp>(op)) {
      auto d = descriptor(load.getOffset(), load.getSizes(), load.getStrides());
      auto st = sramStrides(load.getSramStrides());
      std::optional<fbisa::Multicast> group;
      if (auto mc = load.getMulticast())
        group = fbisa::Multicast((*mc)[0], (*mc)[1], (*mc)[2]);
      return sync(op, fbisa::Op::DmaLoad,
                  fbisa::CreateDmaLoad(fbb, load.getBinding(), &d, dtype(load.getDramType()),
                                       load.getSram(), dtype(load.getSramType()),
                                       st ? &*st : nullptr, group ? &*group : nullptr)
                      .Union());
    }
    if (auto store = dyn_cast<mlir::npu::DmaStoreOp>(op)) {
      auto d = descriptor(store.getOffset(), store.getSizes(), store.getStrides());
      auto st = sramStrides(store.getSramStrides());
      return sync(op, fbisa::Op::DmaStore,
                  fbisa::CreateDmaStore(fbb, store.getBinding(), &d, dtype(store.getDramType()),
                                        store.getSram(), dtype(store.getSramType()),
                                        st ? &*st : nullptr)
                      .Union());
    }
    if (auto mm = dyn_cast<mlir::npu::MatMulOp>(op))
      return sync(op, fbisa::Op::MatMul,
                  fbisa::CreateMatMul(fbb, mm.getA(), mm.getB(), mm.getC(), mm.getM(), mm.getK(),
                                    mm.getN(), dtype(mm.getInType()), mm.getAccumulate(),
                                    mm.getAStride().value_or(0))
                      .Union());
    if (auto v = dyn_cast<mlir::npu::VectorOp>(op)) {
      auto names = mlir::npu::vectorOpNames();
      auto kind = (fbisa::VectorOp)(llvm::find(names, v.getOp()) - names.begin());
      auto broadcast = llvm::StringSwitch<fbisa::Broadcast>(v.getBroadcast())
                           .Case("row", fbisa::Broadcast::Row)
                           .Case("column", fbisa::Broadcast::Column)
                           .Case("scalar", fbisa::Broadcast::Scalar)
                           .Default(fbisa::Broadcast::Full);
      return sync(op, fbisa::Op::Vector,
                  fbisa::CreateVector(fbb, kind, dtype(v.getSrcType()), dtype(v.getDstType()),
                                    v.getDst(), v.getA(), v.getB(), v.getRows(), v.getCols(),
                                    broadcast, v.getImm().convertToFloat())
                      .Union());
    }
    auto r = cast<mlir::npu::ReduceOp>(op);
    return sync(op, fbisa::Op::Reduce,
                fbisa::CreateReduce(fbb, r.getOp() == "max" ? fbisa::ReduceOp::Max : fbisa::ReduceOp::Sum,
                                  dtype(r.getSrcType()), r.getDst(), r.getSrc(), r.getRows(),
                                  r.getCols())
                    .Union());
  }

  flatbuffers::Offset<fbisa::Kernel> kernel(mlir::npu::KernelOp kernel) {
    int64_t coreCount = 0;
    for (auto core : kernel.getBody().front().getOps<mlir::npu::CoreOp>())
      coreCount = std::max<int64_t>(coreCount, (int64_t)core.getId() + 1);
    // Per core, per queue, in program order.
    std::vector<std::array<std::vector<flatbuffers::Offset<fbisa::Instruction>>, 3>> queues(
        coreCount);
    for (auto core : kernel.getBody().front().getOps<mlir::npu::CoreOp>())
      for (Operation &op : core.getBody().front()) {
        unsigned q = isa<mlir::npu::DmaLoadOp, mlir::npu::DmaStoreOp>(op) ? 0
                     : isa<mlir::npu::MatMulOp>(op)                       ? 1
                                                                          : 2;
        queues[core.getId()][q].push_back(instruction(&op));
      }
    std::vector<flatbuffers::Offset<fbisa::Core>> cores;
    for (auto &core : queues) {
      std::vector<flatbuffers::Offset<fbisa::Queue>> qs;
      for (auto &q : core)
        qs.push_back(fbisa::CreateQueue(fbb, fbb.CreateVector(q)));
      cores.push_back(fbisa::CreateCore(fbb, fbb.CreateVector(qs)));
    }
    std::vector<flatbuffers::Offset<flatbuffers::String>> nodes;
    for (Attribute a : kernel.getNodes())
      nodes.push_back(fbb.CreateString(cast<StringAttr>(a).getValue().str()));
    return fbisa::CreateKernel(fbb, fbb.CreateString(kernel.getDispatch().str()),
                             kernel.getSemaphores(), fbb.CreateVector(cores), kernel.getMacs(),
                             kernel.getMinDramBytes(), fbb.CreateVector(nodes));
  }
};

} // namespace

std::string serializeProgram(ModuleOp module, const nuri::npu::TargetDescription &target,
                             std::vector<std::string> &kernelNames) {
  flatbuffers::FlatBufferBuilder fbb(1 << 16);
  Writer writer{fbb};
  std::vector<flatbuffers::Offset<fbisa::Kernel>> kernels;
  for (auto kernel : module.getOps<mlir::npu::KernelOp>()) {
    kernels.push_back(writer.kernel(kernel));
    kernelNames.push_back(kernel.getDispatch().str());
  }
  auto targetTable = nuri::npu::buildTarget(fbb, target);
  auto program = fbisa::CreateProgram(fbb, (uint32_t)fbisa::IsaVersion::Current, targetTable,
                                    fbb.CreateVector(kernels));
  fbisa::FinishProgramBuffer(fbb, program);
  return std::string(reinterpret_cast<const char *>(fbb.GetBufferPointer()), fbb.GetSize());
}

} // namespace nuri::npu_target
