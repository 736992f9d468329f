// The app's files that the service worker (web/sw.js) caches at install: app-files.json, written by tools/build_dist.mjs
// and answered by tools/serve.mjs. Node-only builds, models and the list itself are left out (the page caches models itself).
import { readdirSync } from 'node:fs';
import path from 'node:path';

// Relative paths never listed: the engine's Node builds (engine/wasm/*-node.*), the list itself, the service worker
// (the browser fetches it past every cache), the models/ folder (callers add models/builtin.json: in development it is a
// separate mount, and model files are cached by web/page/models.js after their sha256 check) and dot files.
const SKIP = (rel) => /^engine\/wasm\/[^/]*-node\./.test(rel) || rel === 'app-files.json' || rel === 'sw.js' || rel === 'models'
  || rel.startsWith('models/') || path.posix.basename(rel).startsWith('.');

/** The files under webDir as URL paths relative to it (['./', 'data/…', 'index.html', …]), sorted; './' is the page. */
export function appFiles(webDir) {
  const out = ['./'];
  const walk = (dir, prefix) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const rel = prefix + entry.name;
      if (SKIP(rel)) continue;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), `${rel}/`);
      else if (entry.isFile()) out.push(rel.split('/').map(encodeURIComponent).join('/'));
    }
  };
  walk(webDir, '');
  return out.sort();
}
