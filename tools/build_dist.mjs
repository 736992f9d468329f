// npm run build: writes dist/, the page as plain static files (web/ + models/builtin.json and its models), ready for any
// static host. Models larger than --part-size (default 95 MB, under common 100 MB per-file limits) are split into
// numbered parts that the page's loader fetches and joins, checking each part's and the whole file's sha256.
// Usage: node tools/build_dist.mjs [--out dist] [--part-size BYTES] [--model HUB_ID]... [--hub-endpoint URL]
//   (after tools/build.sh wasm-st wasm-mt wasm-st-relaxed wasm-mt-relaxed: every engine build must be current,
//   tools/engine_builds.mjs). --model (npm run build -- --model google-bert/bert-base-uncased): downloads that hub
//   checkpoint, converts it to int8 (tools/hub_model.mjs) and ships it as a model of dist/models/builtin.json under its
//   hub id, so that the page's ?hub=ID and <headlight-attention model="ID"> load the site's own copy, not the hub's.
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { appFiles } from './app_files.mjs';
import { buildFiles, currentBuilds, VARIANTS } from './engine_builds.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const out = path.resolve(root, arg('--out', 'dist'));
const partSize = Number(arg('--part-size', 95 * 1000 * 1000));
if (!(partSize > 0)) throw new Error(`--part-size must be a positive number of bytes, got ${arg('--part-size')}`);
await import('./page_files.mjs');   // the element's bundle and D3 as the sources are now
const wasmDir = path.join(root, 'web/engine/wasm');
const { builds, problems } = currentBuilds(wasmDir, root);
if (VARIANTS.some((v) => !builds[v]))
  throw new Error(`engine builds missing or stale: ${problems.join('; ')}`);
const engineFiles = new Set(['builds.json', ...VARIANTS.flatMap(buildFiles)]);

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
rmSync(out, { recursive: true, force: true });
// engine/wasm/: the listed builds' files and their list, nothing else that may lie there.
cpSync(path.join(root, 'web'), out, { recursive: true,
  filter: (src) => path.dirname(src) !== wasmDir || engineFiles.has(path.basename(src)) });
writeFileSync(path.join(out, 'engine/wasm/builds.json'), `${JSON.stringify({ builds }, null, 1)}\n`);

const manifest = JSON.parse(readFileSync(path.join(root, 'models/builtin.json'), 'utf8'));
// Hub models to ship (--model, repeatable): converted now, their bytes in memory until written below.
const hubModels = new Map();
const wanted = args.flatMap((a, i) => (a === '--model' ? [args[i + 1]] : []));
if (wanted.length) {
  const { convertHubModel } = await import('./hub_model.mjs');
  for (const id of wanted) {
    let m;
    try {
      m = await convertHubModel(id, { endpoint: arg('--hub-endpoint', undefined) });
    } catch (e) {
      console.error(`build_dist: ${e.message}`);  // a plain message, not the engine module's rethrow of it
      process.exit(1);
    }
    hubModels.set(m.entry.file, m.bytes);
    manifest.models.push(m.entry);
  }
}
let bytesOut = 0;
for (const m of manifest.models) {
  const data = hubModels.get(m.file) ?? readFileSync(path.join(root, 'models', m.file));
  if (!hubModels.has(m.file) && (data.length !== m.bytes || sha256(data) !== m.sha256)) throw new Error(`models/${m.file} does not match models/builtin.json`);
  const dir = path.join(out, 'models', path.dirname(m.file));
  mkdirSync(dir, { recursive: true });
  if (m.card) cpSync(path.join(root, 'models', m.card), path.join(out, 'models', m.card));
  if (data.length <= partSize) {
    writeFileSync(path.join(out, 'models', m.file), data);
  } else {
    m.parts = [];
    for (let k = 0, at = 0; at < data.length; ++k, at += partSize) {
      const part = data.subarray(at, Math.min(data.length, at + partSize));
      const file = `${m.file}.part${k}`;
      writeFileSync(path.join(out, 'models', file), part);
      m.parts.push({ file, bytes: part.length, sha256: sha256(part) });
    }
  }
  bytesOut += data.length;
}
writeFileSync(path.join(out, 'models/builtin.json'), `${JSON.stringify(manifest, null, 2)}\n`);
cpSync(path.join(root, 'models/catalog.json'), path.join(out, 'models/catalog.json'));
// The service worker's list of the app's files (web/sw.js caches them at install), over what was written: models/ gives
// only builtin.json and catalog.json (the page caches the model files itself, after their sha256 check).
const files = [...appFiles(out), 'models/builtin.json', 'models/catalog.json'].sort();
writeFileSync(path.join(out, 'app-files.json'), `${JSON.stringify(files)}\n`);
const parts = manifest.models.filter((m) => m.parts).map((m) => `${m.id}: ${m.parts.length} parts`);
console.log(`build_dist: ${path.relative(root, out)}/ (${manifest.models.length} model(s), ${(bytesOut / 1e6).toFixed(1)} MB` +
  `${parts.length ? `; ${parts.join(', ')}` : ''})`);
