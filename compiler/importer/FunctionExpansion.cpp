//===- FunctionExpansion.cpp - ONNX ops defined as functions --------------===//
//
// An op without a native converter may be an ONNX function: a model-local
// one (ModelProto.functions) or one whose schema in ONNX's registry carries a
// body (fixed, or built for the node's attributes and input types). The body
// is imported in place of the node: in a scope of its own holding only the
// formal inputs (so its value names cannot clash with the caller's), with
// attribute references resolved against the node (or the schema's
// defaults), binding against the body's own opset imports. Nested function
// ops expand the same way through the graph walk.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/ImporterContext.h"

#include "onnx/defs/function.h"
#include "onnx/defs/schema.h"

#include <set>

using namespace mlir;

namespace nuri {
namespace {

/// MLIR element type -> TensorProto.DataType (0 if none).
int onnxDataType(Type t) {
  if (t.isF32()) return onnx::TensorProto::FLOAT;
  if (t.isF16()) return onnx::TensorProto::FLOAT16;
  if (t.isBF16()) return onnx::TensorProto::BFLOAT16;
  if (t.isF64()) return onnx::TensorProto::DOUBLE;
  auto it = dyn_cast<IntegerType>(t);
  if (!it)
    return 0;
  bool u = it.isUnsigned();
  switch (it.getWidth()) {
  case 1: return onnx::TensorProto::BOOL;
  case 8: return u ? onnx::TensorProto::UINT8 : onnx::TensorProto::INT8;
  case 16: return u ? onnx::TensorProto::UINT16 : onnx::TensorProto::INT16;
  case 32: return u ? onnx::TensorProto::UINT32 : onnx::TensorProto::INT32;
  case 64: return u ? onnx::TensorProto::UINT64 : onnx::TensorProto::INT64;
  default: return 0;
  }
}

onnx::TypeProto typeProto(Value v) {
  onnx::TypeProto tp;
  if (!v)
    return tp; // absent: the builder sees no type
  if (auto elements = sequenceElements(v); succeeded(elements)) {
    // A sequence: typed by its first element (an empty one stays untyped).
    if (!elements->empty())
      *tp.mutable_sequence_type()->mutable_elem_type() = typeProto(elements->front());
    return tp;
  }
  auto t = typeOf(v);
  auto *tt = tp.mutable_tensor_type();
  tt->set_elem_type(onnxDataType(t.getElementType()));
  auto *shape = tt->mutable_shape();
  for (int64_t d : t.getShape())
    shape->add_dim()->set_dim_value(d);
  return tp;
}

using AttrMap = std::map<std::string, const onnx::AttributeProto *>;

/// Replaces attribute references (ref_attr_name) in `node`, and in the
/// subgraphs it holds, by the caller's attributes; a reference to an
/// attribute the caller lacks is dropped so the nested op's default applies.
void resolveAttributeRefs(onnx::NodeProto &node, const AttrMap &attrs) {
  google::protobuf::RepeatedPtrField<onnx::AttributeProto> out;
  for (const auto &a : node.attribute()) {
    if (!a.ref_attr_name().empty()) {
      auto it = attrs.find(a.ref_attr_name());
      if (it == attrs.end() || !it->second)
        continue;
      onnx::AttributeProto copy = *it->second;
      copy.set_name(a.name());
      copy.clear_ref_attr_name();
      *out.Add() = copy;
      continue;
    }
    onnx::AttributeProto copy = a;
    if (copy.has_g())
      for (auto &n : *copy.mutable_g()->mutable_node())
        resolveAttributeRefs(n, attrs);
    for (auto &g : *copy.mutable_graphs())
      for (auto &n : *g.mutable_node())
        resolveAttributeRefs(n, attrs);
    *out.Add() = copy;
  }
  node.mutable_attribute()->Swap(&out);
}

} // namespace

LogicalResult expandFunction(NodeContext &c, bool &found) {
  found = false;
  if (!c.walker)
    return success();
  const onnx::NodeProto &node = c.node;
  std::string domain = node.domain() == "ai.onnx" ? std::string() : node.domain();
  const onnx::FunctionProto *fn = c.walker->localFunction(domain, node.op_type());
  onnx::FunctionProto built;
  // Attribute values seen by the body: the node's, then the schema's defaults.
  AttrMap attrs;
  for (const auto &a : node.attribute())
    attrs[a.name()] = &a;
  int64_t bodyOpset = c.opset;
  if (!fn) {
    const onnx::OpSchema *schema = nullptr;
    try {
      schema = onnx::OpSchemaRegistry::Schema(node.op_type(), (int)c.opset, domain);
    } catch (const std::exception &) {
      schema = nullptr;
    }
    if (!schema)
      return success();
    if (schema->HasFunction()) {
      fn = schema->GetFunction();
    } else if (schema->HasContextDependentFunction()) {
      std::vector<onnx::TypeProto> types;
      for (int i = 0; i < node.input_size(); ++i)
        types.push_back(typeProto(c.input(i)));
      bool ok = false;
      std::string why;
      try {
        onnx::FunctionBodyBuildContextImpl ctx(node, types);
        ok = schema->BuildContextDependentFunction(ctx, built);
      } catch (const std::exception &e) {
        why = std::string(": ") + e.what();
      }
      if (!ok)
        return c.fail("ONNX could not build the function body of this op for its "
                      "attributes and input types" + why);
      fn = &built;
    } else {
      return success();
    }
    if (!fn)
      return success();
    for (const auto &[name, attr] : schema->attributes())
      if (!attrs.count(name) && attr.default_value.type() != onnx::AttributeProto::UNDEFINED)
        attrs[name] = &attr.default_value;
    bodyOpset = schema->SinceVersion();
  }
  found = true;

  if (node.input_size() > fn->input_size())
    return c.fail("has " + std::to_string(node.input_size()) + " inputs, its function takes " +
                  std::to_string(fn->input_size()));
  if (node.output_size() > fn->output_size())
    return c.fail("has " + std::to_string(node.output_size()) +
                  " outputs, its function has " + std::to_string(fn->output_size()));

  OpsetMap opsets = c.walker->opsets();
  if (fn->opset_import_size() == 0)
    opsets[domain] = bodyOpset;
  for (const auto &imp : fn->opset_import())
    opsets[imp.domain() == "ai.onnx" ? std::string() : imp.domain()] = imp.version();

  std::map<std::string, Value> scope;
  std::set<std::string> absent;
  for (int i = 0; i < fn->input_size(); ++i) {
    if (Value v = c.input(i))
      scope[fn->input(i)] = v;
    else
      absent.insert(fn->input(i));
  }
  std::vector<onnx::NodeProto> body(fn->node().begin(), fn->node().end());
  for (auto &n : body) {
    for (auto &in : *n.mutable_input())
      if (absent.count(in))
        in.clear();
    resolveAttributeRefs(n, attrs);
  }
  SmallVector<const onnx::NodeProto *> nodes;
  for (const auto &n : body)
    nodes.push_back(&n);
  if (failed(c.walker->importNodes(c, nodes, scope, opsets)))
    return failure();
  for (int k = 0; k < node.output_size(); ++k) {
    if (!c.outputUsed(k))
      continue;
    auto it = scope.find(fn->output(k));
    if (it == scope.end() || !it->second)
      return c.fail("its function body never produces output '" + fn->output(k) + "'");
    c.setOutput(k, it->second);
  }
  return success();
}

} // namespace nuri
