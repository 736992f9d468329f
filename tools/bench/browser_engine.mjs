// The engine's speed in headless Chromium, plain SIMD against relaxed SIMD: times engine.run (in a Web Worker, as the
// page runs it) on a model at several lengths, for each build (headlight-st, -mt, -st-relaxed, -mt-relaxed), median of
// several runs after one warm-up. Node cannot show the relaxed builds' gain (V8 11 lowers the relaxed int8 dot product to
// two instructions; Chromium compiles it to one VNNI instruction where the CPU has it), hence this script.
// Usage: node tools/bench/browser_engine.mjs [--model build/fixtures/base-mlm.int8.hlm] [--runs 5] [--n 32,128,512]
//        [--builds st:1,mt:2,st-relaxed:1,mt-relaxed:2]  (build:threads; needs tools/build.sh's wasm builds and, for the
//        default model, tests/fixtures/make_fixtures.sh). Prints a markdown table; writes build/browser_engine.json.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { root, start } from '../../tests/e2e/browser.mjs';
import { currentBuilds } from '../engine_builds.mjs';
import { BENCH_TEXT as TEXT } from './bench_text.mjs';

const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const modelFile = path.resolve(arg('--model', path.join(root, 'build/fixtures/base-mlm.int8.hlm')));
const runs = Number(arg('--runs', 5));
const lengths = arg('--n', '32,128,512').split(',').map(Number);
const builds = arg('--builds', 'st:1,mt:2,st-relaxed:1,mt-relaxed:2').split(',').map((b) => {
  const [build, threads = '1'] = b.split(':');
  return { build, threads: Number(threads) };
});
if (!existsSync(modelFile)) throw new Error(`${modelFile} is missing: run \`bash tests/fixtures/make_fixtures.sh\` (or pass --model)`);
const { problems } = currentBuilds(path.join(root, 'web/engine/wasm'), root);  // a missing or stale build is refused
for (const { build } of builds) {
  const problem = problems.find((p) => p.startsWith(`${build}:`));
  if (problem) throw new Error(`engine build ${problem}`);
}


// In the page: the browser, and how it implements relaxed SIMD's int8 dot product (implementations may differ where the
// "i7" operand has its top bit set), which decides the int8 kernels XNNPACK picks in the relaxed builds (its
// hardware-config.c probes the same way): one lane of i32x4.relaxed_dot_i8x16_i7x16_add_s(splat(-128),
// [.. -128 -128 -1 -1 ..], 0), in a module assembled here.
function probeBrowser() {
  const v128 = (bytes) => [0xfd, 0x0c, ...bytes];                       // v128.const
  const body = [0x00,                                                   // no locals
    ...v128(new Array(16).fill(0x80)),                                  // a: sixteen -128
    ...v128([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0xff, 0xff, 0xff, 0xff, 0x80, 0x80, 0xff, 0xff, 0xff, 0xff]),  // b
    ...v128(new Array(16).fill(0)),                                     // c: 0
    0xfd, 0x93, 0x02,                                                   // i32x4.relaxed_dot_i8x16_i7x16_add_s
    0xfd, 0x1b, 0x01,                                                   // i32x4.extract_lane 1: -128·(-128 -128 -1 -1)
    0x0b];
  const bytes = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f,                           // type: () -> i32
    0x03, 0x02, 0x01, 0x00,                                             // one function
    0x07, 0x05, 0x01, 0x01, 0x66, 0x00, 0x00,                           // export "f"
    0x0a, body.length + 2, 0x01, body.length, ...body]);
  let relaxedDot;
  try {
    const lane = new WebAssembly.Instance(new WebAssembly.Module(bytes)).exports.f();
    relaxedDot = { 33024: 'signed × signed (e.g. Arm sdot): XNNPACK uses its wasmsdot kernels',
      [-98048]: 'unsigned × signed, exact (x86 AVX-VNNI): XNNPACK uses its wasmusdot kernels',
      [-65536]: 'unsigned × signed, 16-bit pairs saturate (x86 pmaddubsw, no AVX-VNNI): XNNPACK keeps its plain-SIMD int8 kernels',
    }[lane] ?? `unknown (lane = ${lane})`;
  } catch (e) {
    relaxedDot = `no relaxed SIMD (${e.message})`;
  }
  return { userAgent: navigator.userAgent, cores: navigator.hardwareConcurrency, crossOriginIsolated: self.crossOriginIsolated,
    relaxedDot };
}

// The side-by-side benchmark's page and Worker (tools/bench/browser/): one Headlight build per Worker, the engine's own
// stage timings per run.
const env = await start({ mounts: [['/bench/', path.join(root, 'tools/bench/browser')], ['/fixtures/', path.dirname(modelFile)],
  ['/', path.join(root, 'web')]] });
const results = [];
let browserInfo = null;
try {
  const page = await env.browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') console.error(`page: ${m.text()}`); });
  await page.goto(`${env.url}bench/index.html`);
  browserInfo = await page.evaluate(probeBrowser);
  if (!browserInfo.crossOriginIsolated) throw new Error('the bench page is not cross-origin isolated: the threaded builds cannot run');
  // The encoder's linear layers (Q, K, V, output, two FFN) at n tokens.
  const linearMacs = ({ num_layers: L, hidden_size: H, intermediate_size: I }, n) => n * L * (4 * H * H + 2 * H * I);
  const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
  for (const { build, threads } of builds) {
    const out = await page.evaluate((msg) => window.benchOne(msg), { engine: 'headlight', build, threads,
      modelUrl: `/fixtures/${encodeURIComponent(path.basename(modelFile))}`, lengths, runs, text: TEXT });
    if (out.error) throw new Error(`${build} (${threads} threads): ${out.error}`);
    for (const row of out.done.rows) {
      const m = (key) => median(row.stages.map((t) => t[key]));
      const r = { n: row.n, linear: m('linear'), attention: m('attention'), total: m('total') };
      results.push({ build, threads, ...r, linear_gmacs: linearMacs(out.done.config, r.n) / (r.linear * 1e6) });
    }
    console.error(`browser_engine: ${build} with ${threads} thread(s) done`);
  }
} finally {
  await env.close();
}

const f = (x) => x.toFixed(1);
console.log(`\n${browserInfo.userAgent.match(/(?:Headless)?Chrome\/[\d.]+/)?.[0] ?? 'Chromium'}, ${browserInfo.cores} cores; ` +
  `${path.relative(root, modelFile)}; median of ${runs} runs\nrelaxed int8 dot product here: ${browserInfo.relaxedDot}\n`);
console.log('| build | threads | n | linear (ms) | linear GMAC/s | attention (ms) | total (ms) | vs plain SIMD |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of results) {
  const plain = r.build.endsWith('-relaxed')
    ? results.find((p) => p.build === r.build.replace(/-relaxed$/, '') && p.threads === r.threads && p.n === r.n) : null;
  console.log(`| ${r.build} | ${r.threads} | ${r.n} | ${f(r.linear)} | ${f(r.linear_gmacs)} | ${f(r.attention)} | ${f(r.total)} | ` +
    `${plain ? `${(plain.total / r.total).toFixed(2)}×` : ''} |`);
}
writeFileSync(path.join(root, 'build/browser_engine.json'), `${JSON.stringify({ browser: browserInfo, model: modelFile, runs, results }, null, 1)}\n`);
