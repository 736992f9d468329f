// Loads the engine's Node build (build/wasm-st or build/wasm-mt, CommonJS twin) behind web/engine/headlight.js.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import v8 from 'node:v8';

import { Engine } from '../../web/engine/headlight.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const require = createRequire(import.meta.url);

/**
 * variant: 'st' (single thread) or 'mt' (pthreads; the process then needs an explicit exit), or 'st-relaxed' /
 * 'mt-relaxed' (relaxed SIMD, which Node 20 runs behind --experimental-wasm-relaxed-simd, set here; its V8 fails
 * XNNPACK's int8 dot-product probe, so those builds run the plain int8 kernels under Node: same results, no speed-up).
 */
export async function nodeEngine(variant = 'st') {
  if (variant.endsWith('-relaxed')) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
  const dir = path.join(root, 'build', `wasm-${variant}`);
  const create = require(path.join(dir, `headlight-${variant}-node.cjs`));
  return new Engine(await create({ wasmBinary: readFileSync(path.join(dir, `headlight-${variant}-node.wasm`)) }));
}
