// Verification of .nuri artifacts. Nothing from the file is used before
// verifyArtifact accepts it: first flatbuffers::Verifier (structure and
// identifier), then the semantic checks of every index, offset and size.
#ifndef NURI_MODULE_ARTIFACT_H
#define NURI_MODULE_ARTIFACT_H

#include "nuri/runtime.h"
#include "nuri/schemas/artifact_generated.h"

#include <cstddef>
#include <cstdint>

namespace nuri {

// Upper bounds that keep size arithmetic far from overflow and reject
// absurd values early.
constexpr uint64_t kMaxBufferBytes = uint64_t(1) << 44;
constexpr uint32_t kMaxWorkgroupCount = uint32_t(1) << 24;
constexpr size_t kMaxRank = 16;
// A STRING tensor's per-element width (TensorSignature.string_bytes).
constexpr uint32_t kMaxStringBytes = 65536;

// `name` (usually the file path) prefixes every message. On success
// *out_model points into `data`. DATA_LOSS for a corrupt or inconsistent
// artifact, INVALID_ARGUMENT for a file that is not an artifact.
nuri_status_t verifyArtifact(const uint8_t *data, size_t size, const char *name,
                             const artifact::Model **out_model);

// Bytes per element of a signature: string_bytes for STRING tensors, else
// the dtype's size; 0 for an unknown dtype or an unverified bad string width.
uint64_t elementBytes(const artifact::TensorSignature *signature);

// True when an Allocate command of a verified model sizes buffer `id` at run
// time (its size field is then 0).
bool isAllocated(const artifact::Model *model, uint32_t id);

} // namespace nuri

#endif // NURI_MODULE_ARTIFACT_H
