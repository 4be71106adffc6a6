// Evaluation of SizeExpr programs, every step checked: the programs come
// from a file, and the symbols from the caller's input shapes.
#include "module/symbols.h"

namespace nuri {

using artifact::SizeOp;

std::string checkSizeExpr(const artifact::SizeExpr *expr, size_t symbolCount) {
  if (!expr || !expr->ops() || !expr->args())
    return "empty size program";
  if (expr->ops()->size() != expr->args()->size())
    return "size program has " + std::to_string(expr->ops()->size()) + " ops but " +
           std::to_string(expr->args()->size()) + " args";
  if (expr->ops()->size() > 4096)
    return "size program is too long";
  size_t depth = 0;
  for (uint32_t i = 0; i < expr->ops()->size(); ++i) {
    auto op = static_cast<SizeOp>(expr->ops()->Get(i));
    int64_t arg = expr->args()->Get(i);
    switch (op) {
    case SizeOp::Const:
      ++depth;
      break;
    case SizeOp::Symbol:
      if (arg < 0 || static_cast<uint64_t>(arg) >= symbolCount)
        return "size program reads symbol " + std::to_string(arg) + " of " +
               std::to_string(symbolCount);
      ++depth;
      break;
    default:
      if (op > SizeOp::MAX)
        return "size program has unknown op " + std::to_string(static_cast<int>(op));
      if (depth < 2)
        return "size program pops an empty stack";
      --depth;
      break;
    }
  }
  if (depth != 1)
    return "size program leaves " + std::to_string(depth) + " values";
  return {};
}

bool evalSizeExpr(const artifact::SizeExpr *expr, const std::vector<int64_t> &symbols,
                  int64_t &out, std::string &why) {
  std::vector<int64_t> stack;
  for (uint32_t i = 0; i < expr->ops()->size(); ++i) {
    auto op = static_cast<SizeOp>(expr->ops()->Get(i));
    int64_t arg = expr->args()->Get(i);
    if (op == SizeOp::Const) {
      stack.push_back(arg);
      continue;
    }
    if (op == SizeOp::Symbol) {
      stack.push_back(symbols[arg]);
      continue;
    }
    int64_t b = stack.back();
    stack.pop_back();
    int64_t a = stack.back(), r = 0;
    bool overflow = false;
    switch (op) {
    case SizeOp::Add: overflow = __builtin_add_overflow(a, b, &r); break;
    case SizeOp::Sub: overflow = __builtin_sub_overflow(a, b, &r); break;
    case SizeOp::Mul: overflow = __builtin_mul_overflow(a, b, &r); break;
    case SizeOp::MaxS: r = a > b ? a : b; break;
    case SizeOp::MinS: r = a < b ? a : b; break;
    default: {
      if (b == 0 || (a == INT64_MIN && b == -1)) {
        why = "a size divides by zero";
        return false;
      }
      int64_t q = a / b, m = a % b;
      if (op == SizeOp::DivS)
        r = q;
      else if (op == SizeOp::RemS)
        r = m;
      else if (op == SizeOp::FloorDivS)
        r = (m != 0 && ((m < 0) != (b < 0))) ? q - 1 : q;
      else
        r = (m != 0 && ((m < 0) == (b < 0))) ? q + 1 : q;
      break;
    }
    }
    if (overflow) {
      why = "a size overflows";
      return false;
    }
    stack.back() = r;
  }
  out = stack.back();
  if (out < 0) {
    why = "a size is negative (" + std::to_string(out) + ")";
    return false;
  }
  return true;
}

} // namespace nuri
