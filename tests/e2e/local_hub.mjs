// A local stand-in for the Hugging Face hub (127.0.0.1), in its URL layout, for the page's and web/page/hub.js's tests.
//   hub origin:  GET|HEAD /OWNER/NAME/resolve/REV/FILE → small files directly; files of 64 KiB or more as a 302 to the
//                CDN origin, as the hub does; 404 for a file the repo lacks; 401 for every file of a repo named gated/*.
//   CDN origin:  GET|HEAD /cdn/SHA256 → the bytes, with an ETag and Range support (206).
// Both send Access-Control-Allow-Origin: * (the page fetches across origins, with COEP on).
// Faults: hub.cuts.set(sha256(bytes), {after: k, times: t}) cuts the next t transfers of those bytes after k bytes
// each; hub.flips.set(sha256(bytes), offset) sends that byte wrong (every time); hub.delayMs slows each CDN chunk of
// 16 KiB; hub.offline = true answers nothing (every connection is dropped).
// hub.requests: every request, as {origin: 'hub' | 'cdn', method, path, range}.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

import { root } from './browser.mjs';

const LFS_MIN = 1 << 16;
const CORS = { 'access-control-allow-origin': '*', 'access-control-expose-headers': 'content-length, etag, content-range' };

/** The repos the tests use: checkpoints from build/fixtures (made by the fixtures step): BERT's tiny-mlm whole, in three
 *  shards and as BF16, tiny-distilbert, tiny-roberta (its tokenizer.json only, as the hub's roberta-base has it);
 *  with `base`, the bert-base shape of each: base-mlm (440 MB) as google-bert/bert-base-uncased, base-distilbert,
 *  base-roberta; broken ones (a config or weights that do not fit, weights cut short or not safetensors at all). */
