//===- NpuDialect.h - the reference NPU's dialect ---------------*- C++ -*-===//
#ifndef NURI_DIALECTS_NPU_IR_NPUDIALECT_H
#define NURI_DIALECTS_NPU_IR_NPUDIALECT_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"

#include "dialects/npu/IR/NpuDialect.h.inc"

#define GET_OP_CLASSES
#include "dialects/npu/IR/NpuOps.h.inc"

namespace mlir::npu {
/// Bytes of one element of an npu element type name ("f32", "bf16", "i8",
/// "i32"); 0 for anything else.
unsigned typeBytes(llvm::StringRef type);
/// Whether a vector op name reads operand b.
bool isBinaryVectorOp(llvm::StringRef op);
/// The vector op names, in isa::VectorOp order.
llvm::ArrayRef<llvm::StringRef> vectorOpNames();
} // namespace mlir::npu

#endif
