#ifndef NURI_DIALECT_TD
#define NURI_DIALECT_TD

include "mlir/IR/OpBase.td"

def Nuri_Dialect : Dialect {
  let name = "nuri";
  let cppNamespace = "::mlir::nuri";
  let summary = "Nuri's common, hardware-neutral tensor dialect";
  let description = [{
    Tensor-level operations imported from ONNX. Shapes are static after
    specialization; every op infers its result type itself (no dependence on
    libonnx's shape inference). Each op has a decomposition for targets that
    lack it natively: for linalg-based targets that is `nuri-to-linalg`.
  }];
  let hasConstantMaterializer = 1;
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

class Nuri_Op<string mnemonic, list<Trait> traits = []>
    : Op<Nuri_Dialect, mnemonic, traits>;

#endif
