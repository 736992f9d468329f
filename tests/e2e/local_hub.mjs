// A local stand-in for the Hugging Face hub (127.0.0.1), in its URL layout, for the page's and web/page/hub.js's tests.
//   hub origin:  GET /OWNER/NAME/resolve/REV/FILE → small files directly; files of 64 KiB or more as a 302 to the CDN
//                origin, as the hub does; 404 for a file the repo lacks; 401 for every file of a repo named gated/*.
//   CDN origin:  GET /cdn/SHA256 → the bytes, with an ETag and Range support (206).
// Both send Access-Control-Allow-Origin: * (the page fetches across origins, with COEP on).
// Faults: hub.cuts.set(sha256(bytes), {after: k, times: t}) cuts the next t transfers of those bytes after k bytes
// each; hub.delayMs slows each CDN chunk of 16 KiB.
// hub.requests: every request, as {origin: 'hub' | 'cdn', path, range}.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { root } from './browser.mjs';

const LFS_MIN = 1 << 16;
const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length, etag, content-range' };

/** The repos the tests use: a BERT checkpoint (build/fixtures/tiny-mlm, made by the fixtures step), and broken ones. */
export function testRepos() {
  const dir = path.join(root, 'build/fixtures/tiny-mlm');
  const file = (name) => readFileSync(path.join(dir, name));
  const bert = { 'config.json': file('config.json'), 'vocab.txt': file('vocab.txt'), 'model.safetensors': file('model.safetensors') };
  const config = JSON.parse(bert['config.json']);
  return {
    'test/tiny-bert': bert,
    'test/only-bin': { 'config.json': bert['config.json'], 'vocab.txt': bert['vocab.txt'], 'pytorch_model.bin': Buffer.alloc(LFS_MIN + 1) },
    'test/sharded': { 'config.json': bert['config.json'], 'vocab.txt': bert['vocab.txt'], 'model.safetensors.index.json': Buffer.from('{}') },
    'test/roberta': { 'config.json': Buffer.from(JSON.stringify({ ...config, model_type: 'roberta' })), 'vocab.json': Buffer.from('{}') },
    'test/not-json': { 'config.json': Buffer.from('{"model_type": "bert",') },
    'gated/secret': bert,
  };
}

/** Starts both origins: {endpoint (the hub's URL), cdn, requests, cutAfter, delayMs, close()}. */
export async function startHub(repos = testRepos()) {
  const bySha = new Map();
  for (const files of Object.values(repos)) {
    for (const bytes of Object.values(files)) bySha.set(createHash('sha256').update(bytes).digest('hex'), bytes);
  }
  const hub = { requests: [], cuts: new Map(), delayMs: 0 };
  const cdn = http.createServer((req, res) => serveCdn(hub, bySha, req, res));
  const front = http.createServer((req, res) => serveHub(hub, repos, req, res));
  await Promise.all([cdn, front].map((s) => new Promise((ok) => s.listen(0, '127.0.0.1', ok))));
  hub.endpoint = `http://127.0.0.1:${front.address().port}`;
  hub.cdn = `http://127.0.0.1:${cdn.address().port}`;
  hub.close = () => { front.close(); cdn.close(); front.closeAllConnections(); cdn.closeAllConnections(); };
  return hub;
}

function serveHub(hub, repos, req, res) {
  hub.requests.push({ origin: 'hub', path: req.url, range: req.headers.range ?? null });
  const m = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/([^/?]+)$/.exec(req.url);
  const files = m && repos[m[1]];
  if (m?.[1].startsWith('gated/')) return end(res, 401, 'Access to this model is restricted.');
  const bytes = files?.[m[3]];
  if (!bytes) return end(res, 404, 'Entry not found');
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length >= LFS_MIN) {
    res.writeHead(302, { ...CORS, location: `${hub.cdn}/cdn/${sha}`, 'x-linked-size': String(bytes.length), 'x-linked-etag': `"${sha}"` });
    return res.end();
  }
  res.writeHead(200, { ...CORS, 'content-type': 'application/octet-stream', 'content-length': String(bytes.length), etag: `"${sha}"` });
  res.end(bytes);
}

async function serveCdn(hub, bySha, req, res) {
  hub.requests.push({ origin: 'cdn', path: req.url, range: req.headers.range ?? null });
  const sha = /^\/cdn\/([0-9a-f]{64})$/.exec(req.url)?.[1];
  const bytes = sha && bySha.get(sha);
  if (!bytes) return end(res, 404, 'no such object');
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const from = range ? Math.min(Number(range[1]), bytes.length) : 0;
  const head = { ...CORS, 'content-type': 'application/octet-stream', 'content-length': String(bytes.length - from), etag: `"${sha}"`,
    'accept-ranges': 'bytes' };
  if (range) res.writeHead(206, { ...head, 'content-range': `bytes ${from}-${bytes.length - 1}/${bytes.length}` });
  else res.writeHead(200, head);
  res.flushHeaders();
  const fault = hub.cuts.get(sha);
  const cut = fault?.times > 0 ? fault.after : undefined;
  if (fault) fault.times -= 1;
  const stop = cut === undefined ? bytes.length : Math.min(bytes.length, from + cut);
  for (let at = from; at < stop; at += 16384) {
    if (hub.delayMs) await new Promise((ok) => setTimeout(ok, hub.delayMs));
    if (res.destroyed) return;
    res.write(bytes.subarray(at, Math.min(stop, at + 16384)));
  }
  if (cut === undefined) return res.end();
  await new Promise((ok) => setTimeout(ok, 100));  // the client has the headers and the first bytes: now the cut
  res.destroy();  // a transfer cut midway: the client sees fewer bytes than content-length
}

function end(res, status, text) {
  res.writeHead(status, { ...CORS, 'content-type': 'text/plain' });
  res.end(text);
}

/** The sha256 of bytes (the CDN's key, as in hub.cuts). */
export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
