#!/usr/bin/env node
// Runs one model once on ONNX Runtime (CPU EP, one thread) with the given .npy inputs and writes its outputs.
//
//   node ort_run.mjs MODEL.onnx OUT_DIR NAME=FILE.npy [NAME=FILE.npy ...]
//
// Writes OUT_DIR/<output>.npy (names sanitised: [^A-Za-z0-9_.-] -> '_'). The reference for tests that feed
// their own inputs (tests/e2e/real_models.py); ort_bench.mjs draws its inputs itself.
import fs from 'node:fs';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { readNpy, writeNpy } from './npy.mjs';

const [model, outDir, ...specs] = process.argv.slice(2);
if (!model || !outDir) { console.error('usage: node ort_run.mjs MODEL.onnx OUT_DIR NAME=FILE.npy ...'); process.exit(2); }
ort.env.logLevel = 'fatal';
const feeds = {};
for (const s of specs) {
  const eq = s.indexOf('=');
  if (eq <= 0) { console.error(`ort_run.mjs: error: '${s}' is not NAME=FILE.npy`); process.exit(2); }
  const t = readNpy(s.slice(eq + 1));
  feeds[s.slice(0, eq)] = new ort.Tensor(t.type, t.data, t.dims);
}
const sess = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1,
  interOpNumThreads: 1, logSeverityLevel: 4 });
const res = await sess.run(feeds);
fs.mkdirSync(outDir, { recursive: true });
for (const [name, t] of Object.entries(res))
  writeNpy(path.join(outDir, name.replace(/[^A-Za-z0-9_.-]/g, '_') + '.npy'), t.type, t.dims, t.data);
