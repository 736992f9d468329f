// The WebGPU attention path (web/engine/gpu/) on Chromium's SwiftShader adapter (--enable-unsafe-webgpu): the attention
// and hidden states it gives agree with the wasm path (NMSE ≤ 1e-6), and the page says which path ran.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { openPage, start } from './browser.mjs';

let env;
before(async () => { env = await start({ args: ['--enable-unsafe-webgpu'] }); });
after(async () => { await env?.close(); });

const LONG = Array.from({ length: 40 }, (_, k) => `Sentence ${k} says the cat sat on mat ${k}.`).join(' ');

test('?gpu=on runs attention on WebGPU, equal to the wasm path within NMSE 1e-6', async () => {
  const page = await openPage(env.browser, `${env.url}?gpu=on`);
  assert.match(await page.textContent('#status'), /attention: WebGPU \(software adapter\)/);
  assert.ok((await page.$$('#view path.hl-head-line')).length > 100);
  for (const [a, b] of [['I went to the store.', 'At the store, I bought fresh strawberries.'], [LONG, null]]) {
    const got = await page.evaluate(async ([a, b]) => {
      const gpu = await window.headlight.run(a, b, { gpu: 'on' });
      const cpu = await window.headlight.run(a, b, { gpu: 'off' });
      const nmse = (x, y) => { let e = 0, s = 0; for (let k = 0; k < y.length; ++k) { e += (x[k] - y[k]) ** 2; s += y[k] ** 2; } return e / s; };
      return { n: gpu.n, paths: [gpu.attention_path, cpu.attention_path], attention: nmse(gpu.attention, cpu.attention),
        hidden: nmse(gpu.hidden, cpu.hidden), same: gpu.tokens.length === cpu.tokens.length };
    }, [a, b]);
    assert.deepEqual(got.paths, ['WebGPU (software adapter)', 'wasm']);
    assert.ok(got.same);
    // The hidden states pass through int8 re-quantization of activations, where a 1e-13 difference can move a value
    // across a rounding step: measured 6.5e-7 at n = 402 (attention 1.1e-13), so they get 1e-5.
    assert.ok(got.attention <= 1e-6 && got.hidden <= 1e-5, `n = ${got.n}: attention NMSE ${got.attention}, hidden NMSE ${got.hidden}`);
    console.log(`n = ${got.n}: attention NMSE ${got.attention.toExponential(2)}, hidden NMSE ${got.hidden.toExponential(2)}`);
  }
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('by default (auto) a software adapter is not used: attention stays in wasm', async () => {
  const page = await openPage(env.browser, env.url);
  assert.match(await page.textContent('#status'), /attention: wasm/);
  await page.close();
});
