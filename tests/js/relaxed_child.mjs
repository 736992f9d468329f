// Child process for relaxed.test.mjs: the relaxed-SIMD pthreads build (2 threads) next to the plain single-thread build
// on the same int8 model and text; prints the comparison as JSON, then exits explicitly (Emscripten's pthread workers
// would keep Node alive).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = path.join(root, 'build', 'fixtures', 'tiny-mlm');
const files = {
  config: readFileSync(path.join(dir, 'config.json'), 'utf8'),
  vocab: readFileSync(path.join(dir, 'vocab.txt'), 'utf8'),
  safetensors: new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))),
};
const st = await nodeEngine('st'), mt = await nodeEngine('mt-relaxed');
const bytes = st.convert(files, { int8: true });
const m1 = st.loadModel(bytes), m2 = mt.loadModel(bytes, { threads: 2 });
const text = 'the quick brown fox jumps over the lazy dog';
const r1 = st.run(m1, text), r2 = mt.run(m2, text);
let maxDiff = 0;
for (let i = 0; i < r1.attention.length; i++) maxDiff = Math.max(maxDiff, Math.abs(r1.attention[i] - r2.attention[i]));
process.stdout.write(JSON.stringify({ threads: m2.info.threads, n: r2.n, length: r2.attention.length, maxDiff }) + '\n');
process.exit(0);
