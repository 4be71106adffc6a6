#!/usr/bin/env node
// Copied unchanged from the peer-baseline harness (shared/peers/ort_bench.mjs) so that a clean clone carries its own copy.
// ONNX Runtime (CPU EP, onnxruntime-node) latency benchmark + output dump.
//
//   node ort_bench.mjs [options] model1.onnx [model2.onnx ...]
//
// Options (defaults in brackets):
//   --threads=2,1      intra-op thread counts to test, one session each          [2,1]
//   --warmup=N         untimed runs per session                                   [5]
//   --runs=N           minimum timed runs                                         [20]
//   --min-time=S       keep timing until at least S seconds of timed runs         [2]
//   --max-runs=N       cap on timed runs                                          [2000]
//   --seed=N           input RNG seed (inputs depend only on seed+model+input)    [0]
//   --dim=name:val     value for symbolic dims (repeatable; unknown ones -> 1)
//   --out=DIR          where inputs/outputs are dumped as .npy                    [./out]
//   --json=FILE        write all results as JSON                                  [<out>/bench.json]
//   --opt=LEVEL        graphOptimizationLevel disabled|basic|extended|all         [all]
//
// Dumps: <out>/<model>/inputs/<input>.npy  (the exact feeds; a compiler under test should load these)
//        <out>/<model>/ort_t<T>/<output>.npy (ORT outputs for each thread count)
// Input names are sanitised for file names: [^A-Za-z0-9_.-] -> '_'.
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import ort from 'onnxruntime-node';
import { writeNpy } from './npy.mjs';

const args = process.argv.slice(2);
const opt = { threads: '2,1', warmup: '5', runs: '20', 'min-time': '2', 'max-runs': '2000', seed: '0', out: './out', opt: 'all' };
const dimOverrides = {};
const models = [];
for (const a of args) {
  const m = /^--([^=]+)=(.*)$/.exec(a);
  if (m && m[1] === 'dim') { const [k, v] = m[2].split(':'); dimOverrides[k] = Number(v); }
  else if (m) opt[m[1]] = m[2];
  else models.push(a);
}
if (!models.length) { console.error('usage: node ort_bench.mjs [--threads=2,1] [--runs=20] ... model.onnx ...'); process.exit(2); }
const threadList = opt.threads.split(',').map(Number);
const jsonPath = opt.json || path.join(opt.out, 'bench.json');

// ---- deterministic RNG: FNV-1a hash of (seed|model|input) -> mulberry32 stream
function fnv1a(s) { let h = 0x811c9dc5; for (const c of Buffer.from(s)) { h ^= c; h = Math.imul(h, 0x01000193) >>> 0; } return h; }
function mulberry32(a) {
  return () => { a |= 0; a = (a + 0x6D2B79F5) | 0; let t = Math.imul(a ^ (a >>> 15), 1 | a); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
}
function randomTensor(type, dims, rnd) {
  const n = dims.reduce((a, b) => a * b, 1);
  const normal = () => { const u = 1 - rnd(), v = rnd(); return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v); };
  switch (type) {
    case 'float32': { const d = new Float32Array(n); for (let i = 0; i < n; i++) d[i] = normal(); return d; }
    case 'float64': { const d = new Float64Array(n); for (let i = 0; i < n; i++) d[i] = normal(); return d; }
    case 'int64': { const d = new BigInt64Array(n); for (let i = 0; i < n; i++) d[i] = BigInt(Math.floor(rnd() * 10)); return d; }
    case 'int32': { const d = new Int32Array(n); for (let i = 0; i < n; i++) d[i] = Math.floor(rnd() * 10); return d; }
    case 'uint8': case 'bool': { const d = new Uint8Array(n); for (let i = 0; i < n; i++) d[i] = type === 'bool' ? (rnd() < 0.5 ? 1 : 0) : Math.floor(rnd() * 256); return d; }
    default: throw new Error(`no random generator for input type ${type}`);
  }
}
const safe = (s) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
const median = (a) => { const s = [...a].sort((x, y) => x - y); const k = s.length >> 1; return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2; };

const results = { ort_version: ort.env.versions, node: process.version, cpu: os.cpus()[0]?.model, ncpu: os.cpus().length,
  options: opt, models: [] };
