// The engine build the page picks in Chromium (which has relaxed SIMD): the relaxed-SIMD one, threaded when the page is
// cross-origin isolated, single-thread when not; and the plain build when the relaxed one cannot be loaded (as where the
// browser lacks relaxed SIMD, e.g. Safari) or is not built yet (npm start builds it after serving), with the same
// attention, to the bit, and the status saying so.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';

import { serve } from '../../tools/serve.mjs';
import { root, start } from './browser.mjs';

let env;
before(async () => { env = await start(); });
after(async () => { await env?.close(); });

// A fresh context at url, without the service worker (it could answer the engine's requests from its cache, past the
// routes; the page runs without one where the browser has none); `blockRelaxed` answers 404 for the relaxed builds'
// files, `listOnly` answers the list of builds (engine/wasm/builds.json) with only those builds. Resolves once the first
// run is drawn.
async function open(url, { blockRelaxed = false, listOnly = null } = {}) {
  const context = await env.browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(() => { delete Navigator.prototype.serviceWorker; });
  const requested = [];
  context.on('request', (r) => {  // each module once (pthread workers load it again)
    const name = r.url().match(/headlight-[a-z-]+\.mjs$/)?.[0];
    if (name && !requested.includes(name)) requested.push(name);
  });
  if (blockRelaxed) await context.route(/headlight-[a-z]+-relaxed\.(mjs|wasm)$/, (route) => route.fulfill({ status: 404, body: 'not here' }));
  if (listOnly) {
    await context.route(/engine\/wasm\/builds\.json$/, async (route) => {
      const { builds } = await (await route.fetch()).json();
      await route.fulfill({ json: { builds: Object.fromEntries(listOnly.map((v) => [v, builds[v]])) } });
    });
  }
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  await page.goto(url);
  await page.waitForFunction(() => window.headlight?.runs > 0 && window.headlight.view, null, { timeout: 60000 });
  const got = await page.evaluate(async () => ({ status: document.querySelector('#status').textContent,
    attention: Array.from((await window.headlight.full()).attention), n: window.headlight.result.n }));
  await context.close();
  return { ...got, requested, errors };
}

test('cross-origin isolated: the relaxed-SIMD threaded build; without it, the plain one with the same attention', async () => {
  const relaxed = await open(env.url);
  assert.deepEqual(relaxed.errors, []);
  assert.match(relaxed.status, /\d+ threads, relaxed SIMD[;)]/);
  assert.deepEqual(relaxed.requested, ['headlight-mt-relaxed.mjs']);

  const plain = await open(env.url, { blockRelaxed: true });
  assert.deepEqual(plain.errors, []);
  assert.match(plain.status, /\d+ threads; the relaxed-SIMD build did not load: plain SIMD[;)]/);
  assert.doesNotMatch(plain.status, /relaxed SIMD[;)]/);
  assert.deepEqual(plain.requested, ['headlight-mt-relaxed.mjs', 'headlight-mt.mjs']);

  const unbuilt = await open(env.url, { listOnly: ['mt', 'st'] });
  assert.deepEqual(unbuilt.errors, []);
  assert.match(unbuilt.status, /\d+ threads; the relaxed-SIMD build is not built yet: plain SIMD[;)]/);
  assert.deepEqual(unbuilt.requested, ['headlight-mt.mjs'], 'a build that is not listed is never fetched');
  assert.deepEqual(unbuilt.attention, plain.attention);

  assert.equal(relaxed.n, plain.n);
  let maxDiff = 0;
  for (let i = 0; i < plain.attention.length; i++) maxDiff = Math.max(maxDiff, Math.abs(plain.attention[i] - relaxed.attention[i]));
  assert.equal(maxDiff, 0, `max |Δ attention| ${maxDiff}`);
});

test('not isolated: the relaxed-SIMD single-thread build', async () => {
  const { server, url } = await serve({ port: 0, isolation: false });
  try {
    const r = await open(url);
    assert.deepEqual(r.errors, []);
    assert.match(r.status, /single thread, relaxed SIMD[;)]/);
    assert.deepEqual(r.requested, ['headlight-st-relaxed.mjs']);
  } finally {
    server.close();
  }
});

// ?engine= runs that build and no other, ?int8_gemm= that GEMM (benchmarks, bug reports): the same attention, to the bit;
// a build that is not there is an error that says so, not a quiet fallback.
test('?engine=&threads=&int8_gemm= pick the build, threads and GEMM; a missing build is named', async () => {
  const auto = await open(env.url);
  const forced = await open(`${env.url}?engine=st-relaxed&int8_gemm=headlight`);
  assert.deepEqual(forced.errors, []);
  assert.match(forced.status, /single thread, relaxed SIMD, int8 GEMM: headlight[;)]/);
  assert.deepEqual(forced.requested, ['headlight-st-relaxed.mjs']);
  assert.deepEqual(forced.attention, auto.attention);
  const plain = await open(`${env.url}?engine=mt&threads=2&int8_gemm=xnnpack`);
  assert.match(plain.status, /2 threads, int8 GEMM: xnnpack[;)]/);
  assert.deepEqual(plain.requested, ['headlight-mt.mjs']);
  assert.deepEqual(plain.attention, auto.attention);

  const { builds } = await (await fetch(`${env.url}engine/wasm/builds.json`)).json();
  const context = await env.browser.newContext();
  await context.route(/engine\/wasm\/builds\.json$/, (route) => route.fulfill({ json: { builds: { mt: builds.mt } } }));
  const page = await context.newPage();
  await page.goto(`${env.url}?engine=mt-relaxed`);
  await page.waitForFunction(() => /engine build "mt-relaxed" was asked for/.test(document.body.textContent), null, { timeout: 30000 });
  await context.close();
});

// The relaxed kernel itself, against its reference, over tile-edge shapes: in Chromium, whose V8 lowers the relaxed dot
// exactly where the CPU has AVX-VNNI (Node 20's does not, so the Catch2 tests never reach this kernel).
test('Headlight\'s relaxed int8 GEMM gives its reference\'s bits at every tile edge (build/wasm-st-relaxed)', async (t) => {
  const dir = path.join(root, 'build/wasm-st-relaxed');
  if (!existsSync(path.join(dir, 'hl-gemm-relaxed-check.mjs'))) throw new Error(`${dir}/hl-gemm-relaxed-check.mjs is missing: bash tools/build.sh wasm-st-relaxed`);
  const { server, url } = await serve({ port: 0, isolation: false, mounts: [['/check/', dir], ['/', path.join(root, 'web')]] });
  try {
    const page = await env.browser.newPage();
    await page.goto(`${url}engine/wasm/builds.json`);
    const { failures, first } = await page.evaluate(async () => {
      const { default: create } = await import('/check/hl-gemm-relaxed-check.mjs');
      const m = await create({ locateFile: (f) => `/check/${f}` });
      const failures = m._gemm_relaxed_check();
      return { failures, first: m.UTF8ToString(m._gemm_relaxed_first_failure()) };
    });
    await page.close();
    if (failures === -1) { t.skip('this CPU\'s relaxed dot is inexact (no AVX-VNNI): the engine never runs the relaxed kernel here'); return; }
    assert.equal(failures, 0, `shapes differing from the reference; the first: ${first}`);
  } finally {
    server.close();
  }
});
