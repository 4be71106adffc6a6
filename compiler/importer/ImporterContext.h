//===- ImporterContext.h - state shared by the op converters ----*- C++ -*-===//
#ifndef NURI_COMPILER_IMPORTER_IMPORTERCONTEXT_H
#define NURI_COMPILER_IMPORTER_IMPORTERCONTEXT_H

#include "dialects/nuri/IR/NuriDialect.h"
#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseSet.h"

#include "onnx/onnx_pb.h"

#include <functional>
#include <map>
#include <set>
#include <string>

namespace nuri {

class GraphWalker;

/// A tensor whose shape is known only at run time (it depends on input data,
/// e.g. a Reshape whose shape is a graph input). Its value holds the elements
/// compactly, row-major, at the start of a 1-D upper bound; `dims` (int64[rank])
/// is computed with it; `shape` has the dimensions known at compile time and
/// -1 for the others. Only graph outputs and elementwise ops with scalar other
/// operands may take such tensors today.
struct RuntimeShape {
  mlir::Value dims;
  llvm::SmallVector<int64_t> shape;
  /// Dims sizing the buffer when it is allocated at run time and may hold
  /// more than `dims` (a run-time Loop's scan output holds max_trip
  /// elements); null when `dims` size it exactly.
  mlir::Value capacity;
};
using RuntimeShapeMap = llvm::DenseMap<mlir::Value, RuntimeShape>;

/// One element of a symbolic shape value (ConvertSymbolic.cpp): a constant,
/// or an `index` computed from symbolic input dimensions.
struct SymDim {
  int64_t value = 0;
  mlir::Value dim; ///< null: the element is `value`
};
/// Small integer tensors computed from symbolic dimensions -> their elements.
using SymbolicMap = llvm::DenseMap<mlir::Value, llvm::SmallVector<SymDim>>;

/// An If on a run-time condition whose branches give an output different
/// static shapes, left to the graph walk (GraphVersions.cpp): the nodes that
/// depend on it are imported once per branch, so they stay static, and the
/// graph outputs are selected at the end.
struct BranchFork {
  mlir::Value cond; ///< tensor<i1>; null while no fork is asked for
  llvm::SmallVector<mlir::Value> thenOuts, elseOuts;
};

/// One node being converted: its builder, operands and attributes.
class NodeContext {
public:
  NodeContext(mlir::OpBuilder &b, mlir::Location location,
              const onnx::NodeProto &node, int64_t opset,
              std::map<std::string, mlir::Value> &values, std::string &error)
      : b(b), node(node), opset(opset), location(location), values(values),
        error(error) {}

  mlir::OpBuilder &b;
  const onnx::NodeProto &node;
  int64_t opset;
  /// The graph walk, for converters that import subgraphs or function bodies.
  GraphWalker *walker = nullptr;
  /// The names visible to this node (outer scopes included).
  std::map<std::string, mlir::Value> &scope() { return values; }

  mlir::Location loc() const { return location; }

  /// Input i, or a null Value when absent (empty name or out of range).
  mlir::Value input(int i) const;
  int numInputs() const { return node.input_size(); }
  /// True when output i exists and is consumed (named).
  bool outputUsed(int i) const {
    return i < node.output_size() && !node.output(i).empty();
  }
  void setOutput(int i, mlir::Value v);
  /// Output i is a data-dependent-shape tensor (see RuntimeShape).
  void setRuntimeShapedOutput(int i, mlir::Value data, mlir::Value dims,
                              llvm::ArrayRef<int64_t> shape);
  /// Shared by every node of one import; null in contexts without one.
  RuntimeShapeMap *runtimeShapes = nullptr;
  /// Where the walk can import the rest of the graph once per branch of an
  /// If (see BranchFork); null where it cannot.
  BranchFork *fork = nullptr;
  /// Shape values computed from symbolic dimensions; null where none exist.
  SymbolicMap *symbolic = nullptr;
  /// String tensors (i8[..., W]: NUL-padded UTF-8, see ConvertString.cpp).
  llvm::DenseSet<mlir::Value> *strings = nullptr;
  bool isString(mlir::Value v) const { return strings && strings->contains(v); }
  void markString(mlir::Value v) {
    if (strings)
      strings->insert(v);
  }
  void setStringOutput(int i, mlir::Value v) {
    setOutput(i, v);
    markString(v);
  }

