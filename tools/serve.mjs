// Static server for the page on 127.0.0.1 with the cross-origin isolation headers that wasm threads need.
// Usage: node tools/serve.mjs [--port 8080] [--no-isolation]
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { appFiles } from './app_files.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.hlm': 'application/octet-stream', '.png': 'image/png', '.svg': 'image/svg+xml',
  '.tsv': 'text/tab-separated-values; charset=utf-8' };
// URL prefix → folder: the page, the models (committed ones, and models/local/ written by tools/fetch-model).
const MOUNTS = [['/models/', path.join(root, 'models')], ['/', path.join(root, 'web')]];

/**
 * Starts the server; resolves to {server, url} once listening (port 0 picks a free port). `mounts` ([URL prefix,
 * folder] pairs, first match wins) replaces the page's own layout (the tests' harness pages use it).
 */
export function serve({ port = 8080, isolation = true, mounts = MOUNTS } = {}) {
  const isolationHeaders = !isolation ? {} : { 'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' };
  const server = createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    // The service worker's list of the app's files (web/sw.js), computed per request so that files added to web/ while the
    // server runs are listed. Only for the page's own layout: there models/ is a separate mount, so builtin.json is added.
    if (url === '/app-files.json' && mounts === MOUNTS) {
      const body = Buffer.from(`${JSON.stringify([...appFiles(path.join(root, 'web')), 'models/builtin.json'].sort())}\n`);
      res.writeHead(200, { 'content-type': TYPES['.json'], 'content-length': body.length, 'cache-control': 'no-cache',
        ...isolationHeaders }).end(body);
      return;
    }
    const mount = mounts.find(([p]) => url.startsWith(p));
    if (!mount) { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
    const [prefix, dir] = mount;
    let file = path.normalize(path.join(dir, url.slice(prefix.length)));
    if (!file.startsWith(dir)) { res.writeHead(403).end(); return; }
    try { if (statSync(file).isDirectory()) file = path.join(file, 'index.html'); } catch { /* 404 below */ }
    let size;
    try { size = statSync(file).size; } catch { res.writeHead(404, { 'content-type': 'text/plain' }).end('not found'); return; }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': size,
      'cache-control': 'no-cache', ...isolationHeaders });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const port = Number(args[args.indexOf('--port') + 1] || 8080) || 8080;
  const isolation = !args.includes('--no-isolation');
  const { url } = await serve({ port, isolation });
  console.log(`Headlight: ${url}  (${isolation ? 'cross-origin isolated: threads on' : 'no isolation headers: single-thread build'})`);
}
