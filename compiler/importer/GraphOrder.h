//===- GraphOrder.h - nodes in dependency order ---------------*- C++ -*-===//
#ifndef NURI_COMPILER_IMPORTER_GRAPHORDER_H
#define NURI_COMPILER_IMPORTER_GRAPHORDER_H

#include "mlir/Support/LLVM.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"

#include "onnx/onnx_pb.h"

#include <set>
#include <string>

namespace nuri {

/// The indices of `g`'s nodes in an order where every node follows the producers of
/// its inputs, including the names its subgraphs (If/Loop/Scan bodies) read
/// from the enclosing graph. ONNX requires sorted graphs but exporters and
/// graph editors do not always write them, and ONNX Runtime sorts them, so
/// Nuri does too. A graph that is already sorted keeps its order. Fails on a
/// cycle, with `error` naming the nodes on it.
mlir::FailureOr<llvm::SmallVector<int>> sortNodes(const onnx::GraphProto &g, std::string &error);

/// Every name `node` reads: its inputs and, recursively, whatever its
/// subgraphs read.
void namesRead(const onnx::NodeProto &node, std::set<std::string> &out);

/// Splits `nodes` (indices into `g`, in dependency order) into those that
/// read any of `names`, directly or through an earlier dependent node, and the
/// others; both keep their order.
void splitByDependence(const onnx::GraphProto &g, llvm::ArrayRef<int> nodes,
                       std::set<std::string> names, llvm::SmallVectorImpl<int> &dependent,
                       llvm::SmallVectorImpl<int> &independent);

} // namespace nuri

#endif
