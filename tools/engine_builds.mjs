// The page's engine builds and their list, web/engine/wasm/builds.json: which wasm builds exist, their files, and the
// sources they were built from, so that a missing or stale build is never served (tools/serve.mjs, tools/build_dist.mjs).
// CLI: node tools/engine_builds.mjs fingerprint                 (tools/build.sh, before it builds: the sources' hash)
//      node tools/engine_builds.mjs record VARIANT BUILD_DIR FP  (tools/build.sh: copy a finished build in, list it as
//                                                                 built from the sources whose fingerprint was FP)
//      node tools/engine_builds.mjs check [VARIANT...]         (exit 1, saying why, unless each named build is current)
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const VARIANTS = ['st', 'mt', 'st-relaxed', 'mt-relaxed'];
// What an engine build is made from: a change to any file under these makes every earlier build stale.
const SOURCES = ['CMakeLists.txt', 'cmake', 'wasm', 'third_party', 'tools/deps', 'tools/emcc-relaxed'];
const MANIFEST = 'builds.json';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// A file's sha256, read again only when its size or modification time changed: the server asks on every request for an
// engine file, and the wasm builds and sources are megabytes.
const hashes = new Map();  // path → {size, mtimeMs, sum}
function fileSha256(file) {
  const { size, mtimeMs } = statSync(file);
  const known = hashes.get(file);
  if (known && known.size === size && known.mtimeMs === mtimeMs) return known.sum;
  const sum = sha256(readFileSync(file));
  hashes.set(file, { size, mtimeMs, sum });
  return sum;
}

/** The page's files of one build: the ES module, its wasm and, when threaded, Emscripten's pthread worker script. */
export const buildFiles = (variant) =>
  [`headlight-${variant}.mjs`, `headlight-${variant}.wasm`, ...(variant.startsWith('mt') ? [`headlight-${variant}.worker.js`] : [])];

/** sha256 over the path and sha256 of every file the engine is built from (sorted, so the same tree gives the same hash). */
export function sourcesFingerprint(root) {
  const files = [];
  const walk = (rel) => {
    const full = path.join(root, rel);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) for (const e of readdirSync(full).sort()) walk(path.posix.join(rel, e));
    else files.push(rel);
  };
  SOURCES.forEach(walk);
  const h = createHash('sha256');
  for (const rel of files.sort()) h.update(rel).update('\0').update(fileSha256(path.join(root, rel))).update('\0');
  return h.digest('hex');
}

export function readManifest(wasmDir) {
  const file = path.join(wasmDir, MANIFEST);
  if (!existsSync(file)) return { builds: {} };
  const m = JSON.parse(readFileSync(file, 'utf8'));
  if (!m || typeof m.builds !== 'object') throw new Error(`${file} is not a list of engine builds: delete it and build again`);
  return m;
}

/**
 * Copies a finished build's page files from buildDir into wasmDir and lists them there (each file replaced whole), as
 * built from the sources whose fingerprint was `sources` when the build started (a source edited during the build
 * leaves it stale).
 */
export function record(root, wasmDir, variant, buildDir, sources = sourcesFingerprint(root)) {
  if (!VARIANTS.includes(variant)) throw new Error(`unknown engine build ${variant} (one of ${VARIANTS.join(', ')})`);
  mkdirSync(wasmDir, { recursive: true });
  const files = {};
  for (const f of buildFiles(variant)) {
    const from = path.join(buildDir, f);
    if (!existsSync(from)) throw new Error(`${from} is missing: the ${variant} build did not produce it`);
    copyFileSync(from, path.join(wasmDir, `${f}.tmp`));
    renameSync(path.join(wasmDir, `${f}.tmp`), path.join(wasmDir, f));
    files[f] = fileSha256(path.join(wasmDir, f));
  }
  const m = readManifest(wasmDir);
  m.builds[variant] = { sources, files };
  writeFileSync(path.join(wasmDir, `${MANIFEST}.tmp`), `${JSON.stringify(m, null, 1)}\n`);
  renameSync(path.join(wasmDir, `${MANIFEST}.tmp`), path.join(wasmDir, MANIFEST));
}

/**
 * The builds in wasmDir that can be served: listed, every file present with its listed sha256, built from the sources
 * as they are now (when root is given; a deployed copy has no sources to compare). {builds: {variant: entry}, problems:
 * ['mt-relaxed: ...']}: each build left out is named in problems with what to do.
 */
export function currentBuilds(wasmDir, root = null) {
  const listed = readManifest(wasmDir).builds;
  const sources = root ? sourcesFingerprint(root) : null;
  const builds = {}, problems = [];
  for (const variant of VARIANTS) {
    const b = listed[variant];
    if (!b) { problems.push(`${variant}: not built (bash tools/build.sh wasm-${variant})`); continue; }
    if (sources && b.sources !== sources) {
      problems.push(`${variant}: stale, the engine's sources changed since it was built (bash tools/build.sh wasm-${variant})`);
      continue;
    }
    const bad = Object.entries(b.files).filter(([f, sum]) => !existsSync(path.join(wasmDir, f))
      || fileSha256(path.join(wasmDir, f)) !== sum);
    if (bad.length) { problems.push(`${variant}: ${bad.map(([f]) => f).join(', ')} missing or changed since the build`); continue; }
    builds[variant] = b;
  }
  return { builds, problems };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  const wasmDir = path.join(root, 'web/engine/wasm');
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === 'fingerprint' && rest.length === 0) {
    console.log(sourcesFingerprint(root));
  } else if (cmd === 'record' && rest.length === 3 && /^[0-9a-f]{64}$/.test(rest[2])) {
    record(root, wasmDir, rest[0], path.resolve(rest[1]), rest[2]);
  } else if (cmd === 'check') {
    const { builds, problems } = currentBuilds(wasmDir, root);
    const want = rest.length ? rest : VARIANTS;
    const missing = problems.filter((p) => want.includes(p.split(':')[0]));
    for (const p of missing) console.error(`engine build ${p}`);
    if (missing.length) process.exit(1);
    console.log(`engine builds current: ${want.filter((v) => builds[v]).join(', ')}`);
  } else {
    console.error('usage: node tools/engine_builds.mjs fingerprint | record VARIANT BUILD_DIR FINGERPRINT | check [VARIANT...]');
    process.exit(2);
  }
}
