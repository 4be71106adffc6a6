//===- TargetTable.h - a target description as a FlatBuffers table --*- C++ -*-===//
//
// The binary side of the target description: read and check a verified
// nuri.npu.Target table (the one a Program carries), and write one. Only the
// FlatBuffers headers: linking these needs no libflatbuffers (the JSON parser
// stays in NpuTarget.cpp, on the compiler's side).
//
//===----------------------------------------------------------------------===//
#ifndef NURI_TARGETS_NPU_DESCRIPTION_TARGETTABLE_H
#define NURI_TARGETS_NPU_DESCRIPTION_TARGETTABLE_H

#include "targets/npu/description/NpuTarget.h"

#include "nuri/schemas/npu_target_generated.h"

#include <string>

namespace nuri::npu {

/// Copies a target table (from a verified buffer) into `out` and checks every
/// number's range; `source` names it in messages. The checks parseTarget
/// applies to a JSON file.
bool fromTable(const nuri::npu::Target *table, const std::string &source, TargetDescription &out,
               std::string &error);

/// Writes `target` as a table (not finished: the caller places it).
flatbuffers::Offset<nuri::npu::Target> buildTarget(flatbuffers::FlatBufferBuilder &builder,
                                                   const TargetDescription &target);

} // namespace nuri::npu

#endif
