// npm run bench:ready — where a model's ready time goes, in Node (the single-thread wasm build, as in a Worker): the
// wasm start, the allocation, copying the file into fresh engine memory, the same copy again into memory already
// touched (the difference is the first-touch page faults), and hl_model_load (validation, int8 panels packed).
// Usage: node tools/bench/ready_profile.mjs [--model build/fixtures/base-mlm.int8.hlm] [--runs 3]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { root } from '../../tests/e2e/browser.mjs';
import { Engine } from '../../web/engine/headlight.js';

const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const file = path.resolve(arg('--model', path.join(root, 'build/fixtures/base-mlm.int8.hlm')));
const runs = Number(arg('--runs', 3));
const bytes = new Uint8Array(readFileSync(file));
const require = createRequire(import.meta.url);
const create = require(path.join(root, 'build/wasm-st/headlight-st-node.cjs'));
const wasmBinary = readFileSync(path.join(root, 'build/wasm-st/headlight-st-node.wasm'));

console.log(`${path.relative(root, file)}: ${(bytes.length / 1e6).toFixed(1)} MB, ${runs} runs, each in a fresh engine`);
console.log('| wasm start (ms) | allocation (ms) | copy into fresh memory (ms) | the same copy again (ms) | hl_model_load (ms) |');
console.log('|---:|---:|---:|---:|---:|');
for (let k = 0; k < runs; k++) {
  const t0 = performance.now();
  const engine = new Engine(await create({ wasmBinary }));
  const t1 = performance.now();
  const f = engine.heapFile(engine.alloc(bytes.length), bytes.length);
  const t2 = performance.now();
  f.write(0, bytes);
  const t3 = performance.now();
  f.write(0, bytes);
  const t4 = performance.now();
  const model = f.load({ threads: 1 });  // the engine takes the buffer over
  const t5 = performance.now();
  console.log(`| ${[t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4].map((x) => x.toFixed(0)).join(' | ')} |`);
  engine.freeModel(model);
}
