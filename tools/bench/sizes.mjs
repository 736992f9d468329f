// npm run bench:sizes — what a blog post downloads: the component script, the wasm builds, the built-in model, and
// snapshot files (Vig's pair and 128 tokens on the built-in model; 128 tokens on the bert-base-shaped fixture).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { nodeEngine } from '../eval/node_engine.mjs';
import { makeSnapshot, snapshotText } from '../../web/page/snapshot.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const kb = (b) => `${(b / 1024).toFixed(1)} KiB`;
const fileRow = (label, rel) => {
  const file = path.join(root, rel);
  if (!existsSync(file)) return `| ${label} | (missing ${rel}: run npm run build) | |`;
  const bytes = readFileSync(file);
  return `| ${label} (\`${rel}\`) | ${bytes.length.toLocaleString('en')} B (${kb(bytes.length)}) | ${kb(gzipSync(bytes, { level: 9 }).length)} |`;
};
console.log('| file | size | gzip -9 (as most hosts send it) |');
console.log('|---|---:|---:|');
for (const [label, rel] of [['component script', 'web/headlight-attention.js'], ['wasm, single thread', 'web/engine/wasm/headlight-st.wasm'],
  ['wasm, threads', 'web/engine/wasm/headlight-mt.wasm'], ['wasm, single thread, relaxed SIMD', 'web/engine/wasm/headlight-st-relaxed.wasm'],
  ['wasm, threads, relaxed SIMD', 'web/engine/wasm/headlight-mt-relaxed.wasm'], ['built-in model', 'models/headlight-mini/headlight-mini.hlm']]) console.log(fileRow(label, rel));

const engine = await nodeEngine('st');
const words = readFileSync(path.join(root, 'models/headlight-mini/heldout-pairs.tsv'), 'utf8').replaceAll('[MASK]', 'thing').split(/\s+/);
const long = words.slice(0, 128).join(' ');
const cases = [
  ['headlight-mini', 'models/headlight-mini/headlight-mini.hlm', "Vig's pair", ['I went to the store.', 'At the store, I bought fresh strawberries.'], 0],
  ['headlight-mini', 'models/headlight-mini/headlight-mini.hlm', '128 tokens', [long, null], 128],
  ['bert-base shape (random weights)', 'build/fixtures/base-mlm.int8.hlm', '128 tokens', [long, null], 128],
];
console.log('\n| snapshot | model | layers × heads | tokens | 8-bit attention | snapshot file (JSON, gzip + base64 inside) |');
console.log('|---|---|---:|---:|---:|---:|');
for (const [name, file, label, [a, b], maxTokens] of cases) {
  if (!existsSync(path.join(root, file))) { console.log(`| ${label} | ${name}: missing ${file} (run npm test first) | | | | |`); continue; }
  const model = engine.loadModel(new Uint8Array(readFileSync(path.join(root, file))));
  const r = engine.run(model, a, b, { maxTokens });
  const text = snapshotText(await makeSnapshot(r, { model: { name }, text: { a, b: b ?? '' }, qk: false }));  // as the page saves them
  console.log(`| ${label} | ${name} | ${r.layers} × ${r.heads_per_layer} | ${r.n} | ${kb(r.attention.length)} | ${text.length.toLocaleString('en')} B (${kb(text.length)}) |`);
  engine.freeModel(model);
}
