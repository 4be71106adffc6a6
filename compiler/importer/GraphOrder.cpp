//===- GraphOrder.cpp - nodes in dependency order --------------------------===//
//
// Kahn's algorithm with the original position as priority: among the nodes
// whose inputs are ready, the one listed first goes first, so a sorted graph
// is left as it is and diagnostics keep pointing at the same node indices.
//
//===----------------------------------------------------------------------===//
#include "compiler/importer/GraphOrder.h"

#include "llvm/ADT/STLExtras.h"

#include <functional>
#include <map>
#include <queue>
#include <set>

namespace nuri {

// Names a subgraph defines itself are included too; they cannot collide with
// this graph's names (ONNX forbids shadowing), so they add no false
// dependency.
void namesRead(const onnx::NodeProto &node, std::set<std::string> &out) {
  for (const std::string &in : node.input())
    if (!in.empty())
      out.insert(in);
  for (const auto &a : node.attribute()) {
    auto graphRead = [&](const onnx::GraphProto &sub) {
      for (const auto &n : sub.node())
        namesRead(n, out);
      for (const auto &o : sub.output())
        out.insert(o.name());
    };
    if (a.has_g())
      graphRead(a.g());
    for (const auto &sub : a.graphs())
      graphRead(sub);
  }
}

void splitByDependence(const onnx::GraphProto &g, llvm::ArrayRef<int> nodes,
                       std::set<std::string> names, llvm::SmallVectorImpl<int> &dependent,
                       llvm::SmallVectorImpl<int> &independent) {
  for (int i : nodes) {
    std::set<std::string> read;
    namesRead(g.node(i), read);
    bool depends = llvm::any_of(read, [&](const std::string &n) { return names.count(n); });
    (depends ? dependent : independent).push_back(i);
    if (depends)
      for (const std::string &out : g.node(i).output())
        if (!out.empty())
          names.insert(out);
  }
}

namespace {

std::string nodeName(const onnx::NodeProto &n, int index) {
  return "'" + (n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name()) + "'";
}

} // namespace

mlir::FailureOr<llvm::SmallVector<int>> sortNodes(const onnx::GraphProto &g, std::string &error) {
  int n = g.node_size();
  std::map<std::string, int> producer;
  for (int i = 0; i < n; ++i)
    for (const std::string &out : g.node(i).output())
      if (!out.empty())
        producer.emplace(out, i);
  // deps[i]: the nodes i waits for; users[j]: the nodes waiting for j.
  std::vector<std::vector<int>> deps(n), users(n);
  std::vector<int> waiting(n, 0);
  for (int i = 0; i < n; ++i) {
    std::set<std::string> read;
    namesRead(g.node(i), read);
    std::set<int> from;
    for (const std::string &name : read) {
      auto it = producer.find(name);
      if (it != producer.end() && it->second != i)
        from.insert(it->second);
    }
    for (int j : from) {
      deps[i].push_back(j);
      users[j].push_back(i);
    }
    waiting[i] = from.size();
  }
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < n; ++i)
    if (waiting[i] == 0)
      ready.push(i);
  llvm::SmallVector<int> order;
  std::vector<bool> placed(n, false);
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    placed[i] = true;
    for (int u : users[i])
      if (--waiting[u] == 0)
        ready.push(u);
  }
  if ((int)order.size() == n)
    return order;
  // Every node left waits on another node left: walking from one of them to
  // an unplaced producer must come back to a node already on the walk.
  int start = 0;
  while (placed[start])
    ++start;
  std::vector<int> walk;
  std::vector<int> position(n, -1);
  for (int i = start; position[i] < 0;) {
    position[i] = walk.size();
    walk.push_back(i);
    i = *llvm::find_if(deps[i], [&](int j) { return !placed[j]; });
    if (position[i] >= 0) {
      walk.erase(walk.begin(), walk.begin() + position[i]);
      break;
    }
  }
  std::string names;
  for (int i : llvm::reverse(walk))
    names += (names.empty() ? "" : " -> ") + nodeName(g.node(i), i);
  error = "the graph has a cycle: " + names + " -> " + nodeName(g.node(walk.back()), walk.back()) +
          " (each consumes the one before)";
  return mlir::failure();
}

} // namespace nuri
