// Static server for the page on 127.0.0.1 with the cross-origin isolation headers that wasm threads need and the
// Content-Security-Policy the page runs under (tools/csp.mjs); it lists only the engine builds that are current
// (tools/engine_builds.mjs), so a missing or stale build is never served.
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { appFiles } from './app_files.mjs';
import { CSP } from './csp.mjs';
import { buildFiles, currentBuilds, VARIANTS } from './engine_builds.mjs';

const USAGE = `Usage: node tools/serve.mjs [--port PORT] [--no-isolation]
  Serves the page (web/) and models/ at http://127.0.0.1:PORT/ (default 8080), with the Content-Security-Policy of
  tools/csp.mjs (docs/embedding.md#headers).
  --port PORT      the port (0: any free port)
  --no-isolation   no cross-origin isolation headers: the page then runs the single-thread engine build
  --help           this text`;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css',
  '.wasm': 'application/wasm', '.json': 'application/json', '.hlm': 'application/octet-stream', '.png': 'image/png', '.svg': 'image/svg+xml',
  '.tsv': 'text/tab-separated-values; charset=utf-8' };
// URL prefix → folder: the page, the models (committed ones, and models/local/ written by tools/fetch-model).
const MOUNTS = [['/models/', path.join(root, 'models')], ['/', path.join(root, 'web')]];
const WASM_DIR = path.join(root, 'web/engine/wasm');
const BUILD_OF = new Map(VARIANTS.flatMap((v) => buildFiles(v).map((f) => [f, v])));  // file name → engine build

// The engine builds that may be served now, checked on every request for the list (builds finish while the server runs:
// npm start serves as soon as the first one is ready); each problem is printed once.
const reported = new Set();
function engineBuilds() {
  const { builds, problems } = currentBuilds(WASM_DIR, root);
  for (const p of problems) if (!reported.has(p)) { reported.add(p); console.log(`serve: engine build ${p}: not served`); }
  return builds;
}

/**
 * Starts the server; resolves to {server, url} once listening (port 0 picks a free port). `mounts` ([URL prefix,
 * folder] pairs, first match wins) replaces the page's own layout (the tests' harness pages use it). `csp`: every
 * response carries the Content-Security-Policy of tools/csp.mjs (true), none (false: for tests whose host page could not
 * carry it), or the string given (tests/e2e/csp.test.mjs adds a report-uri, or a host's other origins).
 */
export function serve({ port = 8080, isolation = true, mounts = MOUNTS, csp = true } = {}) {
  const securityHeaders = { ...(!isolation ? {} : { 'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp', 'cross-origin-resource-policy': 'same-origin' }),
  ...(csp ? { 'content-security-policy': typeof csp === 'string' ? csp : CSP } : {}) };
  const server = createServer((req, res) => {
    const url = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    // The service worker's list of the app's files (web/sw.js), computed per request so that files added to web/ while the
    // server runs are listed. Only for the page's own layout: there models/ is a separate mount, so builtin.json and
    // catalog.json are added.
    if (url === '/app-files.json' && mounts === MOUNTS) {
      const current = engineBuilds();  // the engine's files only of builds that are served (the rest would fail the install)
      const served = (f) => !f.startsWith('engine/wasm/') || f === 'engine/wasm/builds.json'
        || Boolean(current[BUILD_OF.get(f.slice('engine/wasm/'.length))]);
      const body = Buffer.from(`${JSON.stringify([...appFiles(path.join(root, 'web')).filter(served), 'models/builtin.json',
        'models/catalog.json'].sort())}\n`);
      res.writeHead(200, { 'content-type': TYPES['.json'], 'content-length': body.length, 'cache-control': 'no-cache',
        ...securityHeaders }).end(body);
      return;
    }
    if (mounts === MOUNTS && url.startsWith('/engine/wasm/')) {  // the engine's builds: only current ones
      const name = url.slice('/engine/wasm/'.length);
      if (name === 'builds.json') {
        const body = Buffer.from(`${JSON.stringify({ builds: engineBuilds() })}\n`);
        res.writeHead(200, { 'content-type': TYPES['.json'], 'content-length': body.length, 'cache-control': 'no-cache',
          ...securityHeaders }).end(body);
        return;
      }
      if (!BUILD_OF.has(name) || !engineBuilds()[BUILD_OF.get(name)]) {
        res.writeHead(404, { 'content-type': 'text/plain', ...securityHeaders })
          .end(`${name}: no current engine build holds this file (see the server's log)`);
        return;
      }
    }
    const mount = mounts.find(([p]) => url.startsWith(p));
    if (!mount) { res.writeHead(404, { 'content-type': 'text/plain', ...securityHeaders }).end('not found'); return; }
    const [prefix, dir] = mount;
    let file = path.normalize(path.join(dir, url.slice(prefix.length)));
    if (!file.startsWith(dir)) { res.writeHead(403, securityHeaders).end(); return; }
    try { if (statSync(file).isDirectory()) file = path.join(file, 'index.html'); } catch { /* 404 below */ }
    let size;
    try { size = statSync(file).size; } catch {
      res.writeHead(404, { 'content-type': 'text/plain', ...securityHeaders }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'content-length': size,
      'cache-control': 'no-cache', ...securityHeaders });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/` }));
  });
}

/** The command line's options, or a message saying what is wrong with it. */
export function parseArgs(args) {
  const opts = { port: 8080, isolation: true, help: false };
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--help' || args[i] === '-h') opts.help = true;
    else if (args[i] === '--no-isolation') opts.isolation = false;
    else if (args[i] === '--port' && /^\d+$/.test(args[i + 1] ?? '') && Number(args[i + 1]) < 65536) opts.port = Number(args[++i]);
    else if (args[i] === '--port') return { error: `--port needs a number from 0 to 65535, got ${args[i + 1] ?? 'nothing'}` };
    else return { error: `unknown option ${args[i]}` };
  }
  return opts;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) { console.log(USAGE); process.exit(0); }
  if (opts.error) { console.error(`serve: ${opts.error}\n${USAGE}`); process.exit(2); }
  const { port, isolation } = opts;
  const { url } = await serve({ port, isolation });
  console.log(`Headlight: ${url}  (${isolation ? 'cross-origin isolated: threads on' : 'no isolation headers: single-thread build'})`);
}
