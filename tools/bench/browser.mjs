// npm run bench:browser — Headlight against onnxruntime-web 1.30 in headless Chromium, on the same int8 weights (the
// .hlm and its ONNX export, tools/onnx/export_onnx.py) and the same token ids, same thread counts, n = 32, 128, 512:
// median and p90 over --runs runs (after a warm-up), model ready time (from bytes in memory: wasm start + load), peak
// memory (the renderer process's VmHWM: each configuration runs in its own browser context, hence its own renderer),
// and Headlight's hand-over to the page of what its head view draws (the summary and one layer's attention; the rest
// stays in the Worker, as in web/engine/worker.js), where the ready time goes, and, on the bert-base shape, keystroke →
// head view drawn on the real page (layer 0 and the last layer in view) per configuration. Each relaxed build is also
// measured with Headlight's int8 GEMM forced: what a CPU without AVX-VNNI runs. Prints markdown; writes
// build/bench_browser.json.
// Usage: node tools/bench/browser.mjs [--runs 20] [--rounds 1] [--n 32,128,512] [--threads 1,2] [--models base,builtin]
//        [--keys-n 128 (0: no keystroke rows)]
// With --rounds R, each row's median and p90 are over all R × runs runs: on a machine whose speed drifts (this project's
// shared VM), a slow minute then lands on every engine, not on whichever ran in it.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { root, start, typeText } from '../../tests/e2e/browser.mjs';
import { currentBuilds } from '../engine_builds.mjs';
import { nodeEngine } from '../eval/node_engine.mjs';
import { BENCH_TEXT as TEXT } from './bench_text.mjs';
import { keystrokes, serveBase, typeTokens } from './page_keys.mjs';

const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const runs = Number(arg('--runs', 20));
const rounds = Number(arg('--rounds', 1));  // the whole sequence again, engines in reverse order on odd rounds
const lengths = arg('--n', '32,128,512').split(',').map(Number);
const threadCounts = arg('--threads', '1,2').split(',').map(Number);
const MODELS = {
  base: { name: 'bert-base shape (random weights)', dir: 'build/fixtures', file: 'base-mlm.int8.hlm',
    how: 'run `npm test` first (it builds build/native/hl-convert and the fixtures)',
    // made here when missing, as tools/bench/run.sh makes it (the fixtures are cached; hl-convert is the native converter)
    make: 'bash tests/fixtures/make_fixtures.sh && build/native/hl-convert build/fixtures/base-mlm build/fixtures/base-mlm.int8.hlm --name bert-base-random' },
  builtin: { name: 'headlight-mini (built-in)', dir: 'models/headlight-mini', file: 'headlight-mini.hlm', how: 'it is committed' },
};
const models = arg('--models', 'base,builtin').split(',').map((k) => ({ key: k, ...MODELS[k] }));

const { builds: current, problems } = currentBuilds(path.join(root, 'web/engine/wasm'), root);  // never a stale build
for (const p of problems) console.error(`bench: engine build ${p}: not measured`);
const builds = (threads) => [threads > 1 ? 'mt' : 'st', threads > 1 ? 'mt-relaxed' : 'st-relaxed'].filter((b) => current[b]);
// Each build as the page picks its int8 GEMM, and the relaxed build again with Headlight's GEMM forced: what a CPU without
// AVX-VNNI runs (its relaxed dot product is not exact there), measurable on any CPU.
const headlightConfigs = (threads) => builds(threads).flatMap((b) => [{ build: b },
  ...(b.endsWith('-relaxed') ? [{ build: b, int8Gemm: 'headlight' }] : [])]);
const headlightLabel = (c) => `Headlight ${c.build}${c.int8Gemm ? `, ${c.int8Gemm} GEMM forced` : ''}`;
const keysN = Number(arg('--keys-n', 128));  // keystroke rows at about this many tokens (0: none)
if (!builds(1).includes('st')) throw new Error('web/engine/wasm/ has no current single-thread build: run `bash tools/build.sh wasm-st`');

