//===- NpuTarget.cpp - parse and check a target description ---------------===//
#include "targets/npu/description/NpuTarget.h"
#include "targets/npu/description/TargetTable.h"

#include "NpuTargetData.h" // generated: the schema and preset texts
#include "nuri/schemas/npu_target_generated.h"

#include "flatbuffers/idl.h"

#include <fstream>
#include <sstream>

namespace nuri::npu {

std::vector<std::string> presetNames() {
  std::vector<std::string> names;
  for (const Preset &p : kPresets)
    names.push_back(p.name);
  return names;
}

bool parseTarget(const std::string &json, const std::string &source, TargetDescription &out,
                 std::string &error) {
  flatbuffers::IDLOptions options;
  options.strict_json = false;
  flatbuffers::Parser parser(options);
  if (!parser.Parse(kSchema)) {
    error = "internal: the npu_target schema does not parse: " + parser.error_;
    return false;
  }
  if (!parser.Parse(json.c_str())) {
    error = source + ": " + parser.error_;
    return false;
  }
  flatbuffers::Verifier verifier(parser.builder_.GetBufferPointer(), parser.builder_.GetSize());
  if (!VerifyTargetBuffer(verifier)) {
    error = source + ": not a complete target description (name, core.matrix, core.vector, "
                     "core.scratchpad, core.dma and dram are required)";
    return false;
  }
  return fromTable(GetTarget(parser.builder_.GetBufferPointer()), source, out, error);
}

bool loadTarget(const std::string &presetOrPath, TargetDescription &out, std::string &error) {
  bool isPath = presetOrPath.find('/') != std::string::npos ||
                (presetOrPath.size() > 5 &&
                 presetOrPath.compare(presetOrPath.size() - 5, 5, ".json") == 0);
  if (!isPath) {
    for (const Preset &p : kPresets)
      if (presetOrPath == p.name)
        return parseTarget(p.json, std::string("preset '") + p.name + "'", out, error);
    error = "unknown npu preset '" + presetOrPath + "' (presets:";
    for (const Preset &p : kPresets)
      error += std::string(" ") + p.name;
    error += "; or a path to a FlatBuffers JSON target description)";
    return false;
  }
  std::ifstream in(presetOrPath, std::ios::binary);
  if (!in) {
    error = presetOrPath + ": cannot open the target description";
    return false;
  }
  std::stringstream text;
  text << in.rdbuf();
  if (text.str().size() > (1 << 20)) {
    error = presetOrPath + ": a target description of more than 1 MB is not plausible";
    return false;
  }
  return parseTarget(text.str(), presetOrPath, out, error);
}

} // namespace nuri::npu