console.log(`onnxruntime-node ${ort.env.versions.node}  node ${process.version}  cpus=${os.cpus().length}`);
console.log('model'.padEnd(16), 'threads', 'runs'.padStart(5), 'median_ms'.padStart(10), 'min_ms'.padStart(9), 'p90_ms'.padStart(9), 'load_ms'.padStart(8));

for (const modelPath of models) {
  const name = path.basename(modelPath).replace(/\.onnx$/, '');
  const mdir = path.join(opt.out, name);
  fs.mkdirSync(path.join(mdir, 'inputs'), { recursive: true });
  let feeds = null;
  const outsByThreads = {};
  for (const threads of threadList) {
    const t0 = performance.now();
    const sess = await ort.InferenceSession.create(modelPath, {
      executionProviders: ['cpu'], intraOpNumThreads: threads, interOpNumThreads: 1,
      executionMode: 'sequential', graphOptimizationLevel: opt.opt,
    });
    const loadMs = performance.now() - t0;
    if (!feeds) {  // same inputs for every thread count
      feeds = {};
      for (const md of sess.inputMetadata) {
        if (!md.isTensor) throw new Error(`${name}: non-tensor input ${md.name}`);
        const dims = md.shape.map((d) => (typeof d === 'number' && d >= 0 ? d : (dimOverrides[d] ?? 1)));
        const rnd = mulberry32(fnv1a(`${opt.seed}|${name}|${md.name}`));
        const data = randomTensor(md.type, dims, rnd);
        feeds[md.name] = new ort.Tensor(md.type, data, dims);
        writeNpy(path.join(mdir, 'inputs', safe(md.name) + '.npy'), md.type, dims, data);
      }
    }
    let out;
    for (let i = 0; i < Number(opt.warmup); i++) out = await sess.run(feeds);
    const times = [];
    const minRuns = Number(opt.runs), maxRuns = Number(opt['max-runs']), minTime = Number(opt['min-time']) * 1000;
    let spent = 0;
    while (times.length < maxRuns && (times.length < minRuns || spent < minTime)) {
      const a = process.hrtime.bigint();
      out = await sess.run(feeds);
      const ms = Number(process.hrtime.bigint() - a) / 1e6;
      times.push(ms); spent += ms;
    }
    const odir = path.join(mdir, `ort_t${threads}`);
    fs.mkdirSync(odir, { recursive: true });
    for (const [oname, t] of Object.entries(out)) writeNpy(path.join(odir, safe(oname) + '.npy'), t.type, t.dims, t.data);
    outsByThreads[threads] = out;
    const s = [...times].sort((x, y) => x - y);
    const r = { model: name, path: modelPath, threads, runs: times.length, median_ms: median(times), min_ms: s[0],
      p90_ms: s[Math.min(s.length - 1, Math.floor(0.9 * s.length))], mean_ms: times.reduce((a, b) => a + b, 0) / times.length, load_ms: loadMs };
    results.models.push(r);
    console.log(name.padEnd(16), String(threads).padStart(7), String(r.runs).padStart(5), r.median_ms.toFixed(3).padStart(10),
      r.min_ms.toFixed(3).padStart(9), r.p90_ms.toFixed(3).padStart(9), loadMs.toFixed(0).padStart(8));
    await sess.release();
  }
  // sanity: outputs should agree across thread counts (they may differ in the last bits: reduction order)
  if (threadList.length > 1) {
    const [ta, tb] = threadList;
    for (const k of Object.keys(outsByThreads[ta])) {
      const A = outsByThreads[ta][k].data, B = outsByThreads[tb][k].data;
      let md = 0; if (typeof A[0] === 'number') for (let i = 0; i < A.length; i++) md = Math.max(md, Math.abs(A[i] - B[i]));
      console.log(`  ${name}:${k} max|t${ta}-t${tb}| = ${md.toExponential(2)}`);
      results.models.filter((r) => r.model === name).forEach((r) => { r[`maxdiff_${k}_t${ta}_vs_t${tb}`] = md; });
    }
  }
}
fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
fs.writeFileSync(jsonPath, JSON.stringify(results, null, 1));
console.log(`results -> ${jsonPath}`);
