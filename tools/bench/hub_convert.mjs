// npm run bench:hub — a hub checkpoint of the bert-base shape (build/fixtures/base-mlm, 440 MB of f32) and one of the
// bert-large shape (random weights written here, 1.34 GB) loaded by hub id in headless Chromium from the local hub
// (tests/e2e/local_hub.mjs, on this machine): time from "Load" to the model drawn (download + streamed conversion in the
// Worker + caching + load), the renderer process's peak resident memory (VmHWM, which holds the page, the Worker and the
// engine's memory), and, with the hub off, the time to load the cached copy. Writes build/bench/hub_convert.json.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { openPage, root, start } from '../../tests/e2e/browser.mjs';
import { startHub } from '../../tests/e2e/local_hub.mjs';

const OUT = path.join(root, 'build/bench');

// A BertForMaskedLM checkpoint of the bert-large shape with seeded uniform weights (its attention is not the point:
// the converter's time and memory are), written once.
function bertLarge() {
  const dir = path.join(OUT, 'bert-large-random');
  if (existsSync(path.join(dir, 'model.safetensors'))) return dir;
  mkdirSync(dir, { recursive: true });
  const ref = path.join(root, 'tests/fixtures/reference/bert-base-uncased');
  const config = { ...JSON.parse(readFileSync(path.join(ref, 'config.json'), 'utf8')), hidden_size: 1024, num_hidden_layers: 24,
    num_attention_heads: 16, intermediate_size: 4096 };
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  writeFileSync(path.join(dir, 'vocab.txt'), readFileSync(path.join(ref, 'vocab.txt')));
  const H = 1024, F = 4096, V = config.vocab_size, tensors = [['bert.embeddings.word_embeddings.weight', [V, H]],
    ['bert.embeddings.position_embeddings.weight', [512, H]], ['bert.embeddings.token_type_embeddings.weight', [2, H]],
    ['bert.embeddings.LayerNorm.weight', [H]], ['bert.embeddings.LayerNorm.bias', [H]]];
  for (let l = 0; l < 24; ++l) {
    const p = `bert.encoder.layer.${l}.`;
    for (const [n, o, i] of [['attention.self.query', H, H], ['attention.self.key', H, H], ['attention.self.value', H, H],
      ['attention.output.dense', H, H], ['intermediate.dense', F, H], ['output.dense', H, F]]) {
      tensors.push([`${p}${n}.weight`, [o, i]], [`${p}${n}.bias`, [o]]);
    }
    for (const n of ['attention.output.LayerNorm', 'output.LayerNorm']) tensors.push([`${p}${n}.weight`, [H]], [`${p}${n}.bias`, [H]]);
  }
  tensors.push(['cls.predictions.transform.dense.weight', [H, H]], ['cls.predictions.transform.dense.bias', [H]],
    ['cls.predictions.transform.LayerNorm.weight', [H]], ['cls.predictions.transform.LayerNorm.bias', [H]], ['cls.predictions.bias', [V]]);
  const header = {};
  let at = 0;
  for (const [name, shape] of tensors) {
    const bytes = 4 * shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: 'F32', shape, data_offsets: [at, at + bytes] };
    at += bytes;
  }
  const h = Buffer.from(JSON.stringify(header));
  const fd = openSync(path.join(dir, 'model.safetensors'), 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  writeSync(fd, len);
  writeSync(fd, h);
  let seed = 12345;
  for (const [name, shape] of tensors) {
    const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
    const ln = name.includes('LayerNorm.weight');
    for (let i = 0; i < v.length; ++i) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      v[i] = ln ? 1 : (seed / 2 ** 32 - 0.5) * 0.07;  // uniform, sd 0.02 as HF's init
    }
    writeSync(fd, new Uint8Array(v.buffer));
  }
  closeSync(fd);
  return dir;
}

const read = (dir) => Object.fromEntries(['config.json', 'vocab.txt', 'model.safetensors'].map((f) => [f, readFileSync(path.join(dir, f))]));

// The renderer processes' peak resident memory (MB): the largest VmHWM among them.
async function rendererPeakMb(browser) {
  const cdp = await browser.newBrowserCDPSession();
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  let peak = 0;
  for (const p of processInfo.filter((x) => x.type === 'renderer')) {
    try {
      const kb = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.id}/status`, 'utf8'))?.[1] ?? 0);
      peak = Math.max(peak, kb / 1024);
    } catch { /* the process has ended */ }
  }
  return Math.round(peak);
}

const base = path.join(root, 'build/fixtures/base-mlm');
if (!existsSync(path.join(base, 'model.safetensors'))) throw new Error('build/fixtures/base-mlm is missing: run bash tests/fixtures/make_fixtures.sh');
const models = [['bench/bert-base', read(base), 12], ['bench/bert-large', read(bertLarge()), 24]];
const hub = await startHub(Object.fromEntries(models.map(([id, files]) => [id, files])));
const rows = [];
for (const [id, files, layers] of models) {
  const env = await start();  // a fresh browser: VmHWM counts from its start
  try {
    const page = await openPage(env.browser, `${env.url}?hub_endpoint=${encodeURIComponent(hub.endpoint)}`);
    const before = await rendererPeakMb(env.browser);
    const drawn = (re) => page.waitForFunction((src) => new RegExp(src).test(document.querySelector('#status').textContent), re, { timeout: 600000 });
    const ready = `^${id}: \\d+ tokens, ${layers} layers`;
    await page.fill('#hub-id', id);
    let t0 = Date.now();
    await page.click('#hub-load');
    await drawn(ready);
    const convertS = (Date.now() - t0) / 1000;
    const peak = await rendererPeakMb(env.browser);
    const status = await page.textContent('#status');
    if (/not kept for offline use/.test(status)) throw new Error(`${id} was not cached: ${status}`);
    hub.offline = true;  // the cached copy, with the hub out of reach
    await page.evaluate(() => document.querySelector('#model').selectedIndex = 0);
    await page.dispatchEvent('#model', 'change');
    await drawn('^headlight-mini: ');
    t0 = Date.now();
    await page.click('#hub-load');
    await drawn(`${ready}.*from the offline cache`);
    const cachedS = (Date.now() - t0) / 1000;
    hub.offline = false;
    rows.push({ model: id, safetensors_mb: Math.round(files['model.safetensors'].length / 1e6), convert_s: convertS,
      renderer_peak_mb: peak, renderer_before_mb: before, cached_load_s: cachedS });
    console.log(rows.at(-1));
  } finally {
    await env.close();
  }
}
hub.close();
const cpu = os.cpus()[0]?.model ?? '?';
const flags = /flags\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
const result = { date: new Date().toISOString(), cpu, cores: os.cpus().length, avx_vnni: /\bavx_vnni\b/.test(flags), rows };
mkdirSync(OUT, { recursive: true });
writeFileSync(path.join(OUT, 'hub_convert.json'), `${JSON.stringify(result, null, 2)}\n`);
console.log(`\n| model | safetensors | Load → drawn | renderer peak RSS (before) | cached load |\n|---|---|---|---|---|`);
for (const r of rows) {
  console.log(`| ${r.model} | ${r.safetensors_mb} MB | ${r.convert_s.toFixed(1)} s | ${r.renderer_peak_mb} MB (${r.renderer_before_mb} MB) | ${r.cached_load_s.toFixed(1)} s |`);
}
console.log(`${cpu}, ${result.cores} cores, AVX-VNNI: ${result.avx_vnni ? 'yes' : 'no'}`);
