//===- SizeExpr.cpp - index arithmetic on the symbols to SizeExpr ---------===//
//
// Buffer sizes and output dimensions of symbolic shape are computed in
// @main as index arithmetic on the symbols table (nuri-form-dispatches).
// The runtime has no compiler: those computations travel as small postfix
// programs it evaluates at each call, with every step checked.
//
//===----------------------------------------------------------------------===//
#include "compiler/serialize/SizeExpr.h"

#include "nuri/schemas/artifact_generated.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

using namespace mlir;
namespace fb = ::nuri::artifact;

namespace nuri {
namespace {

void push(SizeProgram &p, fb::SizeOp op, int64_t arg = 0) {
  p.ops.push_back((uint8_t)op);
  p.args.push_back(arg);
}

bool appendAffine(AffineExpr e, ValueRange dims, ValueRange syms, Value symbols,
                  SizeProgram &p, std::string &error) {
  if (auto c = dyn_cast<AffineConstantExpr>(e)) {
    push(p, fb::SizeOp::Const, c.getValue());
    return true;
  }
  if (auto d = dyn_cast<AffineDimExpr>(e))
    return appendSizeProgram(dims[d.getPosition()], symbols, p, error);
  if (auto s = dyn_cast<AffineSymbolExpr>(e))
    return appendSizeProgram(syms[s.getPosition()], symbols, p, error);
  auto bin = cast<AffineBinaryOpExpr>(e);
  if (!appendAffine(bin.getLHS(), dims, syms, symbols, p, error) ||
      !appendAffine(bin.getRHS(), dims, syms, symbols, p, error))
    return false;
  switch (e.getKind()) {
  case AffineExprKind::Add: push(p, fb::SizeOp::Add); break;
  case AffineExprKind::Mul: push(p, fb::SizeOp::Mul); break;
  case AffineExprKind::FloorDiv: push(p, fb::SizeOp::FloorDivS); break;
  case AffineExprKind::CeilDiv: push(p, fb::SizeOp::CeilDivS); break;
  case AffineExprKind::Mod: push(p, fb::SizeOp::RemS); break;
  default:
    error = "unsupported affine size expression";
    return false;
  }
  return true;
}

} // namespace

bool appendSizeProgram(Value v, Value symbols, SizeProgram &p, std::string &error) {
  if (auto c = getConstantIntValue(v)) {
    push(p, fb::SizeOp::Const, *c);
    return true;
  }
  Operation *def = v.getDefiningOp();
  if (!def) {
    error = "a symbolic size is a block argument";
    return false;
  }
  if (auto cast = dyn_cast<arith::IndexCastOp>(def)) {
    auto extract = cast.getIn().getDefiningOp<tensor::ExtractOp>();
    if (extract && extract.getTensor() == symbols && extract.getIndices().size() == 1)
      if (auto k = getConstantIntValue(extract.getIndices()[0])) {
        push(p, fb::SizeOp::Symbol, *k);
        return true;
      }
    return appendSizeProgram(cast.getIn(), symbols, p, error);
  }
  if (auto apply = dyn_cast<affine::AffineApplyOp>(def)) {
    AffineMap map = apply.getAffineMap();
    return appendAffine(map.getResult(0), apply.getDimOperands(), apply.getSymbolOperands(),
                        symbols, p, error);
  }
  if (isa<affine::AffineMaxOp, affine::AffineMinOp>(def)) {
    AffineMap map = isa<affine::AffineMaxOp>(def) ? cast<affine::AffineMaxOp>(def).getMap()
                                                   : cast<affine::AffineMinOp>(def).getMap();
    unsigned nd = map.getNumDims();
    ValueRange operands = def->getOperands();
    for (unsigned i = 0; i < map.getNumResults(); ++i) {
      if (!appendAffine(map.getResult(i), operands.take_front(nd), operands.drop_front(nd),
                        symbols, p, error))
        return false;
      if (i > 0)
        push(p, isa<affine::AffineMaxOp>(def) ? fb::SizeOp::MaxS : fb::SizeOp::MinS);
    }
    return true;
  }
  std::optional<fb::SizeOp> op;
  if (isa<arith::AddIOp>(def)) op = fb::SizeOp::Add;
  else if (isa<arith::SubIOp>(def)) op = fb::SizeOp::Sub;
  else if (isa<arith::MulIOp>(def)) op = fb::SizeOp::Mul;
  else if (isa<arith::DivSIOp, arith::DivUIOp>(def)) op = fb::SizeOp::DivS;
  else if (isa<arith::CeilDivSIOp, arith::CeilDivUIOp>(def)) op = fb::SizeOp::CeilDivS;
  else if (isa<arith::FloorDivSIOp>(def)) op = fb::SizeOp::FloorDivS;
  else if (isa<arith::RemSIOp, arith::RemUIOp>(def)) op = fb::SizeOp::RemS;
  else if (isa<arith::MaxSIOp, arith::MaxUIOp>(def)) op = fb::SizeOp::MaxS;
  else if (isa<arith::MinSIOp, arith::MinUIOp>(def)) op = fb::SizeOp::MinS;
  if (!op) {
    error = "a symbolic size is computed by '" + def->getName().getStringRef().str() +
            "', which the runtime cannot evaluate (it depends on data?)";
    return false;
  }
  if (!appendSizeProgram(def->getOperand(0), symbols, p, error) ||
      !appendSizeProgram(def->getOperand(1), symbols, p, error))
    return false;
  push(p, *op);
  return true;
}

bool productProgram(int64_t factor, ArrayRef<Value> sizes, Value symbols, SizeProgram &p,
                    std::string &error) {
  push(p, fb::SizeOp::Const, factor);
  for (Value s : sizes) {
    if (!appendSizeProgram(s, symbols, p, error))
      return false;
    push(p, fb::SizeOp::Mul);
  }
  return true;
}

} // namespace nuri
