// npm run bench:analysis — the analyses' cost in the wasm engine (single thread, as the page's fallback): per-head
// statistics and head distances for one text at 128 and 512 tokens, on the built-in model and the bert-base-shaped
// fixture (build/fixtures, made by npm test). Natively, tools/analyze prints the same stages' seconds.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { nodeEngine } from '../eval/node_engine.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const words = readFileSync(path.join(root, 'models/headlight-mini/heldout-pairs.tsv'), 'utf8').replaceAll('[MASK]', 'thing').split(/\s+/);
const engine = await nodeEngine('st');
const models = [['headlight-mini', 'models/headlight-mini/headlight-mini.hlm'], ['bert-base shape', 'build/fixtures/base-mlm.int8.hlm']];
console.log('| model | tokens | run (ms) | run with statistics (ms) | run + head distances (ms) | MDS (ms) |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [name, file] of models) {
  if (!existsSync(path.join(root, file))) { console.log(`| ${name} | (missing ${file}: run npm test first) | | | | |`); continue; }
  const model = engine.loadModel(new Uint8Array(readFileSync(path.join(root, file))));
  for (const target of [128, 512]) {
    const text = words.slice(0, target).join(' ');  // at least `target` tokens; the engine cuts to the size asked
    // Median of 3 (after a warm-up run that sizes the workspaces).
    const time = (fn) => [0, 1, 2].map(() => { const t = performance.now(); fn(); return performance.now() - t; }).sort((a, b) => a - b)[1];
    engine.run(model, text, null, { maxTokens: target });
    const run = time(() => engine.run(model, text, null, { maxTokens: target }));
    const stats = time(() => engine.run(model, text, null, { maxTokens: target, stats: true }));
    const acc = engine.distances(model, { maxTokens: target });
    const dist = time(() => acc.add(text, null));  // each add runs the text, then adds its distances
    const mds = time(() => acc.mds());
    acc.free();
    console.log(`| ${name} | ${target} | ${run.toFixed(0)} | ${stats.toFixed(0)} | ${dist.toFixed(0)} | ${mds.toFixed(0)} |`);
  }
  engine.freeModel(model);
}
