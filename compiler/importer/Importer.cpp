//===- Importer.cpp - ONNX ModelProto to the nuri dialect -----------------===//
//
// Reads the protobuf, resolves external data inside the model's folder,
// turns initializers into constants and graph inputs into the arguments of
// @main, then converts node by node. Every op gets a location naming its
// ONNX node so diagnostics downstream can name it too.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/Importer.h"
#include "compiler/importer/GraphOrder.h"
#include "compiler/importer/GraphVersions.h"
#include "compiler/importer/ImporterContext.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/StringExtras.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace mlir;
namespace fs = std::filesystem;

namespace nuri {

namespace {

/// Copies of a node the walk may make for Ifs on run-time conditions whose
/// branches differ in shape (GraphVersions.cpp): three such Ifs in a row.
constexpr int kMaxVersions = 8;

/// Reads an external-data tensor's bytes. The location must be a relative
/// path that stays inside the model's folder: a model file must not be able
/// to make the compiler read arbitrary files.
LogicalResult readExternal(const onnx::TensorProto &t, const fs::path &modelDir,
                           std::string &out, std::string &error) {
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto &kv : t.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset")
      offset = std::atoll(kv.value().c_str());
    else if (kv.key() == "length")
      length = std::atoll(kv.value().c_str());
  }
  std::string what = "tensor '" + t.name() + "': external data '" + location + "'";
  if (location.empty()) {
    error = what + " has no location";
    return failure();
  }
  fs::path rel(location);
  if (rel.is_absolute() || location.find("..") != std::string::npos) {
    error = what + " leaves the model's folder (absolute paths and '..' are rejected)";
    return failure();
  }
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(modelDir, ec);
  fs::path full = fs::weakly_canonical(modelDir / rel, ec);
  auto [end, _] = std::mismatch(dir.begin(), dir.end(), full.begin(), full.end());
  if (ec || end != dir.end()) {
    error = what + " leaves the model's folder";
    return failure();
  }
  std::ifstream in(full, std::ios::binary);
  if (!in) {
    error = what + ": cannot open " + full.string();
    return failure();
  }
  in.seekg(0, std::ios::end);
  int64_t size = in.tellg();
  if (offset < 0 || offset > size || (length >= 0 && offset + length > size)) {
    error = what + ": offset/length outside the file";
    return failure();
  }
  if (length < 0)
    length = size - offset;
  out.resize(length);
  in.seekg(offset);
  in.read(out.data(), length);
  return success();
}

/// Inputs every form of an op needs; converters may check optional ones.
int requiredInputs(const std::string &op, int64_t opset) {
  static const std::map<std::string, int> table = {
      {"Constant", 0}, {"Add", 2}, {"Sub", 2}, {"Mul", 2}, {"Div", 2}, {"Pow", 2},
      {"MatMul", 2}, {"Gemm", 2}, {"Conv", 2}, {"Gather", 2}, {"LayerNormalization", 2},
      {"BatchNormalization", 5}, {"Loop", 0}, {"Scan", 0}, {"RNN", 3}, {"GRU", 3},
      {"LSTM", 3}, {"SequenceEmpty", 0}, {"SequenceConstruct", 0},
      {"Optional", 0}, {"OptionalHasElement", 0}};
  if (op == "Reshape")
    return opset >= 5 ? 2 : 1;
  auto it = table.find(op);
  return it == table.end() ? 1 : it->second;
}

Location nodeLocation(MLIRContext &ctx, const std::string &file,
                      const onnx::NodeProto &node, int index) {
  std::string name = node.name().empty()
                         ? node.op_type() + "_" + std::to_string(index)
                         : node.name();
  return NameLoc::get(StringAttr::get(&ctx, name),
                      FileLineColLoc::get(&ctx, file, index + 1, 0));
}

class GraphImporter : public GraphWalker {
public:
  GraphImporter(MLIRContext &ctx, const std::string &path, const ImportOptions &opts,
                std::string &error)
      : ctx(ctx), path(path), opts(opts), error(error), b(&ctx) {}

  OwningOpRef<ModuleOp> run(const onnx::ModelProto &model);