  /// The constant value of input i, if it is (or folded into) a constant.
  mlir::DenseElementsAttr constantInput(int i) const;
  /// Integer values of constant input i; failure if not constant.
  mlir::FailureOr<llvm::SmallVector<int64_t>> intsInput(int i);

  const onnx::AttributeProto *attr(const std::string &name) const;
  int64_t attrInt(const std::string &name, int64_t dflt) const;
  float attrFloat(const std::string &name, float dflt) const;
  std::string attrString(const std::string &name, const std::string &dflt) const;
  llvm::SmallVector<int64_t> attrInts(const std::string &name,
                                      llvm::ArrayRef<int64_t> dflt = {}) const;
  bool hasAttr(const std::string &name) const { return attr(name) != nullptr; }

  /// Records a one-line error naming the node, its op type and the opset.
  mlir::LogicalResult fail(const llvm::Twine &msg);

  /// Builds op T, folding it to a constant when its operands are constant.
  template <typename T, typename... Args> mlir::Value make(Args &&...args) {
    return b.createOrFold<T>(loc(), std::forward<Args>(args)...);
  }
  mlir::Value constant(mlir::DenseElementsAttr value);
  mlir::Value scalar(mlir::Type elementType, double value);
  mlir::Value scalar(mlir::Type elementType, const llvm::APInt &value);
  /// Fails naming the first of inputs 0..count-1 that is absent.
  mlir::LogicalResult requireInputs(int count);
  mlir::Value reshape(mlir::Value v, llvm::ArrayRef<int64_t> shape);

private:
  mlir::Location location;
  std::map<std::string, mlir::Value> &values;
  std::string &error;
};

/// Domain ("" for ONNX) -> opset version.
using OpsetMap = std::map<std::string, int64_t>;

/// The graph walk (Importer.cpp), for converters that import nested graphs.
/// Nested errors name the enclosing node, then the nested one.
class GraphWalker {
public:
  virtual ~GraphWalker() = default;
  /// Converts `nodes` in order inside `parent`, reading and binding names in
  /// `scope`; they bind against `opsets`.
  virtual mlir::LogicalResult importNodes(NodeContext &parent,
                                          llvm::ArrayRef<const onnx::NodeProto *> nodes,
                                          std::map<std::string, mlir::Value> &scope,
                                          const OpsetMap &opsets) = 0;
  /// Imports subgraph `g` of parent's node: it sees the parent's scope, its
  /// formal inputs bound to `inputs`; returns its outputs.
  virtual mlir::FailureOr<llvm::SmallVector<mlir::Value>>
  importSubgraph(NodeContext &parent, const onnx::GraphProto &g,
                 llvm::ArrayRef<mlir::Value> inputs) = 0;
  /// The opsets the node being converted binds against.
  virtual const OpsetMap &opsets() const = 0;
  /// A model-local function (ModelProto.functions), or null.
  virtual const onnx::FunctionProto *localFunction(const std::string &domain,
                                                   const std::string &name) const = 0;
};

/// Expands c's node into its function body (model-local, else ONNX's schema
/// registry). Sets `found` false, without error, when the op has none.
mlir::LogicalResult expandFunction(NodeContext &c, bool &found);

using Converter = std::function<mlir::LogicalResult(NodeContext &)>;
using ConverterMap = std::map<std::string, Converter>;

/// ONNX op type -> converter (default domain). Defined in OpConverters.cpp.
const ConverterMap &onnxConverters();
// The per-family converter files add theirs to the table.
void registerShapeConverters(ConverterMap &table);
void registerIndexConverters(ConverterMap &table);
void registerNNConverters(ConverterMap &table);
void registerMathConverters(ConverterMap &table);
/// Last: wraps converters whose shape inputs may be run-time tensors.
void registerDynamicConverters(ConverterMap &table);
/// After it: shapes with no compile-time bound (nuri.generate).
void registerRuntimeSizedConverters(ConverterMap &table);
/// Wraps the static converter of `op`: `useRuntime` decides per node.
void wrap(ConverterMap &table, const std::string &op, std::function<bool(NodeContext &)> useRuntime,
          Converter runtime);
/// Split of x along `axis` into parts of run-time sizes (int64[n]): each
/// part's compact data and dims (see RuntimeShape). ConvertDynamic.cpp.
llvm::SmallVector<std::pair<mlir::Value, mlir::Value>>
splitParts(NodeContext &c, mlir::Value x, mlir::Value sizes, int64_t axis);
/// Ops that take bounded tensors of run-time shape (static 1-D buffers, see
/// RuntimeShape) through index arithmetic: ConvertBounded.cpp.
bool takesBoundedInputs(const std::string &op);
/// The elementwise ONNX ops (numpy broadcasting).
const std::set<std::string> &elementwiseOps();
mlir::LogicalResult convertBounded(NodeContext &c);
void registerSequenceConverters(ConverterMap &table);
/// A graph input frozen by --input-value: a constant of its declared type
/// (ImportOptions.cpp); failure with `error` set on a mismatch.
mlir::FailureOr<mlir::DenseElementsAttr> frozenInput(mlir::RankedTensorType type,
                                                     const std::vector<double> &values,
                                                     const std::string &name, std::string &error);
/// Outermost: shape arithmetic on symbolic dimensions (ConvertSymbolic.cpp).
void registerSymbolicConverters(ConverterMap &table);
/// Ops whose converters take tensors with symbolic (`?`) dimensions.
bool takesSymbolicInputs(const std::string &op);
/// A sequence of known elements (ConvertSequence.cpp): a tuple-typed value.
mlir::Value makeSequenceValue(mlir::OpBuilder &b, mlir::Location loc, mlir::ValueRange elements);
/// The elements of a sequence value, or failure if `v` is not one.
mlir::FailureOr<llvm::SmallVector<mlir::Value>> sequenceElements(mlir::Value v);
void registerStringConverters(ConverterMap &table);
/// Input i is present and not a compile-time constant (from opset minOpset).
std::function<bool(NodeContext &)> runtimeInput(int i, int minOpset = 0);
void registerControlFlowConverters(ConverterMap &table);
/// Output k of c's node is `cond ? a[k] : b[k]` (ConvertControlFlow.cpp):
/// nuri.where, element by element for sequences, a tensor of run-time shape
/// where the shapes differ.
mlir::LogicalResult selectValues(NodeContext &c, mlir::Value cond, llvm::ArrayRef<mlir::Value> a,
                                 llvm::ArrayRef<mlir::Value> b);
void registerRNNConverters(ConverterMap &table);
void registerOpset18Converters(ConverterMap &table);
void registerQuantConverters(ConverterMap &table);
void registerMiscConverters(ConverterMap &table);

inline mlir::RankedTensorType typeOf(mlir::Value v) {
  return mlir::cast<mlir::RankedTensorType>(v.getType());
}
inline int64_t normAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }
/// Fails naming the node when axis (already normalized) is outside [0, rank).
mlir::LogicalResult checkAxis(NodeContext &c, int64_t axis, int64_t rank);
/// Explicit [begin..., end...] pads of a conv/pool window from auto_pad or
/// the pads attribute; fails naming the node on bad attributes.
mlir::FailureOr<llvm::SmallVector<int64_t>> windowPads(NodeContext &c, llvm::ArrayRef<int64_t> in,
                                                       llvm::ArrayRef<int64_t> kernel,
                                                       llvm::ArrayRef<int64_t> strides,
                                                       llvm::ArrayRef<int64_t> dilations);
/// The int64 constant [0, 1, ..., n-1] (index arithmetic on run-time shapes).
mlir::Value iotaConstant(NodeContext &c, int64_t n);
/// A 1-D i64 constant attribute.
mlir::DenseElementsAttr i64Tensor(mlir::MLIRContext *ctx, llvm::ArrayRef<int64_t> values);

/// Range of constant scalars as a constant, or null when it is not one
/// (ConvertShape.cpp).
mlir::DenseElementsAttr rangeConstant(NodeContext &c);

/// ConstantOfShape's one-element `value` attribute (default f32 0).
mlir::FailureOr<mlir::DenseElementsAttr> constantOfShapeValue(NodeContext &c);

/// TensorProto -> DenseElementsAttr (raw or typed fields). `externalData`
/// holds the bytes already read for tensors stored outside the model.
mlir::FailureOr<mlir::DenseElementsAttr>
tensorToAttr(mlir::MLIRContext &ctx, const onnx::TensorProto &t,
             const std::string *externalData, std::string &error);

/// ONNX TensorProto.DataType -> MLIR element type (null if unsupported).
mlir::Type onnxElementType(mlir::MLIRContext &ctx, int dataType);

} // namespace nuri

#endif
