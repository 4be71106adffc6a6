// Internal layout of modules and sessions.
#ifndef NURI_MODULE_MODULE_H
#define NURI_MODULE_MODULE_H

#include "hal/objects.h"
#include "module/artifact.h"

#include <memory>
#include <string>
#include <vector>

struct nuri_module_s : nuri::RefCounted {
  struct Tensor {
    std::string name;
    nuri_dtype_t dtype;
    std::vector<int64_t> shape; // -1 where only known after a call
    // Bytes per element: the dtype's size, or string_bytes for STRING.
    uint64_t elementBytes = 0;
    uint64_t byteSize;          // for run-time shapes: the capacity
    int32_t dimsBuffer = -1;    // buffer holding the run-time dimensions
    bool allocated = false;     // sized by an Allocate command during a call
    // Symbolic dimensions (shape -1, no dimsBuffer): one size program per
    // dimension, evaluated on the symbols of each call; byteSize is 0.
    const flatbuffers::Vector<flatbuffers::Offset<nuri::artifact::SizeExpr>> *dimExprs = nullptr;
    bool symbolic = false;
    uint32_t buffer = 0;        // the host program's buffer id
  };
  nuri_instance_t instance = nullptr;
  std::string name;
  // The artifact bytes (an mmap or an aligned copy); shared with constant
  // buffers that use them in place, so it may outlive the module.
  std::shared_ptr<const void> storage;
  const nuri::artifact::Model *model = nullptr;
  std::vector<Tensor> inputs, outputs;
  ~nuri_module_s();
};

#endif // NURI_MODULE_MODULE_H