  LogicalResult importNodes(NodeContext &parent, ArrayRef<const onnx::NodeProto *> nodes,
                            std::map<std::string, Value> &scope,
                            const OpsetMap &opsets) override;
  FailureOr<SmallVector<Value>> importSubgraph(NodeContext &parent, const onnx::GraphProto &g,
                                               ArrayRef<Value> inputs) override;
  const OpsetMap &opsets() const override { return current; }
  const onnx::FunctionProto *localFunction(const std::string &domain,
                                           const std::string &name) const override {
    auto it = functions.find({domain, name});
    return it == functions.end() ? nullptr : it->second;
  }

private:
  LogicalResult importInitializers(const onnx::GraphProto &g, OpBuilder &b);
  FailureOr<RankedTensorType> inputType(const onnx::ValueInfoProto &vi);
  FailureOr<RankedTensorType> tensorInputType(const std::string &name,
                                              const onnx::TypeProto_Tensor &tt);
  /// Converts one node: a native converter, else a function body; on failure
  bool propagatesRuntimeShape(const onnx::NodeProto &node, std::map<std::string, Value> &scope);
  /// `error` names the node (without the file).
  LogicalResult importNode(const onnx::NodeProto &node, Location loc,
                           std::map<std::string, Value> &scope, BranchFork *fork = nullptr);
  /// A context for `node` sharing this import's tables.
  void share(NodeContext &nc) {
    nc.walker = this;
    nc.runtimeShapes = &runtimeShapes;
    nc.strings = &strings;
    nc.symbolic = &symbolic;
  }