// The ONNX exports, remade when the .hlm is newer.
const onnxDir = path.join(root, 'build/bench-onnx');
mkdirSync(onnxDir, { recursive: true });
const node = await nodeEngine('st');
for (const m of models) {
  const hlm = path.join(root, m.dir, m.file);
  if (!existsSync(hlm) && m.make && existsSync(path.join(root, 'build/native/hl-convert')))
    execFileSync('bash', ['-c', m.make], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (!existsSync(hlm)) throw new Error(`${path.join(m.dir, m.file)} is missing: ${m.how}`);
  m.onnx = m.file.replace(/\.hlm$/, '.onnx');
  const onnx = path.join(onnxDir, m.onnx);
  if (!existsSync(onnx) || statSync(onnx).mtimeMs < statSync(hlm).mtimeMs)
    execFileSync('/usr/bin/python3', [path.join(root, 'tools/onnx/export_onnx.py'), hlm, onnx], { stdio: 'inherit' });
  // The same token ids for both: Headlight's tokenizer, cut to each n.
  const model = node.loadModel(new Uint8Array(readFileSync(hlm)));
  m.inputs = lengths.map((n) => {
    const r = node.run(model, TEXT, null, { maxTokens: n });
    return { n: r.n, ids: r.tokens.map((t) => t.id), types: r.tokens.map((t) => t.segment) };
  });
  node.freeModel(model);
}

const STAGES = ['tokenize', 'embeddings', 'linear', 'attention', 'norm_act', 'mlm', 'total'];  // the engine's timings_ms
const READY = ['start', 'copy', 'load'];  // Headlight's ready time: wasm start, the file copied into its memory, hl_model_load
const stat = (ms) => { const s = [...ms].sort((a, b) => a - b); return { median: s[s.length >> 1], p90: s[Math.min(s.length - 1, Math.ceil(0.9 * s.length) - 1)] }; };
const env = await start({ mounts: [['/bench/', path.join(root, 'tools/bench/browser')], ['/ort/', path.join(root, 'node_modules/onnxruntime-web/dist')],
  ['/onnx/', onnxDir], ['/fixtures/', path.join(root, 'build/fixtures')], ['/models/', path.join(root, 'models')], ['/', path.join(root, 'web')]] });
const results = [], keyRows = [];
const modelUrl = (m) => `/${m.dir.replace(/^build\//, '')}/${m.file}`;  // as mounted below
let browser;
const cdp = await env.browser.newBrowserCDPSession();
// The highest peak resident memory (VmHWM) among the live renderer processes: the one running the configuration.
async function rendererPeakBytes() {
  const { processInfo } = await cdp.send('SystemInfo.getProcessInfo');
  let peak = 0;
  for (const p of processInfo.filter((x) => x.type === 'renderer')) {
    try { peak = Math.max(peak, 1024 * Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p.id}/status`, 'utf8'))[1])); } catch { /* gone */ }
  }
  return peak || null;
}
try {
  // A throwaway configuration first: the browser's own start-up work otherwise lands on the first one measured (bert-base,
  // 1 thread, n = 128 measured 518 ms there, 362 ms when rerun).
  {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${env.url}bench/index.html`);
    const m = models[0];
    await page.evaluate((msg) => window.benchOne(msg), { engine: 'headlight', build: 'st', threads: 1,
      modelUrl: modelUrl(m), text: TEXT, lengths: [lengths[0]], runs: 3 });
    await context.close();
  }
  const raw = new Map();  // "model|engine|threads|n" → samples from every round
  for (let round = 0; round < rounds; ++round) {
    for (const m of models) {
      for (const threads of threadCounts) {
        const configs = [...headlightConfigs(threads).map((h) => ({ engine: 'headlight', ...h, threads, modelUrl: modelUrl(m), text: TEXT, lengths, runs })),
          { engine: 'ort', threads, onnxUrl: `/onnx/${m.onnx}`, inputs: m.inputs, runs }];
        if (round % 2) configs.reverse();
        for (const c of configs) {
          let label = c.engine === 'ort' ? 'onnxruntime-web' : headlightLabel(c);
          process.stderr.write(`bench:browser: round ${round + 1}/${rounds}, ${m.name}, ${label}, ${threads} thread(s)…\n`);
          const context = await env.browser.newContext();
          const page = await context.newPage();
          page.on('console', (msg) => { if (msg.type() === 'error') console.error(`page: ${msg.text()}`); });
          await page.goto(`${env.url}bench/index.html`);
          browser ??= await page.evaluate(() => ({ userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency, isolated: self.crossOriginIsolated }));
          if (!browser.isolated) throw new Error('the bench page is not cross-origin isolated: threads cannot run');
          const out = await page.evaluate((msg) => window.benchOne(msg), c);
          const peak = await rendererPeakBytes();
          await context.close();
          if (out.error) throw new Error(`${m.name}, ${label}, ${threads} threads: ${out.error}`);
          if (out.done.int8Gemm && !c.int8Gemm) label += ` (${out.done.int8Gemm} GEMM)`;  // which int8 kernel ran: ops/gemm_qd8.h or XNNPACK's
          for (const row of out.done.rows) {
            if (!m.inputs.some((x) => x.n === row.n)) throw new Error(`${label} ran ${row.n} tokens, not one of ${m.inputs.map((x) => x.n)}`);
            const key = [m.name, label, threads, row.n].join('|');
            if (!raw.has(key)) raw.set(key, { model: m.name, engine: label, threads, n: row.n, ms: [], copy: [], stages: [], ready: [], readyStages: [], peak: [], heap: [], hand: [] });
            const r = raw.get(key);
            r.ms.push(...row.ms);
            if (row.engineMs) r.copy.push(...row.ms.map((x, k) => x - row.engineMs[k]));
            if (row.stages) r.stages.push(...row.stages);
            r.ready.push(out.done.readyMs);
            if (out.done.readyStages) r.readyStages.push(out.done.readyStages);
            if (peak) r.peak.push(peak);
            if (out.done.engineBytes) r.heap.push(out.done.engineBytes);
            const hand = out.handovers.find((h) => h.n === row.n);
            if (hand) r.hand.push(hand.ms);
          }
        }
      }
    }
  }
  // What a person waits for on the page: keystroke → head view drawn, layer 0 and the last layer in view, per configuration.
  for (const m of models.filter((x) => x.key === 'base' && keysN > 0))
    for (const threads of threadCounts)
      for (const h of headlightConfigs(threads)) {
        const label = headlightLabel(h);
        process.stderr.write(`bench:browser: keystrokes, ${m.name}, ${label}, ${threads} thread(s)…\n`);
        const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
        const page = await context.newPage();
        const q = new URLSearchParams({ model: serveBase(path.join(root, m.dir, m.file)), engine: h.build, threads, gpu: 'off', ...(h.int8Gemm ? { int8_gemm: h.int8Gemm } : {}) });
        await page.goto(`${env.url}?${q}`);
        await page.waitForFunction(() => window.headlight?.runs > 0 && window.headlight.result.layers > 1, null, { timeout: 120000 });
        const last = await page.evaluate(() => window.headlight.result.layers - 1);
        await typeText(page, 'b', '');
        const n = await typeTokens(page, keysN, Math.round(keysN * 0.8));
        const first = await keystrokes(page, 'layer 0');
        await page.selectOption('#view select[aria-label=layer]', String(last));
        await page.waitForFunction((l) => window.headlight.state.layer === l, last);
        const lastLayer = await keystrokes(page, `layer ${last}`);
        keyRows.push({ model: m.name, engine: label, threads, n, layer0: first, last: lastLayer, status: first.engine });
        await context.close();
      }
  for (const r of raw.values()) {
    const copy = r.copy.length ? stat(r.copy).median : null;
    results.push({ model: r.model, engine: r.engine, threads: r.threads, n: r.n, ...stat(r.ms), readyMs: stat(r.ready).median,
      readyStages: r.readyStages.length ? Object.fromEntries(READY.map((k) => [k, stat(r.readyStages.map((t) => t[k])).median])) : null,
      peakBytes: r.peak.length ? Math.max(...r.peak) : null, engineBytes: r.heap.length ? Math.max(...r.heap) : null, handoverMs: copy === null ? null : copy + (r.hand.length ? stat(r.hand).median : 0),
      stages: r.stages.length ? Object.fromEntries(STAGES.map((k) => [k, stat(r.stages.map((t) => t[k])).median])) : null });
  }
} finally {
  await env.close();
}

const f = (x, d = 1) => (x === null || x === undefined ? '' : x.toFixed(d));
console.log(`\nChromium ${browser.userAgent.match(/Chrome\/([\d.]+)/)?.[1] ?? '?'}, ${os.cpus()[0].model}, ${browser.cores} cores; ` +
  `${rounds} × ${runs} runs after a warm-up; ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| model | threads | n | engine | median (ms) | p90 (ms) | p90/median | onnxruntime-web ÷ this | ready (ms) | renderer peak (MiB) | hand-over (ms, % of run) |');
console.log('|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const ort = results.find((x) => x.model === r.model && x.threads === r.threads && x.n === r.n && x.engine === 'onnxruntime-web');
  const hand = r.handoverMs === null ? '' : `${f(r.handoverMs)} (${f(100 * r.handoverMs / r.median, 0)}%)`;
  console.log(`| ${r.model} | ${r.threads} | ${r.n} | ${r.engine} | ${f(r.median)} | ${f(r.p90)} | ${f(r.p90 / r.median, 2)} | ` +
    `${f(ort.median / r.median, 2)}× | ${f(r.readyMs, 0)} | ${r.peakBytes ? f(r.peakBytes / 2 ** 20, 0) : ''} | ${hand} |`);
}
// The profile: where Headlight's run time goes, stage by stage (medians; linear = the int8 GEMMs with their activation
// quantization, attention = scores, softmax and context of every head, norm_act = layer norms, GELU and residual adds).
console.log(`\nHeadlight's stages (median ms): ${STAGES.join(', ')}; and the share of the linear layers\n`);
console.log(`| model | threads | n | engine | ${STAGES.join(' | ')} | linear share |`);
console.log(`|---|---:|---:|---|${STAGES.map(() => '---:').join('|')}|---:|`);
for (const r of results.filter((x) => x.stages))
  console.log(`| ${r.model} | ${r.threads} | ${r.n} | ${r.engine} | ${STAGES.map((k) => f(r.stages[k])).join(' | ')} | ` +
    `${f(100 * r.stages.linear / r.stages.total, 0)}% |`);
// Keystroke → head view drawn on the page (web/main.js with ?engine=&threads=&int8_gemm=&gpu=off), next to the run time.
if (keyRows.length) {
  console.log(`\nKeystroke → head view drawn on the page (median and p90 of 20 keystrokes; the run: the engine's own time)\n`);
  console.log('| model | threads | engine | tokens | layer 0: median (ms) | p90 | last layer: median (ms) | p90 | engine run, median (ms) | drawing (ms) |');
  console.log('|---|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const k of keyRows)
    console.log(`| ${k.model} | ${k.threads} | ${k.engine} | ${k.n} | ${f(k.layer0.median_ms)} | ${f(k.layer0.p90_ms)} | ${f(k.last.median_ms)} | ` +
      `${f(k.last.p90_ms)} | ${f(k.last.engine_ms)} | ${f(k.layer0.draw_ms)} |`);
}
// Memory: the renderer's peak against the engine's own (its wasm heap, whose size is its peak: it never shrinks); the
// target is renderer peak − engine ≤ the model file + 100 MiB (the page's copy of the file and everything else).
const mems = results.filter((r) => r.engineBytes && r.peakBytes && r.n === Math.max(...results.filter((x) => x.engine === r.engine).map((x) => x.n)));
if (mems.length) {
  console.log(`\nMemory at the largest n (MiB): the renderer's peak, the engine's wasm heap, the rest\n`);
  console.log('| model | threads | engine | n | renderer peak | engine heap | rest |');
  console.log('|---|---:|---|---:|---:|---:|---:|');
  for (const r of mems)
    console.log(`| ${r.model} | ${r.threads} | ${r.engine} | ${r.n} | ${f(r.peakBytes / 2 ** 20, 0)} | ${f(r.engineBytes / 2 ** 20, 0)} | ` +
      `${f((r.peakBytes - r.engineBytes) / 2 ** 20, 0)} |`);
}
// Where Headlight's ready time goes (medians over the configurations' page loads): start = the wasm compiled and
// instantiated (threads started), copy = the model file into fresh engine memory, load = hl_model_load.
console.log(`\nHeadlight's ready time (median ms): ${READY.join(', ')}\n`);
console.log(`| model | threads | engine | ${READY.join(' | ')} | ready |`);
console.log(`|---|---:|---|${READY.map(() => '---:').join('|')}|---:|`);
for (const r of results.filter((x) => x.readyStages && x.n === results.find((y) => y.engine === x.engine && y.model === x.model && y.threads === x.threads).n))
  console.log(`| ${r.model} | ${r.threads} | ${r.engine} | ${READY.map((k) => f(r.readyStages[k], 0)).join(' | ')} | ${f(r.readyMs, 0)} |`);
writeFileSync(path.join(root, 'build/bench_browser.json'), `${JSON.stringify({ browser, runs, rounds, results, keystrokes: keyRows }, null, 2)}\n`);
console.log('\n(written to build/bench_browser.json)');
