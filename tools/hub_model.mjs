// A Hugging Face hub checkpoint converted to a Headlight model in Node, with the page's own code (web/page/hub.js streams
// the weights into the engine's converter, here the single-thread Node build): for `npm run build -- --model ID`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { nodeEngine } from './eval/node_engine.mjs';
import { HUB_ENDPOINT, hubIdText, openCheckpoint, parseHubId, streamCheckpoint } from '../web/page/hub.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Downloads and converts hub model `id` ('owner/name[@revision]'): {bytes, entry} (entry: a models/builtin.json model
 *  whose id is the hub id, file under hub/). Progress goes to stderr. */
export async function convertHubModel(id, { endpoint = HUB_ENDPOINT } = {}) {
  const ref = parseHubId(id);
  const name = hubIdText(ref);
  if (!existsSync(path.join(root, 'build/wasm-st/headlight-st-node.cjs'))) {
    execFileSync('bash', [path.join(root, 'tools/build.sh'), 'wasm-st'], { stdio: 'inherit' });  // the Node twin
  }
  const engine = await nodeEngine('st');
  const t0 = Date.now();
  const checkpoint = await openCheckpoint(ref, { endpoint });
  const conversion = engine.convertStream(checkpoint.texts);
  let shown = 0;
  try {
    await streamCheckpoint(ref, checkpoint, (bytes, end) => conversion.feed(bytes, end), { endpoint,
      onProgress: ({ file, loaded, total }) => {
        if (loaded - shown < 50e6 && loaded !== total) return;
        shown = loaded;
        process.stderr.write(`hub_model: ${name}: ${file} ${(loaded / 1e6).toFixed(0)} of ${(total / 1e6).toFixed(0)} MB\n`);
      } });
  } catch (e) {
    conversion.free();
    throw new Error(`--model ${id}: ${e.message}`);
  }
  const file = conversion.finish();
  const bytes = file.read(0, file.size);
  file.free();
  const model = engine.loadModel(bytes);  // it must load: the same checks as the page's
  const { num_layers: L, num_heads: A } = model.info.config;
  engine.freeModel(model);
  process.stderr.write(`hub_model: ${name}: converted to ${(bytes.length / 1e6).toFixed(1)} MB in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  const entry = { id: ref.revision === 'main' ? ref.id : name, name: `${name} (int8)`, file: `hub/${ref.id}@${ref.revision}.hlm`,
    bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), source: `${endpoint}/${ref.id}@${ref.revision}`,
    layers: L, heads: A };
  return { bytes, entry };
}
