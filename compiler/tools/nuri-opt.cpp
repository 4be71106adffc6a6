//===- nuri-opt.cpp - mlir-opt with the nuri dialects and passes ----------===//
#include "compiler/pipeline/Pipeline.h"

#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  nuri::registerCompilerDialects(registry);
  nuri::registerCompilerPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "Nuri optimizer driver\n", registry));
}
