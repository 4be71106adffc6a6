// nuri-compare's core: run one artifact on a device with dispatch tracing,
// and compare what two devices computed, dispatch by dispatch. The reports
// (report.cpp) and the command line (nuri-compare.cpp) build on it; no MLIR.
#ifndef NURI_TOOLS_COMPARE_COMPARE_H
#define NURI_TOOLS_COMPARE_COMPARE_H

#include "tensor_io.h"

#include <cstdint>
#include <string>
#include <vector>

namespace nuri::compare {

/// A tensor a dispatch wrote (or a model output), copied to the host.
struct Tensor {
  nuri_dtype_t dtype = NURI_DTYPE_F32;
  std::vector<int64_t> shape;
  std::vector<uint8_t> data;
  uint64_t count() const;
  double at(uint64_t i) const; // element i as a double
};

struct DispatchRun {
  uint32_t index = 0;
  std::string name, format;
  std::vector<std::string> nodes;
  std::vector<Tensor> results;
  double seconds = 0;         // host wall time
  double simulatedSeconds = -1; // npu-sim: the kernel's cycles at the target clock
  bool lowPrecision = false;  // this dispatch or one before it computed in bf16
};

struct DeviceRun {
  std::string device;
  std::vector<DispatchRun> dispatches;
  std::vector<std::string> outputNames;
  std::vector<Tensor> outputs;
  double seconds = 0;
};

/// Perturbs one dispatch's results on one device (testing the tool itself).
struct Fault {
  std::string device;
  int64_t dispatch = -1;
};

/// Runs the artifact at `artifact` on `device` with `inputs` (in model
/// order), tracing every dispatch. With `feed` (a reference run of the same
/// artifact), each dispatch's results are replaced by the reference's after
/// they are recorded, so every dispatch runs on the reference's inputs and
/// its error is its own. Returns false with `error` set.
bool runOnDevice(const std::string &artifact, const std::string &device,
                 const std::vector<HostTensor> &inputs, const Fault &fault, DeviceRun &out,
                 std::string &error, const DeviceRun *feed = nullptr);

/// The model's inputs: from files where given (NAME=FILE), else seeded
/// random values (floats uniform in [-1, 1), integers in [0, 4), bools).
bool prepareInputs(const std::string &artifact, const std::vector<std::string> &inputSpecs,
                   uint64_t seed, std::vector<HostTensor> &inputs, std::string &error);

/// Tolerances by element type and precision.
struct Tolerance {
  double rtol = 1e-3, atol = 1e-4;            // f32 (and f64): allclose
  double minCosine = 0.999, maxRelL2 = 3e-2;  // bf16/f16, or computed in bf16
};

struct Metrics {
  std::string metric;  // "allclose", "cosine+rel_l2", "exact"
  bool pass = true;
  double maxAbs = 0, maxRel = 0, cosine = 1, relL2 = 0;
  uint64_t mismatches = 0, count = 0;
  std::vector<uint64_t> histogram; // |error| per decade: <1e-9, 1e-9..1e-8, ..., >=1e1 (12 bins)
  std::string note;    // shape or dtype differences
};

Metrics compareTensor(const Tensor &reference, const Tensor &got, bool lowPrecision,
                      const Tolerance &tolerance);

struct DispatchComparison {
  uint32_t index;
  std::string name;
  std::vector<std::string> nodes;
  std::vector<Metrics> results;
  bool pass = true;
};

struct DeviceComparison {
  std::string device;  // compared with the reference device
  std::vector<DispatchComparison> dispatches;
  std::vector<Metrics> outputs;
  int64_t firstDivergence = -1; // dispatch index
  bool pass = true;
};

DeviceComparison compareRuns(const DeviceRun &reference, const DeviceRun &got,
                             const Tolerance &tolerance);

/// "1.2e-03"-style formatting shared by the reports.
std::string sci(double v);

} // namespace nuri::compare

#endif
