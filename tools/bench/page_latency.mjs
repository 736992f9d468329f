// npm run bench:page — keystroke to redrawn head view on the built-in model in headless Chromium, at 10, 64 and 256
// tokens (median and p90 of 20 keystrokes each, including the 20 ms typing debounce; with the engine run and the drawing
// alone), and the time to draw each view of a bert-base-shaped model at 128 tokens. Writes build/page_latency.json.
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { openPage, root, start, typeText } from '../../tests/e2e/browser.mjs';

const SIZES = [10, 64, 256], KEYS = 20;
const words = readFileSync(path.join(root, 'models/headlight-mini/heldout-pairs.tsv'), 'utf8').split(/\s+/).filter(Boolean);
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

// Types the first k words of the held-out text as sentence A, moving k until the run has `target` tokens (or 60
// tries); returns the token count reached.
async function typeTokens(page, target, k) {
  let n = 0;
  for (let tries = 0; tries < 60; ++tries) {
    await typeText(page, 'a', words.slice(0, k).join(' '));
    n = await page.evaluate(() => window.headlight.result.n);
    if (n === target) break;
    k += n < target ? 1 : -1;
  }
  return n;
}

const env = await start();
const page = await openPage(env.browser, env.url);
await typeText(page, 'b', '');
const rows = [];
for (const target of SIZES) {
  // Keystrokes then add one character to the last word.
  const n = await typeTokens(page, target, Math.max(1, Math.round(target * 0.8)));
  await page.focus('#a');
  await page.keyboard.press('End');
  const ms = [], drawMs = [], engineMs = [];
  for (let i = 0; i < KEYS; ++i) {
    const seen = await page.evaluate(() => window.headlight.latencyMs.length);
    if (i % 2) await page.keyboard.press('Backspace'); else await page.keyboard.type('s');
    await page.waitForFunction((c) => window.headlight.latencyMs.length > c, seen);
    const m = await page.evaluate(() => [window.headlight.latencyMs.at(-1), window.headlight.drawMs, window.headlight.result.timings_ms.total]);
    ms.push(m[0]); drawMs.push(m[1]); engineMs.push(m[2]);
  }
  const status = await page.textContent('#status');
  rows.push({ tokens: n, median_ms: quantile(ms, 0.5), p90_ms: quantile(ms, 0.9), engine_ms: quantile(engineMs, 0.5),
    draw_ms: quantile(drawMs, 0.5), engine: status.match(/\(([^)]*)\)$/)?.[1] });
}

// The bert-base shape (12 × 12 heads, random weights: build/fixtures, made by npm test / npm run bench) at 128 tokens:
// time to draw each view once (the engine run excluded).
const base = path.join(root, 'build/fixtures/base-mlm.int8.hlm');
const views = [];
if (existsSync(base)) {
  // Served from models/local/ (not committed) through a link: Playwright's route.fulfill cannot carry 107 MB.
  const link = path.join(root, 'models/local/bench-base-mlm.hlm');
  mkdirSync(path.dirname(link), { recursive: true });
  rmSync(link, { force: true });
  symlinkSync(base, link);
  const big = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await big.goto(`${env.url}?model=/models/local/bench-base-mlm.hlm`);
  await big.waitForFunction(() => window.headlight?.runs > 0 && window.headlight.result.layers === 12, null, { timeout: 120000 });
  await typeText(big, 'b', '');
  await typeTokens(big, 128, 100);
  for (const v of ['model', 'head', 'neuron', 'matrix']) {
    const ms = [];
    for (let i = 0; i < 5; ++i) {
      await big.click(`nav.views [data-view=${v === 'head' ? 'model' : 'head'}]`);
      await big.click(`nav.views [data-view=${v}]`);
      ms.push(await big.evaluate(() => window.headlight.drawMs));
    }
    views.push({ view: v, tokens: 128, layers: 12, heads_per_layer: 12, median_ms: quantile(ms, 0.5) });
  }
  await big.close();
}
await env.close();
console.log('| tokens | keystroke → head view, median (ms) | p90 (ms) | engine run, median (ms) | drawing, median (ms) | engine |');
console.log('|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  console.log(`| ${r.tokens} | ${r.median_ms.toFixed(1)} | ${r.p90_ms.toFixed(1)} | ${r.engine_ms.toFixed(1)} | ${r.draw_ms.toFixed(1)} | ${r.engine} |`);
}
if (views.length) {
  console.log('\n| view (bert-base shape, 12 × 12 heads, 128 tokens) | drawing, median of 5 (ms) |');
  console.log('|---|---:|');
  for (const v of views) console.log(`| ${v.view} | ${v.median_ms.toFixed(1)} |`);
} else {
  console.log(`\n(${base} is missing: run npm test or npm run bench first for the bert-base rows)`);
}
mkdirSync(path.join(root, 'build'), { recursive: true });
writeFileSync(path.join(root, 'build/page_latency.json'), JSON.stringify({ keystroke: rows, views }, null, 1));
