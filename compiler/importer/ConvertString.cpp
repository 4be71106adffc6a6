//===- ConvertString.cpp - ONNX string tensors: StringNormalizer ---------===//
//
// A string tensor of shape S is imported as i8[S..., W]: each element UTF-8,
// NUL-padded to W bytes (--string-bytes, the artifact's string_bytes). Bytes
// are then ordinary data: StringNormalizer's case change maps ASCII letters
// elementwise, stopwords are compared as padded rows, and the kept strings
// are compacted by nuri.compress into a run-time shape. Only
// StringNormalizer and Identity take strings (see GraphImporter::importNode).
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

using namespace mlir;
using namespace mlir::nuri;

namespace nuri {
namespace {

Value bytes(NodeContext &c, ArrayRef<int64_t> shape, ArrayRef<int8_t> values) {
  auto type = RankedTensorType::get(shape, c.b.getI8Type());
  return c.constant(DenseElementsAttr::get(type, values));
}

/// ASCII letters between `from` and `from` + 25 shifted by `delta`; other
/// bytes (UTF-8 sequences included) unchanged, as ONNX Runtime's en_US does
/// for ASCII.
Value shiftLetters(NodeContext &c, Value x, char from, int delta) {
  Type i8 = c.b.getI8Type();
  Value inRange = c.make<AndOp>(c.make<GreaterEqualOp>(x, c.scalar(i8, from)),
                                c.make<LessEqualOp>(x, c.scalar(i8, from + 25)));
  return c.make<WhereOp>(inRange, c.make<AddOp>(x, c.scalar(i8, delta)), x);
}
Value lower(NodeContext &c, Value x) { return shiftLetters(c, x, 'A', 32); }
Value upper(NodeContext &c, Value x) { return shiftLetters(c, x, 'a', -32); }

LogicalResult stringNormalizer(NodeContext &c) {
  Value x = c.input(0);
  if (!c.isString(x))
    return c.fail("input must be a string tensor");
  auto xt = typeOf(x);
  SmallVector<int64_t> shape(xt.getShape().drop_back());
  int64_t width = xt.getShape().back();
  if (!(shape.size() == 1 || (shape.size() == 2 && shape[0] == 1)))
    return c.fail("input must be [C] or [1, C] strings");
  int64_t n = shape.back();
  std::string action = c.attrString("case_change_action", "NONE");
  if (action != "NONE" && action != "LOWER" && action != "UPPER")
    return c.fail("unknown case_change_action '" + action + "' (NONE, LOWER, UPPER)");
  bool caseSensitive = c.attrInt("is_case_sensitive", 0);
  Value rows = c.reshape(x, {n, width});
  Value result = action == "LOWER" ? lower(c, rows) : action == "UPPER" ? upper(c, rows) : rows;
  const onnx::AttributeProto *words = c.attr("stopwords");
  if (!words || words->strings_size() == 0) {
    SmallVector<int64_t> full(shape);
    full.push_back(width);
    c.setStringOutput(0, c.reshape(result, full));
    return success();
  }
  // A row matches a stopword when every padded byte is equal.
  Value key = caseSensitive ? rows : lower(c, rows);
  Value match;
  for (const std::string &word : words->strings()) {
    if ((int64_t)word.size() > width)
      continue; // longer than any input string: never matches
    SmallVector<int8_t> padded(width, 0);
    for (size_t i = 0; i < word.size(); ++i)
      padded[i] = (int8_t)word[i];
    Value w = bytes(c, {1, width}, padded);
    if (!caseSensitive)
      w = lower(c, w);
    Value same = c.make<CastOp>(c.make<EqualOp>(key, w), TypeAttr::get(c.b.getI64Type()));
    Value all = c.make<ReduceMinOp>(same, c.b.getDenseI64ArrayAttr({1}), c.b.getBoolAttr(false));
    Value hit = c.make<EqualOp>(all, c.scalar(c.b.getI64Type(), 1.0));
    match = match ? c.make<OrOp>(match, hit) : hit;
  }
  if (!match) { // every stopword is longer than the strings
    SmallVector<int64_t> full(shape);
    full.push_back(width);
    c.setStringOutput(0, c.reshape(result, full));
    return success();
  }
  auto kept = CompressOp::create(c.b, c.loc(), result, c.make<NotOp>(match), c.b.getI64IntegerAttr(0));
  // All removed: ONNX gives one empty string, so the count is at least 1 and
  // the (then unwritten) first row is zeroed.
  Type i64 = c.b.getI64Type();
  Value count = c.make<GatherOp>(kept.getDims(), c.reshape(c.constant(i64Tensor(c.b.getContext(), {0})), {}), 0);
  Value none = c.make<EqualOp>(count, c.scalar(i64, 0.0));
  Value data = c.make<WhereOp>(none, c.scalar(c.b.getI8Type(), 0.0), kept.getOutput());
  Value outCount = c.reshape(c.make<MaxOp>(count, c.scalar(i64, 1.0)), {1});
  Value dims = shape.size() == 1
                   ? outCount
                   : c.make<ConcatOp>(ValueRange{c.constant(i64Tensor(c.b.getContext(), {1})), outCount}, 0);
  SmallVector<int64_t> known(shape);
  known.back() = -1;
  c.setRuntimeShapedOutput(0, data, dims, known);
  c.markString(data);
  return success();
}

} // namespace

void registerStringConverters(ConverterMap &table) {
  table["StringNormalizer"] = stringNormalizer;
}

} // namespace nuri