  MLIRContext &ctx;
  std::string path;
  const ImportOptions &opts;
  std::string &error;
  OpBuilder b;
  std::map<std::string, Value> values;
  /// Tensors with data-dependent shapes (see RuntimeShape).
  RuntimeShapeMap runtimeShapes;
  /// String tensors (see ConvertString.cpp).
  llvm::DenseSet<Value> strings;
  /// Shape values computed from symbolic dimensions (ConvertSymbolic.cpp).
  SymbolicMap symbolic;
  /// Graph inputs with symbolic dimensions -> each dimension's name ("" when
  /// static).
  std::map<std::string, SmallVector<std::string>> dimNames;
  /// The opsets the nodes being converted bind against (the model's, or a
  /// function body's).
  OpsetMap current;
  std::map<std::pair<std::string, std::string>, const onnx::FunctionProto *> functions;
  /// Nesting of function bodies and subgraphs, bounded against recursion.
  int depth = 0;
  bool tooDeep = false;
};

std::string canonicalDomain(const std::string &domain) {
  return domain == "ai.onnx" ? std::string() : domain;
}

LogicalResult GraphImporter::importNode(const onnx::NodeProto &node, Location loc,
                                        std::map<std::string, Value> &scope, BranchFork *fork) {
  std::string domain = canonicalDomain(node.domain());
  auto ver = current.find(domain);
  int64_t opset = ver != current.end() ? ver->second : (domain.empty() ? 1 : -1);
  NodeContext nc(b, loc, node, opset, scope, error);
  share(nc);
  nc.fork = domain.empty() && node.op_type() == "If" ? fork : nullptr;
  for (int k = 0; k < node.input_size(); ++k) {
    if (node.input(k).empty())
      continue;
    auto it = scope.find(node.input(k));
    if (it == scope.end())
      return nc.fail("input '" + node.input(k) + "' is not defined before use");
    static const std::set<std::string> takesSequences = {
        "SequenceInsert", "SequenceErase", "SequenceAt", "SequenceLength", "ConcatFromSequence",
        "SequenceMap", "Identity", "Loop", "If", "Optional", "OptionalGetElement",
        "OptionalHasElement"};
    if (!it->second)
      continue; // an empty optional: the converter sees an absent input
    if (isa<TupleType>(it->second.getType()) && !takesSequences.count(node.op_type()))
      return nc.fail("input '" + node.input(k) + "' is a sequence, which " + node.op_type() +
                     " does not take");
    if (strings.contains(it->second) && node.op_type() != "StringNormalizer" &&
        node.op_type() != "Identity")
      return nc.fail("input '" + node.input(k) +
                     "' is a string tensor; strings are supported by StringNormalizer and "
                     "Identity only");
    if (auto t = dyn_cast<RankedTensorType>(it->second.getType());
        t && !t.hasStaticShape() && !runtimeShapes.count(it->second) &&
        !(domain.empty() && takesSymbolicInputs(node.op_type())))
      return nc.fail("input '" + node.input(k) + "' has a symbolic dimension, which " +
                     node.op_type() + " cannot take yet; give --input-shape for the graph "
                     "inputs to fix it");
    if (runtimeShapes.count(it->second)) {
      if (!propagatesRuntimeShape(node, scope) &&
          !(domain.empty() && takesBoundedInputs(node.op_type())))
        return nc.fail("input '" + node.input(k) + "' has a shape known only at run time, which " +
                       node.op_type() +
                       " cannot take yet (graph outputs, elementwise ops, data movement and "
                       "NonMaxSuppression can)");
      continue;
    }
  }
  auto checkOutputs = [&]() -> LogicalResult {
    for (int k = 0; k < node.output_size(); ++k)
      if (nc.outputUsed(k) && !scope.count(node.output(k)))
        return nc.fail("output " + std::to_string(k) + " is not supported");
    return success();
  };
  // Elementwise ops on a run-time-shaped tensor (compact 1-D layout) and
  // scalars: the result has the same run-time shape.
  const RuntimeShape *runtimeIn = nullptr;
  for (const std::string &name : node.input())
    if (!name.empty() && scope.count(name) && runtimeShapes.count(scope[name]))
      runtimeIn = &runtimeShapes[scope[name]];
  if (runtimeIn && domain.empty() && takesBoundedInputs(node.op_type()) &&
      !propagatesRuntimeShape(node, scope)) {
    // Data movement on bounded tensors of run-time shape (ConvertBounded.cpp).
    if (failed(nc.requireInputs(requiredInputs(node.op_type(), opset))) ||
        failed(convertBounded(nc)))
      return failure();
    return checkOutputs();
  }
  std::optional<RuntimeShape> propagated;
  if (runtimeIn)
    propagated = *runtimeIn;
  const auto &converters = onnxConverters();
  auto it = converters.find(domain.empty() ? node.op_type() : domain + "::" + node.op_type());
  if (it != converters.end()) {
    if (failed(nc.requireInputs(requiredInputs(node.op_type(), opset))) ||
        failed(it->second(nc)))
      return failure();
    if (nc.fork && nc.fork->cond)
      return success(); // the walk binds the outputs, once per branch
  } else {
    if (opset < 0 && !localFunction(domain, node.op_type()))
      return nc.fail("op domain '" + node.domain() + "' is not supported");
    bool found = false;
    if (failed(expandFunction(nc, found)))
      return failure();
    if (!found)
      return nc.fail("unsupported op");
  }
  if (failed(checkOutputs()))
    return failure();
  if (propagated && !(runtimeShapes.count(scope[node.output(0)]))) {
    // The compact layout: the result keeps the input's 1-D (bound or
    // run-time) size.
    Value out = scope[node.output(0)];
    auto type = dyn_cast_or_null<RankedTensorType>(out ? out.getType() : Type());
    int64_t size = 0;
    for (const std::string &name : node.input())
      if (!name.empty() && runtimeShapes.count(scope[name]))
        size = cast<RankedTensorType>(scope[name].getType()).getDimSize(0);
    if (!type || type.getRank() != 1 || type.getDimSize(0) != size)
      return nc.fail("the result on a tensor of run-time shape is not elementwise");
    runtimeShapes[out] = *propagated;
  }
  return success();
}

/// Elementwise ops whose run-time-shaped inputs share one shape and whose
/// other inputs are single elements: they work on the compact layout as is.
bool GraphImporter::propagatesRuntimeShape(const onnx::NodeProto &node,
                                           std::map<std::string, Value> &scope) {
  if (!node.domain().empty() && node.domain() != "ai.onnx")
    return false;
  if (!elementwiseOps().count(node.op_type()))
    return false;
  Value dims;
  for (const std::string &name : node.input()) {
    if (name.empty())
      continue;
    Value v = scope[name];
    if (!v || !isa<RankedTensorType>(v.getType()))
      return false;
    auto it = runtimeShapes.find(v);
    if (it == runtimeShapes.end()) {
      if (cast<RankedTensorType>(v.getType()).getNumElements() != 1 ||
          cast<RankedTensorType>(v.getType()).getRank() > 1)
        return false;
      continue;
    }
    if (dims && it->second.dims != dims)
      return false;
    dims = it->second.dims;
  }
  return true;
}

LogicalResult GraphImporter::importNodes(NodeContext &parent,
                                         ArrayRef<const onnx::NodeProto *> nodes,
                                         std::map<std::string, Value> &scope,
                                         const OpsetMap &opsets) {
  if (depth >= 64) {
    tooDeep = true;
    return parent.fail("function bodies and subgraphs nest more than 64 deep (recursion?)");
  }
  OpsetMap saved = current;
  current = opsets;
  ++depth;
  std::string prefix = parent.node.name().empty() ? parent.node.op_type() : parent.node.name();
  LogicalResult result = success();
  for (auto [i, node] : llvm::enumerate(nodes)) {
    std::string name = node->name().empty()
                           ? node->op_type() + "_" + std::to_string(i)
                           : node->name();
    Location loc = NameLoc::get(StringAttr::get(&ctx, prefix + "/" + name), parent.loc());
    if (failed(importNode(*node, loc, scope))) {
      // Each level names its node; past the depth limit only the outermost
      // does, so runaway recursion gives one short line.
      std::string inner = error;
      result = !tooDeep || depth == 1 ? parent.fail(inner) : failure();
      if (tooDeep && depth == 1)
        result = parent.fail("function bodies and subgraphs nest more than 64 deep "
                             "(recursion?)");
      break;
    }
  }
  --depth;
  current = saved;
  return result;
}

FailureOr<SmallVector<Value>> GraphImporter::importSubgraph(NodeContext &parent,
                                                            const onnx::GraphProto &g,
                                                            ArrayRef<Value> inputs) {
  if ((int)inputs.size() != g.input_size()) {
    (void)parent.fail("subgraph '" + g.name() + "' takes " + std::to_string(g.input_size()) +
                      " inputs, given " + std::to_string(inputs.size()));
    return failure();
  }
  // A copy: the subgraph sees outer names, its own do not leak out.
  std::map<std::string, Value> scope = parent.scope();
  for (auto [vi, v] : llvm::zip(g.input(), inputs))
    scope[vi.name()] = v;
  for (const auto &t : g.initializer()) {
    std::string err;
    auto attr = tensorToAttr(ctx, t, nullptr, err);
    if (failed(attr)) {
      (void)parent.fail("subgraph '" + g.name() + "' initializer '" + t.name() + "': " + err);
      return failure();
    }
    scope[t.name()] = mlir::nuri::ConstantOp::create(b, parent.loc(), *attr);
  }
  std::string err;
  auto order = sortNodes(g, err);
  if (failed(order)) {
    (void)parent.fail("subgraph '" + g.name() + "': " + err);
    return failure();
  }
  SmallVector<const onnx::NodeProto *> nodes;
  for (int i : *order)
    nodes.push_back(&g.node(i));
  if (failed(importNodes(parent, nodes, scope, current)))
    return failure();
  SmallVector<Value> outs;
  for (const auto &vi : g.output()) {
    auto it = scope.find(vi.name());
    if (it == scope.end() || !it->second) {
      (void)parent.fail("subgraph '" + g.name() + "' output '" + vi.name() +
                        "' is never produced");
      return failure();
    }
    outs.push_back(it->second);
  }
  return outs;
}

LogicalResult GraphImporter::importInitializers(const onnx::GraphProto &g,
                                                OpBuilder &b) {
  fs::path dir = fs::path(path).parent_path();
  if (dir.empty())
    dir = ".";
  for (const auto &t : g.initializer()) {
    std::string external, err;
    const std::string *ext = nullptr;
    if (t.data_location() == onnx::TensorProto::EXTERNAL) {
      if (failed(readExternal(t, dir, external, err))) {
        error = path + ": " + err;
        return failure();
      }
      ext = &external;
    }
    auto attr = tensorToAttr(ctx, t, ext, err);
    if (failed(attr)) {
      error = path + ": initializer '" + t.name() + "': " + err;
      return failure();
    }
    Location loc = NameLoc::get(StringAttr::get(&ctx, t.name()),
                                FileLineColLoc::get(&ctx, path, 0, 0));
    values[t.name()] = mlir::nuri::ConstantOp::create(b, loc, *attr);
  }
  return success();
}

FailureOr<RankedTensorType> GraphImporter::inputType(const onnx::ValueInfoProto &vi) {
  if (!vi.type().has_tensor_type()) {
    error = path + ": graph input '" + vi.name() + "' is not a tensor";
    return failure();
  }
  return tensorInputType(vi.name(), vi.type().tensor_type());
}

FailureOr<RankedTensorType> GraphImporter::tensorInputType(const std::string &name,
                                                           const onnx::TypeProto_Tensor &tt) {
  bool isString = tt.elem_type() == onnx::TensorProto::STRING;
  Type et = isString ? IntegerType::get(&ctx, 8) : onnxElementType(ctx, tt.elem_type());
  if (!et) {
    error = path + ": graph input '" + name + "' has unsupported element type " +
            std::to_string(tt.elem_type());
    return failure();
  }
  // Strings: one more dimension, the bytes of each element.
  auto withWidth = [&](SmallVector<int64_t> shape) {
    if (isString)
      shape.push_back(opts.stringBytes);
    return RankedTensorType::get(shape, et);
  };
  auto it = opts.inputShapes.find(name);
  if (it != opts.inputShapes.end())
    return withWidth(SmallVector<int64_t>(it->second.begin(), it->second.end()));
  if (!tt.has_shape()) {
    error = path + ": graph input '" + name +
            "' has no shape: give --input-shape " + name + ":DIMS";
    return failure();
  }
  SmallVector<int64_t> shape;
  SmallVector<std::string> names;
  for (const auto &d : tt.shape().dim()) {
    if (!d.has_dim_value() || d.dim_value() < 0) {
      // A symbolic dimension: compiled once for every size (ConvertSymbolic.cpp).
      if (isString) {
        error = path + ": string input '" + name + "' has a symbolic dimension: give "
                "--input-shape " + name + ":DIMS";
        return failure();
      }
      shape.push_back(ShapedType::kDynamic);
      names.push_back(d.has_dim_param() && !d.dim_param().empty()
                          ? d.dim_param()
                          : name + ".d" + std::to_string(shape.size() - 1));
      continue;
    }
    shape.push_back(d.dim_value());
    names.push_back("");
  }
  if (llvm::any_of(shape, ShapedType::isDynamic))
    dimNames[name] = names;
  return withWidth(shape);
}

OwningOpRef<ModuleOp> GraphImporter::run(const onnx::ModelProto &model) {
  int64_t opset = -1;
  for (const auto &imp : model.opset_import()) {
    current[canonicalDomain(imp.domain())] = imp.version();
    if (imp.domain().empty() || imp.domain() == "ai.onnx")
      opset = imp.version();
  }
  for (const auto &fn : model.functions())
    functions[{canonicalDomain(fn.domain()), fn.name()}] = &fn;
  if (opset < 0)
    opset = 1; // ONNX: no default-domain import means opset 1
  current[""] = opset;
  if (opset < 1 || opset > 23) {
    error = path + ": default-domain opset " + std::to_string(opset) +
            " is outside the supported range 1..23";
    return nullptr;
  }
  const onnx::GraphProto &g = model.graph();
  Location fileLoc = FileLineColLoc::get(&ctx, path, 0, 0);
  OwningOpRef<ModuleOp> module = ModuleOp::create(fileLoc);
  (*module)->setAttr("nuri.model_name", StringAttr::get(&ctx, g.name()));
  (*module)->setAttr("nuri.opset", IntegerAttr::get(IntegerType::get(&ctx, 64), opset));
  b.setInsertionPointToEnd(module->getBody());

  std::set<std::string> initNames;
  for (const auto &t : g.initializer())
    initNames.insert(t.name());
  // Sequence inputs become one input per element, NAME[k] (the length is a
  // compile-time choice, like a fixed shape).
  // An optional input is compiled present (as its element) or absent
  // (--optional-absent NAME: every use sees no value).
  auto typeOfInput = [](const onnx::ValueInfoProto &vi) -> const onnx::TypeProto & {
    return vi.type().has_optional_type() ? vi.type().optional_type().elem_type() : vi.type();
  };
  auto isAbsent = [&](const onnx::ValueInfoProto &vi) {
    return vi.type().has_optional_type() && opts.absentOptionals.count(vi.name());
  };
  auto isSequence = [&](const onnx::ValueInfoProto &vi) {
    return typeOfInput(vi).has_sequence_type();
  };
  auto namesInput = [&](const std::string &name) {
    return llvm::any_of(g.input(), [&](const onnx::ValueInfoProto &vi) {
      if (initNames.count(vi.name()))
        return false;
      if (!isSequence(vi))
        return vi.name() == name;
      auto n = opts.sequenceLengths.find(vi.name());
      for (int64_t k = 0; n != opts.sequenceLengths.end() && k < n->second; ++k)
        if (name == vi.name() + "[" + std::to_string(k) + "]")
          return true;
      return false;
    });
  };
  for (const auto &kv : opts.sequenceLengths)
    if (llvm::none_of(g.input(), [&](const onnx::ValueInfoProto &vi) {
          return vi.name() == kv.first && isSequence(vi) && !initNames.count(vi.name());
        })) {
      error = path + ": --sequence-length names '" + kv.first + "', which is not a sequence input";
      return nullptr;
    }
  for (const std::string &name : opts.absentOptionals)
    if (llvm::none_of(g.input(), [&](const onnx::ValueInfoProto &vi) {
          return vi.name() == name && vi.type().has_optional_type() && !initNames.count(name);
        })) {
      error = path + ": --optional-absent names '" + name + "', which is not an optional input";
      return nullptr;
    }
  for (const auto &kv : opts.inputValues)
    if (!namesInput(kv.first)) {
      error = path + ": --input-value names '" + kv.first + "', which is not a graph input";
      return nullptr;
    }
  for (const auto &kv : opts.inputShapes)
    if (!namesInput(kv.first)) {
      error = path + ": --input-shape names '" + kv.first + "', which is not a graph input";
      return nullptr;
    }
  SmallVector<Type> argTypes;
  SmallVector<std::string> argNames;
  std::map<std::string, SmallVector<std::string>> sequenceArgs;
  std::map<std::string, DenseElementsAttr> frozenValues;
  for (const auto &vi : g.input()) {
    if (initNames.count(vi.name()) || isAbsent(vi))
      continue;
    if (isSequence(vi)) {
      const auto &elem = typeOfInput(vi).sequence_type().elem_type();
      auto n = opts.sequenceLengths.find(vi.name());
      if (!elem.has_tensor_type() || n == opts.sequenceLengths.end()) {
        error = path + ": graph input '" + vi.name() +
                "' is a sequence" + (elem.has_tensor_type() ? "" : " of non-tensors") +
                ": give --sequence-length " + vi.name() + ":N (and --input-shape " + vi.name() +
                "[k]:DIMS for elements without a fixed shape)";
        return nullptr;
      }
      auto &names = sequenceArgs[vi.name()];
      for (int64_t k = 0; k < n->second; ++k) {
        std::string name = vi.name() + "[" + std::to_string(k) + "]";
        auto type = tensorInputType(name, elem.tensor_type());
        if (failed(type))
          return nullptr;
        argTypes.push_back(*type);
        argNames.push_back(name);
        names.push_back(name);
      }
      continue;
    }
    if (!typeOfInput(vi).has_tensor_type()) {
      error = path + ": graph input '" + vi.name() + "' is not a tensor, sequence or optional";
      return nullptr;
    }
    auto type = tensorInputType(vi.name(), typeOfInput(vi).tensor_type());
    if (failed(type))
      return nullptr;
    if (auto frozen = opts.inputValues.find(vi.name()); frozen != opts.inputValues.end()) {
      auto value = frozenInput(*type, frozen->second, vi.name(), error);
      if (failed(value)) {
        error = path + ": " + error;
        return nullptr;
      }
      frozenValues[vi.name()] = *value;
      continue;
    }
    argTypes.push_back(*type);
    argNames.push_back(vi.name());
  }

  auto func = func::FuncOp::create(b, fileLoc, "main", b.getFunctionType(argTypes, {}));
  Block *entry = func.addEntryBlock();
  for (auto [i, name] : llvm::enumerate(argNames)) {
    func.setArgAttr(i, "nuri.name", b.getStringAttr(name));
    values[name] = entry->getArgument(i);
    auto dims = dimNames.find(name);
    if (dims == dimNames.end())
      continue;
    // Each symbolic dimension's name and bounds: the runtime binds it from
    // this input and checks it (inputs naming the same one must agree).
    SmallVector<Attribute> dimAttrs;
    for (const std::string &n : dims->second) {
      if (n.empty()) {
        dimAttrs.push_back(b.getDictionaryAttr({}));
        continue;
      }
      auto bound = opts.dimBounds.find(n);
      int64_t lo = bound == opts.dimBounds.end() ? 1 : bound->second.first;
      int64_t hi = bound == opts.dimBounds.end() ? kMaxSymbolicDim : bound->second.second;
      dimAttrs.push_back(b.getDictionaryAttr({b.getNamedAttr("name", b.getStringAttr(n)),
                                              b.getNamedAttr("min", b.getI64IntegerAttr(lo)),
                                              b.getNamedAttr("max", b.getI64IntegerAttr(hi))}));
    }
    func.setArgAttr(i, "nuri.symbolic_dims", b.getArrayAttr(dimAttrs));
  }
  for (const auto &kv : opts.dimBounds)
    if (llvm::none_of(dimNames, [&](const auto &d) { return llvm::is_contained(d.second, kv.first); })) {
      error = path + ": --dim-bound names '" + kv.first + "', which is no symbolic input "
              "dimension";
      return nullptr;
    }
  for (const auto &vi : g.input()) {
    if (isAbsent(vi))
      values[vi.name()] = Value();
    if (!initNames.count(vi.name()) && !isAbsent(vi) && typeOfInput(vi).has_tensor_type() &&
        typeOfInput(vi).tensor_type().elem_type() == onnx::TensorProto::STRING) {
      BlockArgument arg = cast<BlockArgument>(values[vi.name()]);
      func.setArgAttr(arg.getArgNumber(), "nuri.string_bytes", b.getI64IntegerAttr(opts.stringBytes));
      strings.insert(arg);
    }
  }
  b.setInsertionPointToStart(entry);
  for (auto &[name, value] : frozenValues)
    values[name] = mlir::nuri::ConstantOp::create(
        b, NameLoc::get(StringAttr::get(&ctx, name), fileLoc), value);
  for (auto &[name, elements] : sequenceArgs) {
    SmallVector<Value> vs;
    for (const std::string &e : elements)
      vs.push_back(values[e]);
    values[name] = makeSequenceValue(b, fileLoc, vs);
  }
  if (failed(importInitializers(g, b)))
    return nullptr;

  auto order = sortNodes(g, error);
  if (failed(order)) {
    error = path + ": " + error;
    return nullptr;
  }
  // Locations keep each node's index in the file, whatever the order.
  auto importAt = [&](int i, std::map<std::string, Value> &scope, BranchFork *fork) {
    return importNode(g.node(i), nodeLocation(ctx, path, g.node(i), i), scope, fork);
  };
  auto merge = [&](int i, Value cond, ArrayRef<std::string> names, ArrayRef<Value> a,
                   ArrayRef<Value> bv, std::map<std::string, Value> &scope) {
    // The If node selecting the graph's outputs instead of its own.
    onnx::NodeProto node = g.node(i);
    node.clear_output();
    for (const std::string &n : names)
      node.add_output(n);
    NodeContext nc(b, nodeLocation(ctx, path, g.node(i), i), node, current[""], scope, error);
    share(nc);
    return selectValues(nc, cond, a, bv);
  };
  if (failed(importVersioned(g, *order, values, kMaxVersions, importAt, merge))) {
    error = path + ": " + error;
    return nullptr;
  }

  SmallVector<Value> results;
  SmallVector<Type> resultTypes;
  SmallVector<std::string> resultNames;
  for (const auto &vi : g.output()) {
    auto it = values.find(vi.name());
    if (it == values.end()) {
      error = path + ": graph output '" + vi.name() + "' is never produced";
      return nullptr;
    }
    if (!it->second) {
      if (!vi.type().has_optional_type()) {
        error = path + ": graph output '" + vi.name() + "' has no value";
        return nullptr;
      }
      continue; // an empty optional: no output
    }
    if (isa<TupleType>(it->second.getType())) {
      // A sequence output: one output per element, NAME[k].
      auto elements = sequenceElements(it->second);
      if (failed(elements)) {
        error = path + ": graph output '" + vi.name() + "' is a sequence not built in the graph";
        return nullptr;
      }
      for (auto [k, e] : llvm::enumerate(*elements)) {
        results.push_back(e);
        resultTypes.push_back(e.getType());
        resultNames.push_back(vi.name() + "[" + std::to_string(k) + "]");
      }
      continue;
    }
    results.push_back(it->second);
    resultTypes.push_back(it->second.getType());
    resultNames.push_back(vi.name());
  }
  unsigned numOutputs = results.size();
  // Data-dependent shapes: their dims tensors are returned after the graph's
  // outputs; the artifact writer turns them into dimension buffers.
  SmallVector<std::pair<unsigned, const RuntimeShape *>> dynamicOutputs;
  for (unsigned i = 0, e = results.size(); i < e; ++i) {
    auto it = runtimeShapes.find(results[i]);
    if (it == runtimeShapes.end())
      continue;
    dynamicOutputs.push_back({i, &it->second});
    results.push_back(it->second.dims);
    resultTypes.push_back(it->second.dims.getType());
  }
  // Capacities (see RuntimeShape::capacity) follow, marked like dims.
  SmallVector<std::pair<unsigned, unsigned>> capacities;
  for (auto &[i, shape] : dynamicOutputs)
    if (shape->capacity) {
      capacities.push_back({i, (unsigned)results.size()});
      results.push_back(shape->capacity);
      resultTypes.push_back(shape->capacity.getType());
    }
  func::ReturnOp::create(b, fileLoc, results);
  func.setType(b.getFunctionType(argTypes, resultTypes));
  for (auto [i, name] : llvm::enumerate(resultNames)) {
    func.setResultAttr(i, "nuri.name", b.getStringAttr(name));
    if (strings.contains(results[i]))
      func.setResultAttr(i, "nuri.string_bytes", b.getI64IntegerAttr(opts.stringBytes));
  }
  for (auto [k, entry] : llvm::enumerate(dynamicOutputs)) {
    unsigned dimsIndex = numOutputs + k;
    func.setResultAttr(entry.first, "nuri.runtime_shape",
                       b.getDenseI64ArrayAttr(entry.second->shape));
    func.setResultAttr(entry.first, "nuri.dims_result", b.getI64IntegerAttr(dimsIndex));
    func.setResultAttr(dimsIndex, "nuri.dims_of", b.getI64IntegerAttr(entry.first));
  }
  for (auto [data, index] : capacities) {
    func.setResultAttr(data, "nuri.capacity_result", b.getI64IntegerAttr(index));
    func.setResultAttr(index, "nuri.dims_of", b.getI64IntegerAttr(data));
  }
  return module;
}

} // namespace

OwningOpRef<ModuleOp> importOnnxFile(MLIRContext &ctx, const std::string &path,
                                     const ImportOptions &options, std::string &error) {
  // Element definitions of nuri.generate use arith, math, scf and tensor.
  ctx.loadDialect<mlir::nuri::NuriDialect, func::FuncDialect, math::MathDialect,
                  scf::SCFDialect, tensor::TensorDialect>();
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    error = path + ": no such file";
    return nullptr;
  }
  if (fs::is_directory(path, ec)) {
    error = path + ": is a directory, not an ONNX model";
    return nullptr;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot open the file";
    return nullptr;
  }
  onnx::ModelProto model;
  google::protobuf::io::IstreamInputStream raw(&in);
  google::protobuf::io::CodedInputStream coded(&raw);
  coded.SetTotalBytesLimit(INT32_MAX);
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage() ||
      !model.has_graph()) {
    error = path + ": not an ONNX model (the protobuf does not parse as a ModelProto with a graph)";
    return nullptr;
  }
  GraphImporter importer(ctx, path, options, error);
  return importer.run(model);
}

} // namespace nuri
