// Copied unchanged from the peer-baseline harness (shared/peers/npy.mjs) so that a clean clone carries its own copy.
// Minimal .npy (format v1.0) reader/writer for ORT tensors, plus a JSON fallback for string tensors.
// Used by ort_bench.mjs and ort_conformance.mjs. numpy.load() reads everything written here.
import fs from 'node:fs';

// ORT tensor type <-> numpy descr <-> typed array
export const ORT2NPY = {
  float32: ['<f4', Float32Array], float64: ['<f8', Float64Array], float16: ['<f2', Uint16Array],
  int8: ['|i1', Int8Array], uint8: ['|u1', Uint8Array], int16: ['<i2', Int16Array], uint16: ['<u2', Uint16Array],
  int32: ['<i4', Int32Array], uint32: ['<u4', Uint32Array], int64: ['<i8', BigInt64Array], uint64: ['<u8', BigUint64Array],
  bool: ['|b1', Uint8Array],
};
const NPY2ORT = Object.fromEntries(Object.entries(ORT2NPY).map(([k, [d]]) => [d, k]));
NPY2ORT['<f2'] = 'float16';
NPY2ORT['<u2'] = 'uint16';

export function writeNpy(path, type, dims, data) {
  if (type === 'string') {
    fs.writeFileSync(path.replace(/\.npy$/, '.json'), JSON.stringify({ dtype: 'string', shape: dims, data: Array.from(data) }));
    return;
  }
  const m = ORT2NPY[type];
  if (!m) throw new Error(`writeNpy: unsupported type ${type}`);
  const shape = dims.length === 0 ? '()' : dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '${m[0]}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1');
  pre[6] = 1; pre[7] = 0;
  pre.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  fs.writeFileSync(path, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
}

export function readNpy(path) {
  if (path.endsWith('.json')) {
    const j = JSON.parse(fs.readFileSync(path, 'utf8'));
    return { type: j.dtype, dims: j.shape, data: j.data };
  }
  const buf = fs.readFileSync(path);
  if (buf.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not an npy file`);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const hoff = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', hoff, hoff + hlen);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: fortran order not supported`);
  const shapeStr = /'shape':\s*\(([^)]*)\)/.exec(header)[1];
  const dims = shapeStr.split(',').map((s) => s.trim()).filter((s) => s.length).map(Number);
  const type = NPY2ORT[descr];
  if (!type) throw new Error(`${path}: unsupported descr ${descr}`);
  const TA = ORT2NPY[type][1];
  const start = hoff + hlen;
  const n = dims.reduce((a, b) => a * b, 1);
  // copy into an aligned buffer (typed arrays need element-aligned offsets)
  const ab = new ArrayBuffer(n * TA.BYTES_PER_ELEMENT);
  new Uint8Array(ab).set(buf.subarray(start, start + n * TA.BYTES_PER_ELEMENT));
  return { type, dims, data: new TA(ab) };
}
