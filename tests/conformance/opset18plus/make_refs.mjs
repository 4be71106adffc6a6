#!/usr/bin/env node
// Computes the reference outputs of the opset 18-23 cases with ONNX Runtime (onnxruntime-node 1.30, CPU).
//
//   benchmarks/peers/ensure_ort.sh
//   node tests/conformance/opset18plus/make_refs.mjs [REGEX]
//
// For every <case>/model.onnx next to this script (whose name matches REGEX, if given) and every
// <case>/test_data_set_*/, feeds input_<i>.pb to the i-th graph input and writes output_<i>.npy,
// the i-th graph output (numpy .npy v1.0, written by benchmarks/peers/npy.mjs).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PEERS = path.resolve(HERE, '../../../benchmarks/peers');
const require = createRequire(path.join(PEERS, 'package.json'));
const ort = require('onnxruntime-node');
const { writeNpy } = await import(path.join(PEERS, 'npy.mjs'));

// ---- the few TensorProto fields numpy_helper.from_array writes: dims (1), data_type (2), raw_data (9)
function varint(buf, pos) {
  let v = 0n, shift = 0n;
  for (;;) {
    const b = buf[pos++];
    v |= BigInt(b & 0x7f) << shift;
    if (!(b & 0x80)) return [v, pos];
    shift += 7n;
  }
}
const ONNX2ORT = { 1: ['float32', Float32Array], 2: ['uint8', Uint8Array], 3: ['int8', Int8Array],
  4: ['uint16', Uint16Array], 5: ['int16', Int16Array], 6: ['int32', Int32Array], 7: ['int64', BigInt64Array],
  9: ['bool', Uint8Array], 10: ['float16', Uint16Array], 11: ['float64', Float64Array], 12: ['uint32', Uint32Array],
  13: ['uint64', BigUint64Array] };

function readTensorProto(file) {
  const buf = fs.readFileSync(file);
  const dims = [];
  let dataType = 0, raw = null;
  for (let pos = 0; pos < buf.length;) {
    let key;
    [key, pos] = varint(buf, pos);
    const field = Number(key >> 3n), wire = Number(key & 7n);
    if (wire === 0) {
      let v;
      [v, pos] = varint(buf, pos);
      if (field === 1) dims.push(Number(v));
      else if (field === 2) dataType = Number(v);
    } else if (wire === 2) {
      let len;
      [len, pos] = varint(buf, pos);
      const body = buf.subarray(pos, pos + Number(len));
      pos += Number(len);
      if (field === 9) raw = body;
      else if (field === 1) for (let p = 0; p < body.length;) { let v; [v, p] = varint(body, p); dims.push(Number(v)); }
    } else if (wire === 5) pos += 4;
    else if (wire === 1) pos += 8;
    else throw new Error(`${file}: unexpected wire type ${wire}`);
  }
  const t = ONNX2ORT[dataType];
  if (!t) throw new Error(`${file}: unsupported data_type ${dataType}`);
  if (!raw) throw new Error(`${file}: no raw_data`);
  const ab = new ArrayBuffer(raw.length);
  new Uint8Array(ab).set(raw);
  return new ort.Tensor(t[0], new t[1](ab), dims);
}

const filter = process.argv[2] ? new RegExp(process.argv[2]) : null;
const byIndex = (a, b) => Number(/\d+/.exec(a)[0]) - Number(/\d+/.exec(b)[0]);
let ok = 0, failed = 0;
for (const name of fs.readdirSync(HERE).sort()) {
  const dir = path.join(HERE, name);
  if (!fs.existsSync(path.join(dir, 'model.onnx')) || (filter && !filter.test(name))) continue;
  try {
    const sess = await ort.InferenceSession.create(path.join(dir, 'model.onnx'),
      { executionProviders: ['cpu'], intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });
    for (const ds of fs.readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort()) {
      const dsDir = path.join(dir, ds);
      const inputs = fs.readdirSync(dsDir).filter((f) => /^input_\d+\.pb$/.test(f)).sort(byIndex);
      const feeds = {};
      inputs.forEach((f, i) => { feeds[sess.inputNames[i]] = readTensorProto(path.join(dsDir, f)); });
      const out = await sess.run(feeds);
      for (const f of fs.readdirSync(dsDir).filter((f) => /^output_\d+\./.test(f))) fs.unlinkSync(path.join(dsDir, f));
      sess.outputNames.forEach((o, i) => {
        const t = out[o];
        writeNpy(path.join(dsDir, `output_${i}.npy`), t.type, t.dims, t.data);
      });
    }
    ok++;
  } catch (e) {
    failed++;
    console.error(`${name}: ${String(e.message || e).split('\n')[0]}`);
  }
}
console.log(`make_refs.mjs: onnxruntime-node ${ort.env.versions.node}: ${ok} cases written, ${failed} failed`);
process.exit(failed ? 1 : 0);
