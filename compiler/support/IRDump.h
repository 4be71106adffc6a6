//===- IRDump.h - --dump-ir-after for any pass manager ----------*- C++ -*-===//
#ifndef NURI_COMPILER_SUPPORT_IRDUMP_H
#define NURI_COMPILER_SUPPORT_IRDUMP_H

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace nuri {

/// Prints the module after every run of the pass whose argument is `pass`
/// (or after every pass for "all"); nothing when `pass` is empty.
inline void enableIRDumpAfter(mlir::PassManager &pm, const std::string &pass) {
  if (pass.empty())
    return;
  // IR printing with module scope needs a single-threaded pass manager.
  pm.getContext()->disableMultithreading();
  pm.enableIRPrinting(
      [](mlir::Pass *, mlir::Operation *) { return false; },
      [pass](mlir::Pass *p, mlir::Operation *) {
        return pass == "all" || p->getArgument() == pass;
      },
      /*printModuleScope=*/true, /*printAfterOnlyOnChange=*/false);
}

} // namespace nuri

#endif
