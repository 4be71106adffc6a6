//===- Report.cpp - nuri-compile --report ---------------------------------===//
#include "compiler/pipeline/Report.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

using namespace mlir;

namespace nuri {
namespace {

/// Multiply-accumulates of a dispatch: the iteration space of each linalg op
/// that reduces (matmuls, convolutions, pools count one per window element).
int64_t macsOf(func::FuncOp func) {
  int64_t macs = 0;
  func.walk([&](linalg::LinalgOp op) {
    if (op.getNumReductionLoops() == 0)
      return;
    int64_t n = 1;
    for (int64_t r : op.getStaticLoopRanges())
      n *= ShapedType::isDynamic(r) ? 1 : r;
    macs += n;
  });
  return macs;
}

std::string humanCount(int64_t v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (v >= 1000000000)
    os << llvm::format("%.2fG", v / 1e9);
  else if (v >= 1000000)
    os << llvm::format("%.2fM", v / 1e6);
  else if (v >= 1000)
    os << llvm::format("%.1fk", v / 1e3);
  else
    os << v;
  return s;
}

} // namespace

std::string partitionReport(ModuleOp module, const std::string &inputPath,
                            const std::vector<const TargetBackend *> &targets,
                            const std::vector<ExecutableBlob> &built,
                            const TargetOptions &options) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "partition report: " << inputPath << ", targets";
  for (size_t i = 0; i < targets.size(); ++i)
    os << (i ? "," : " ") << targets[i]->name();
  os << "\n";
  for (const TargetBackend *t : targets)
    if (std::string d = t->describe(options); !d.empty())
      os << "  " << d << "\n";

  auto main = module.lookupSymbol<func::FuncOp>("main");
  struct Totals {
    int64_t dispatches = 0, nodes = 0, macs = 0;
  };
  std::map<std::string, Totals> totals;
  int64_t allMacs = 0;
  os << llvm::format("%-14s %-6s %10s  %s\n", "dispatch", "device", "MACs", "ONNX nodes [why not earlier targets]");
  if (main)
    main.walk([&](func::CallOp call) {
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      if (!callee)
        return;
      std::string name = call.getCallee().str(), device = "none", why;
      for (size_t i = 0; i < targets.size() && device == "none"; ++i) {
        const ExecutableBlob &blob = built[i];
        if (llvm::is_contained(blob.dispatchNames, name)) {
          device = targets[i]->name().str();
          break;
        }
        for (const auto &[dispatch, reason] : blob.notCompiled)
          if (dispatch == name)
            why += (why.empty() ? "" : "; ") + targets[i]->name().str() + ": " + reason;
      }
      std::string nodes;
      int64_t nodeCount = 0;
      if (auto names = callee->getAttrOfType<ArrayAttr>("nuri.nodes"))
        for (auto n : names.getAsValueRange<StringAttr>()) {
          nodes += (nodes.empty() ? "" : ", ") + n.str();
          ++nodeCount;
        }
      int64_t macs = macsOf(callee);
      Totals &t = totals[device];
      t.dispatches += 1;
      t.nodes += nodeCount;
      t.macs += macs;
      allMacs += macs;
      os << llvm::format("%-14s %-6s %10s  ", name.c_str(), device.c_str(),
                         humanCount(macs).c_str())
         << nodes << (why.empty() ? "" : "  [" + why + "]") << "\n";
    });
  os << "summary:";
  for (const TargetBackend *t : targets) {
    Totals &s = totals[t->name().str()];
    os << llvm::format("  %s %lld dispatches, %lld ops, %s MACs (%.1f%%)", t->name().str().c_str(),
                       (long long)s.dispatches, (long long)s.nodes, humanCount(s.macs).c_str(),
                       allMacs ? 100.0 * s.macs / allMacs : 0.0);
  }
  os << "\n";
  return text;
}

} // namespace nuri
