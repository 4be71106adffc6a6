// Running an artifact with dispatch tracing, and comparing two runs.
#include "compare.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>

namespace nuri::compare {
namespace {

std::string take(nuri_status_t status) {
  std::string message = nuri_status_message(status);
  nuri_status_free(status);
  return message;
}

/// Owns the runtime objects of one run.
struct Runtime {
  nuri_instance_t instance = nullptr;
  nuri_device_t device = nullptr;
  nuri_module_t module = nullptr;
  nuri_session_t session = nullptr;
  ~Runtime() {
    if (session)
      nuri_session_release(session);
    if (module)
      nuri_module_release(module);
    if (device)
      nuri_device_release(device);
    if (instance)
      nuri_instance_release(instance);
  }
};

uint16_t toBf16Bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return uint16_t((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

float fromHalf(uint16_t h) { // IEEE binary16
  uint32_t sign = uint32_t(h >> 15) << 31, exp = (h >> 10) & 31, man = h & 1023, u;
  if (exp == 0)
    return (sign ? -1.0f : 1.0f) * std::ldexp(float(man), -24);
  if (exp == 31)
    u = sign | 0x7F800000u | (man << 13);
  else
    u = sign | ((exp + 112) << 23) | (man << 13);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

struct HookState {
  DeviceRun *run;
  const Fault *fault;
  const DeviceRun *feed; // isolation: the reference's results replace ours
  bool lowPrecision = false;
};

/// Adds 1 to every element of a float result (or flips the bits of others),
/// so the fault shows and propagates.
void injectFault(const nuri_dispatch_result_t &r, void *host) {
  size_t size = nuri_dtype_size(r.dtype);
  uint64_t count = 1;
  for (size_t d = 0; d < r.rank; ++d)
    count *= uint64_t(r.shape[d]);
  auto *bytes = static_cast<uint8_t *>(host);
  for (uint64_t i = 0; i < count; ++i) {
    if (r.dtype == NURI_DTYPE_F32) {
      float v;
      std::memcpy(&v, bytes + i * 4, 4);
      v += 1.0f;
      std::memcpy(bytes + i * 4, &v, 4);
    } else {
      for (size_t b = 0; b < size; ++b)
        bytes[i * size + b] ^= 0x5A;
    }
  }
}

nuri_status_t traceDispatch(void *user, const nuri_dispatch_info_t *info) {
  auto *state = static_cast<HookState *>(user);
  DispatchRun d;
  d.index = info->index;
  d.name = info->name ? info->name : "";
  d.format = info->format ? info->format : "";
  for (size_t i = 0; i < info->node_count; ++i)
    d.nodes.push_back(info->nodes[i]);
  d.seconds = info->seconds;
  // Computed in bf16 on the NPU, or (unless each dispatch is isolated)
  // downstream of something that was.
  bool npu = d.format == "npu-isa-v1";
  state->lowPrecision = (state->lowPrecision && !state->feed) || npu;
  d.lowPrecision = state->lowPrecision;
  const DispatchRun *fed = state->feed && info->index < state->feed->dispatches.size()
                               ? &state->feed->dispatches[info->index]
                               : nullptr;
  bool inject = state->fault->device == state->run->device &&
                state->fault->dispatch == int64_t(info->index);
  for (size_t i = 0; i < info->result_count; ++i) {
    const nuri_dispatch_result_t &r = info->results[i];
    void *host = nullptr;
    if (nuri_status_t status = nuri_buffer_map(r.buffer, &host))
      return status;
    if (inject)
      injectFault(r, host);
    Tensor t;
    t.dtype = r.dtype;
    t.shape.assign(r.shape, r.shape + r.rank);
    uint64_t bytes = t.count() * nuri_dtype_size(r.dtype);
    t.data.assign(static_cast<uint8_t *>(host), static_cast<uint8_t *>(host) + bytes);
    // Isolation: later dispatches read what the reference computed, so each
    // dispatch's comparison shows its own error alone.
    if (fed && i < fed->results.size() && fed->results[i].data.size() == bytes)
      std::memcpy(host, fed->results[i].data.data(), bytes);
    d.results.push_back(std::move(t));
  }
  state->run->dispatches.push_back(std::move(d));
  return nullptr;
}

/// npu-sim's per-kernel cycles (from its stats JSON), by kernel name.
void addSimulatedTimes(nuri_device_t device, DeviceRun &run) {
  char *json = nullptr;
  if (nuri_status_t status = nuri_device_profile(device, NURI_PROFILE_STATS_JSON, &json)) {
    nuri_status_free(status);
    return;
  }
  std::string text(json);
  nuri_profile_free(json);
  double clock = 0;
  if (size_t at = text.find("\"clock_hz\":"); at != std::string::npos)
    clock = std::strtod(text.c_str() + at + 11, nullptr);
  if (clock <= 0)
    return;
  // Each kernel entry: {"name":"dispatch_3","invocations":1,"cycles":123,...}
  for (DispatchRun &d : run.dispatches) {
    std::string key = "{\"name\":\"" + d.name + "\"";
    size_t at = text.find(key);
    if (at == std::string::npos)
      continue;
    size_t inv = text.find("\"invocations\":", at), cyc = text.find("\"cycles\":", at);
    if (inv == std::string::npos || cyc == std::string::npos)
      continue;
    double invocations = std::strtod(text.c_str() + inv + 14, nullptr);
    double cycles = std::strtod(text.c_str() + cyc + 9, nullptr);
    if (invocations > 0)
      d.simulatedSeconds = cycles / invocations / clock;
  }
}

} // namespace

uint64_t Tensor::count() const {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= uint64_t(d);
  return n;
}

double Tensor::at(uint64_t i) const {
  const uint8_t *p = data.data();
  switch (dtype) {
  case NURI_DTYPE_F32: { float v; std::memcpy(&v, p + i * 4, 4); return v; }
  case NURI_DTYPE_F64: { double v; std::memcpy(&v, p + i * 8, 8); return v; }
  case NURI_DTYPE_F16: { uint16_t h; std::memcpy(&h, p + i * 2, 2); return fromHalf(h); }
  case NURI_DTYPE_BF16: {
    uint16_t h; std::memcpy(&h, p + i * 2, 2);
    uint32_t u = uint32_t(h) << 16; float v; std::memcpy(&v, &u, 4); return v;
  }
  case NURI_DTYPE_I8: return int8_t(p[i]);
  case NURI_DTYPE_U8: case NURI_DTYPE_I1: return p[i];
  case NURI_DTYPE_I16: { int16_t v; std::memcpy(&v, p + i * 2, 2); return v; }
  case NURI_DTYPE_U16: { uint16_t v; std::memcpy(&v, p + i * 2, 2); return v; }
  case NURI_DTYPE_I32: { int32_t v; std::memcpy(&v, p + i * 4, 4); return v; }
  case NURI_DTYPE_U32: { uint32_t v; std::memcpy(&v, p + i * 4, 4); return v; }
  case NURI_DTYPE_I64: { int64_t v; std::memcpy(&v, p + i * 8, 8); return double(v); }
  case NURI_DTYPE_U64: { uint64_t v; std::memcpy(&v, p + i * 8, 8); return double(v); }
  default: return 0;
  }
}

bool prepareInputs(const std::string &artifact, const std::vector<std::string> &inputSpecs,
                   uint64_t seed, std::vector<HostTensor> &inputs, std::string &error) {
  Runtime rt;
  if (nuri_status_t s = nuri_instance_create(&rt.instance)) {
    error = take(s);
    return false;
  }
  if (nuri_status_t s = nuri_module_load_file(rt.instance, artifact.c_str(), &rt.module)) {
    error = take(s);
    return false;
  }
  size_t count = nuri_module_input_count(rt.module);
  inputs.assign(count, HostTensor{});
  std::vector<bool> given(count, false);
  for (const std::string &spec : inputSpecs) {
    size_t eq = spec.find('=');
    if (eq == std::string::npos) {
      error = "--input '" + spec + "': expected NAME=FILE";
      return false;
    }
    size_t index = 0;
    if (nuri_status_t s = nuri_module_find_input(rt.module, spec.substr(0, eq).c_str(), &index)) {
      error = "--input '" + spec + "': " + take(s);
      return false;
    }
    std::string message = readTensorFile(spec.substr(eq + 1), inputs[index]);
    if (!message.empty()) {
      error = message;
      return false;
    }
    given[index] = true;
  }
  std::mt19937_64 random(seed);
  for (size_t i = 0; i < count; ++i) {
    nuri_tensor_info_t info;
    if (nuri_status_t s = nuri_module_input_info(rt.module, i, &info)) {
      error = take(s);
      return false;
    }
    HostTensor &t = inputs[i];
    t.name = info.name;
    if (given[i])
      continue;
    if (info.dtype == NURI_DTYPE_STRING) {
      error = std::string("input '") + info.name + "' is a string: give it with --input";
      return false;
    }
    t.dtype = info.dtype;
    t.shape.assign(info.shape, info.shape + info.rank);
    for (int64_t d : t.shape)
      if (d < 0) {
        error = std::string("input '") + info.name + "' has a run-time shape: give it with --input";
        return false;
      }
    uint64_t n = t.elementCount();
    size_t size = nuri_dtype_size(t.dtype);
    t.data.assign(n * size, 0);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (uint64_t e = 0; e < n; ++e) {
      uint8_t *p = t.data.data() + e * size;
      if (t.dtype == NURI_DTYPE_F32) {
        float v = uniform(random);
        std::memcpy(p, &v, 4);
      } else if (t.dtype == NURI_DTYPE_BF16) {
        uint16_t v = toBf16Bits(uniform(random));
        std::memcpy(p, &v, 2);
      } else if (t.dtype == NURI_DTYPE_F64) {
        double v = uniform(random);
        std::memcpy(p, &v, 8);
      } else if (t.dtype == NURI_DTYPE_I1) {
        *p = random() & 1;
      } else {
        uint64_t v = random() % 4; // small: safe as an index or a count
        std::memcpy(p, &v, size);
      }
    }
  }
  return true;
}

bool runOnDevice(const std::string &artifact, const std::string &device,
                 const std::vector<HostTensor> &inputs, const Fault &fault, DeviceRun &out,
                 std::string &error, const DeviceRun *feed) {
  out = DeviceRun{};
  out.device = device;
  Runtime rt;
  auto fail = [&](nuri_status_t status, const std::string &what) {
    error = device + ": " + what + ": " + take(status);
    return false;
  };
  if (nuri_status_t s = nuri_instance_create(&rt.instance))
    return fail(s, "instance");
  // Driver plugins (nuri-compare --driver-plugin puts them on the path).
  if (nuri_status_t s = nuri_instance_load_driver_path(rt.instance))
    return fail(s, "driver plugins");
  nuri_device_options_t options;
  nuri_device_options_init(&options);
  options.thread_count = 1; // comparable per-dispatch times
  if (nuri_status_t s = nuri_device_create(rt.instance, device.c_str(), &options, &rt.device))
    return fail(s, "device");
  if (nuri_status_t s = nuri_module_load_file(rt.instance, artifact.c_str(), &rt.module))
    return fail(s, "load");
  if (nuri_status_t s = nuri_session_create(rt.module, rt.device, &rt.session))
    return fail(s, "session");
  HookState state{&out, &fault, feed};
  if (nuri_status_t s = nuri_session_set_dispatch_hook(rt.session, traceDispatch, &state))
    return fail(s, "tracing");
  nuri_status_free(nuri_device_profile_reset(rt.device)); // no counters on the cpu: ignored
  // Bind the inputs.
  nuri_allocator_t allocator = nuri_device_allocator(rt.device);
  std::vector<nuri_buffer_t> in(inputs.size(), nullptr);
  struct Release {
    std::vector<nuri_buffer_t> &buffers;
    ~Release() {
      for (nuri_buffer_t b : buffers)
        if (b)
          nuri_buffer_release(b);
    }
  } releaseInputs{in};
  for (size_t i = 0; i < inputs.size(); ++i) {
    nuri_tensor_info_t info;
    if (nuri_status_t s = nuri_module_input_info(rt.module, i, &info))
      return fail(s, "input");
    if (inputs[i].dtype != info.dtype || inputs[i].data.size() != info.byte_size) {
      error = "input '" + inputs[i].name + "' is " + describe(inputs[i].dtype, inputs[i].shape) +
              ", the model expects " +
              describe(info.dtype, std::vector<int64_t>(info.shape, info.shape + info.rank));
      return false;
    }
    if (nuri_status_t s = nuri_allocator_allocate(allocator, info.byte_size, &in[i]))
      return fail(s, "input buffer");
    void *host = nullptr;
    if (nuri_status_t s = nuri_buffer_map(in[i], &host))
      return fail(s, "input buffer");
    std::memcpy(host, inputs[i].data.data(), info.byte_size);
  }
  size_t outputCount = nuri_module_output_count(rt.module);
  std::vector<nuri_buffer_t> outputs(outputCount, nullptr);
  Release releaseOutputs{outputs};
  auto start = std::chrono::steady_clock::now();
  if (nuri_status_t s = nuri_session_invoke(rt.session, in.data(), in.size(), outputs.data(),
                                            outputs.size()))
    return fail(s, "invoke");
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (size_t i = 0; i < outputCount; ++i) {
    nuri_tensor_info_t info;
    if (nuri_status_t s = nuri_module_output_info(rt.module, i, &info))
      return fail(s, "output");
    Tensor t;
    t.dtype = info.dtype;
    t.shape.resize(info.rank);
    if (nuri_status_t s = nuri_session_output_shape(rt.session, i, t.shape.data(), info.rank))
      return fail(s, "output");
    void *host = nullptr;
    if (nuri_status_t s = nuri_buffer_map(outputs[i], &host))
      return fail(s, "output");
    uint64_t bytes = info.dtype == NURI_DTYPE_STRING ? info.byte_size
                                                     : t.count() * nuri_dtype_size(info.dtype);
    t.data.assign(static_cast<uint8_t *>(host), static_cast<uint8_t *>(host) + bytes);
    out.outputNames.push_back(info.name);
    out.outputs.push_back(std::move(t));
  }
  addSimulatedTimes(rt.device, out);
  return true;
}

Metrics compareTensor(const Tensor &reference, const Tensor &got, bool lowPrecision,
                      const Tolerance &tol) {
  Metrics m;
  m.histogram.assign(12, 0);
  m.count = reference.count();
  if (reference.dtype != got.dtype || reference.shape != got.shape) {
    m.pass = false;
    m.metric = "exact";
    m.note = std::string("dtype/shape ") + describe(got.dtype, got.shape) + " vs reference " +
             describe(reference.dtype, reference.shape);
    return m;
  }
  bool isFloat = reference.dtype == NURI_DTYPE_F32 || reference.dtype == NURI_DTYPE_F64 ||
                 reference.dtype == NURI_DTYPE_F16 || reference.dtype == NURI_DTYPE_BF16;
  bool halfPrecision = reference.dtype == NURI_DTYPE_F16 || reference.dtype == NURI_DTYPE_BF16;
  m.metric = !isFloat ? "exact" : (lowPrecision || halfPrecision) ? "cosine+rel_l2" : "allclose";
  double dot = 0, nr = 0, ng = 0, nd = 0;
  for (uint64_t i = 0; i < m.count; ++i) {
    double r = reference.at(i), g = got.at(i), d = std::fabs(g - r);
    bool bothNan = std::isnan(r) && std::isnan(g);
    if (bothNan || r == g)
      d = 0; // equal infinities too (-inf padding before a MaxPool): inf - inf is NaN
    else if (std::isnan(d))
      d = INFINITY;
    m.maxAbs = std::max(m.maxAbs, d);
    if (r != 0)
      m.maxRel = std::max(m.maxRel, d / std::fabs(r));
    // (int of an infinite log is undefined: the last bin explicitly.)
    int bin = d < 1e-9 ? 0 : d >= 1e1 ? 11 : std::min(11, 1 + int(std::floor(std::log10(d) + 9)));
    m.histogram[bin]++;
    if (!bothNan && !(r == g && std::isinf(r))) { // equal infinities agree, add nothing
      dot += r * g, nr += r * r, ng += g * g, nd += (g - r) * (g - r);
    }
    // NaN where the reference has NaN agrees (sqrt of a negative), whatever
    // its sign bit; atol + rtol * |NaN| would not.
    bool ok = bothNan || (m.metric == "exact"      ? r == g
                          : m.metric == "allclose" ? d <= tol.atol + tol.rtol * std::fabs(r)
                                                   : true);
    if (!ok)
      m.mismatches++;
  }
  m.cosine = nr > 0 && ng > 0 ? dot / std::sqrt(nr * ng) : (nr == ng ? 1 : 0);
  m.relL2 = nr > 0 ? std::sqrt(nd / nr) : std::sqrt(nd);
  if (m.metric == "cosine+rel_l2")
    m.pass = std::isfinite(m.relL2) && m.cosine >= tol.minCosine && m.relL2 <= tol.maxRelL2;
  else
    m.pass = m.mismatches == 0;
  return m;
}

DeviceComparison compareRuns(const DeviceRun &reference, const DeviceRun &got,
                             const Tolerance &tolerance) {
  DeviceComparison c;
  c.device = got.device;
  size_t n = std::min(reference.dispatches.size(), got.dispatches.size());
  for (size_t i = 0; i < n; ++i) {
    const DispatchRun &r = reference.dispatches[i], &g = got.dispatches[i];
    DispatchComparison d{r.index, r.name, r.nodes, {}, true};
    bool low = r.lowPrecision || g.lowPrecision;
    for (size_t k = 0; k < std::min(r.results.size(), g.results.size()); ++k) {
      d.results.push_back(compareTensor(r.results[k], g.results[k], low, tolerance));
      d.pass &= d.results.back().pass;
    }
    if (!d.pass && c.firstDivergence < 0)
      c.firstDivergence = r.index;
    c.pass &= d.pass;
    c.dispatches.push_back(std::move(d));
  }
  if (reference.dispatches.size() != got.dispatches.size())
    c.pass = false;
  bool low = !got.dispatches.empty() && got.dispatches.back().lowPrecision;
  low |= !reference.dispatches.empty() && reference.dispatches.back().lowPrecision;
  for (size_t k = 0; k < std::min(reference.outputs.size(), got.outputs.size()); ++k) {
    c.outputs.push_back(compareTensor(reference.outputs[k], got.outputs[k], low, tolerance));
    c.pass &= c.outputs.back().pass;
  }
  return c;
}

std::string sci(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3g", v);
  return buffer;
}

} // namespace nuri::compare
