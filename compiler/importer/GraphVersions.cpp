//===- GraphVersions.cpp - the rest of a graph once per If branch ---------===//
//
// An If on a run-time value (a voice detector's sample rate) whose branches
// give tensors of different shapes: selecting one tensor of run-time shape
// (selectShapes) leaves every later op with a shape it cannot compile
// statically, the convolutions and LSTMs after it included. Tail duplication
// instead: what depends on the If is imported once with each branch's
// results, so each copy is static and as fast as the rest, and only the
// graph's outputs are selected. Both copies run (as both branches of any
// run-time If do); the copies are bounded so a chain of Ifs cannot grow the
// graph exponentially, and past the bound an If selects as before.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/GraphVersions.h"

#include "compiler/importer/GraphOrder.h"

using namespace mlir;

namespace nuri {

LogicalResult importVersioned(const onnx::GraphProto &g, ArrayRef<int> nodes,
                              std::map<std::string, Value> &scope, int versions,
                              NodeImport importNode, BranchMerge merge) {
  for (size_t pos = 0; pos < nodes.size(); ++pos) {
    BranchFork fork;
    if (failed(importNode(nodes[pos], scope, versions > 1 ? &fork : nullptr)))
      return failure();
    if (!fork.cond)
      continue;
    const onnx::NodeProto &ifNode = g.node(nodes[pos]);
    std::set<std::string> outs;
    for (const std::string &o : ifNode.output())
      if (!o.empty())
        outs.insert(o);
    SmallVector<int> dependent, independent;
    splitByDependence(g, nodes.drop_front(pos + 1), outs, dependent, independent);
    // The rest that does not read the If: once, and without versions of its
    // own (they would multiply with these).
    for (int i : independent)
      if (failed(importNode(i, scope, nullptr)))
        return failure();
    std::map<std::string, Value> branchScope[2] = {scope, scope};
    for (int side = 0; side < 2; ++side) {
      ArrayRef<Value> given = side == 0 ? fork.thenOuts : fork.elseOuts;
      for (int k = 0; k < ifNode.output_size(); ++k)
        if (!ifNode.output(k).empty())
          branchScope[side][ifNode.output(k)] = given[k];
      if (failed(importVersioned(g, dependent, branchScope[side], versions / 2, importNode, merge)))
        return failure();
    }
    SmallVector<std::string> names;
    SmallVector<Value> a, b;
    for (const auto &vi : g.output()) {
      auto x = branchScope[0].find(vi.name()), y = branchScope[1].find(vi.name());
      if (x == branchScope[0].end() || y == branchScope[1].end())
        continue; // never produced: reported with the outputs
      if (x->second == y->second) {
        scope[vi.name()] = x->second;
        continue;
      }
      names.push_back(vi.name());
      a.push_back(x->second);
      b.push_back(y->second);
    }
    return names.empty() ? success() : merge(nodes[pos], fork.cond, names, a, b, scope);
  }
  return success();
}

} // namespace nuri