export function testRepos({ base = false } = {}) {
  const read = (dir, names = ['config.json', 'vocab.txt', 'model.safetensors']) => {
    const file = (name) => readFileSync(path.join(root, 'build/fixtures', dir, name));
    return Object.fromEntries(names.map((n) => [n, file(n)]));
  };
  const bert = read('tiny-mlm');
  const config = JSON.parse(bert['config.json']);
  const { 'model.safetensors': weights, ...texts } = bert;
  return {
    'test/tiny-bert': bert,
    'test/tiny-bert-bf16': { ...texts, 'model.safetensors': toBF16(weights) },
    'test/sharded': { ...texts, ...shard(weights, 3) },
    'test/tiny-distilbert': read('tiny-distilbert'),
    'test/tiny-roberta': read('tiny-roberta', ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']),
    ...(base ? { 'google-bert/bert-base-uncased': read('base-mlm'),  // the catalog's id: the picker's entry loads it
      'test/base-distilbert': read('base-distilbert'),
      'test/base-roberta': read('base-roberta', ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors']) } : {}),
    'test/only-bin': { ...texts, 'pytorch_model.bin': Buffer.alloc(LFS_MIN + 1) },
    'test/gpt2': { 'config.json': Buffer.from(JSON.stringify({ ...config, model_type: 'gpt2' })), 'vocab.json': Buffer.from('{}') },
    'test/not-json': { 'config.json': Buffer.from('{"model_type": "bert",') },
    'test/wrong-shape': { ...texts, 'config.json': Buffer.from(JSON.stringify({ ...config, intermediate_size: config.intermediate_size * 2 })),
      'model.safetensors': weights },
    'gated/secret': bert,
    'test/truncated': { ...texts, 'model.safetensors': weights.subarray(0, Math.floor(weights.length * 0.6)) },
    'test/garbage': { ...texts, 'model.safetensors': Buffer.from(Array.from({ length: LFS_MIN + 7 }, (_, i) => (i * 167 + 13) & 255)) },
  };
}

// A safetensors file's [header JSON, data section].
function parseSafetensors(bytes) {
  const n = Number(bytes.readBigUInt64LE(0));
  return [JSON.parse(bytes.subarray(8, 8 + n).toString()), bytes.subarray(8 + n)];
}

function writeSafetensors(header, data) {
  const h = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

/** The tensors of a safetensors file split round robin into n files, with model.safetensors.index.json. */
export function shard(bytes, n) {
  const [header, data] = parseSafetensors(bytes);
  const names = Object.keys(header).filter((k) => k !== '__metadata__').sort();
  const files = {}, weightMap = {};
  for (let k = 0; k < n; ++k) {
    const file = `model-${String(k + 1).padStart(5, '0')}-of-${String(n).padStart(5, '0')}.safetensors`;
    const part = {}, chunks = [];
    let at = 0;
    names.filter((_, i) => i % n === k).forEach((name) => {
      const [b, e] = header[name].data_offsets;
      part[name] = { ...header[name], data_offsets: [at, at + e - b] };
      chunks.push(data.subarray(b, e));
      at += e - b;
      weightMap[name] = file;
    });
    files[file] = writeSafetensors(part, Buffer.concat(chunks));
  }
  files['model.safetensors.index.json'] = Buffer.from(JSON.stringify({ metadata: { total_size: data.length }, weight_map: weightMap }));
  return files;
}

/** A safetensors file of F32 tensors stored as BF16 (each value's upper 16 bits: rounding toward zero). */
export function toBF16(bytes) {
  const [header, data] = parseSafetensors(bytes);
  const out = {}, chunks = [];
  let at = 0;
  for (const [name, t] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [b, e] = t.data_offsets;
    const half = Buffer.alloc((e - b) / 2);
    for (let i = 0; i < half.length / 2; ++i) half.writeUInt16LE(data.readUInt32LE(b + 4 * i) >>> 16, 2 * i);
    out[name] = { dtype: 'BF16', shape: t.shape, data_offsets: [at, at + half.length] };
    chunks.push(half);
    at += half.length;
  }
  return writeSafetensors(out, Buffer.concat(chunks));
}

/** Starts both origins: {endpoint (the hub's URL), cdn, requests, cutAfter, delayMs, close()}. */
export async function startHub(repos = testRepos()) {
  const bySha = new Map();
  for (const files of Object.values(repos)) {
    for (const bytes of Object.values(files)) bySha.set(createHash('sha256').update(bytes).digest('hex'), bytes);
  }
  const hub = { requests: [], cuts: new Map(), flips: new Map(), delayMs: 0, offline: false };
  const cdn = http.createServer((req, res) => serveCdn(hub, bySha, req, res));
  const front = http.createServer((req, res) => serveHub(hub, repos, req, res));
  await Promise.all([cdn, front].map((s) => new Promise((ok) => s.listen(0, '127.0.0.1', ok))));
  hub.endpoint = `http://127.0.0.1:${front.address().port}`;
  hub.cdn = `http://127.0.0.1:${cdn.address().port}`;
  hub.close = () => { front.close(); cdn.close(); front.closeAllConnections(); cdn.closeAllConnections(); };
  return hub;
}

function serveHub(hub, repos, req, res) {
  hub.requests.push({ origin: 'hub', method: req.method, path: req.url, range: req.headers.range ?? null });
  if (hub.offline) return req.socket.destroy();
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
  hub.requests.push({ origin: 'cdn', method: req.method, path: req.url, range: req.headers.range ?? null });
  if (hub.offline) return req.socket.destroy();
  const sha = /^\/cdn\/([0-9a-f]{64})$/.exec(req.url)?.[1];
  const bytes = sha && bySha.get(sha);
  if (!bytes) return end(res, 404, 'no such object');
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const from = range ? Math.min(Number(range[1]), bytes.length) : 0;
  const head = { ...CORS, 'content-type': 'application/octet-stream', 'content-length': String(bytes.length - from), etag: `"${sha}"`,
    'accept-ranges': 'bytes' };
  if (range) res.writeHead(206, { ...head, 'content-range': `bytes ${from}-${bytes.length - 1}/${bytes.length}` });
  else res.writeHead(200, head);
  if (req.method === 'HEAD') return res.end();
  res.flushHeaders();
  const flip = hub.flips.get(sha);
  const body = flip === undefined ? bytes : Buffer.from(bytes);
  if (flip !== undefined) body[flip] ^= 0x40;
  const fault = hub.cuts.get(sha);
  const cut = fault?.times > 0 ? fault.after : undefined;
  if (fault) fault.times -= 1;
  const stop = cut === undefined ? bytes.length : Math.min(bytes.length, from + cut);
  for (let at = from; at < stop; at += 16384) {
    if (hub.delayMs) await new Promise((ok) => setTimeout(ok, hub.delayMs));
    if (res.destroyed) return;
    res.write(body.subarray(at, Math.min(stop, at + 16384)));
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
