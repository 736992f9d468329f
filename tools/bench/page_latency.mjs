// npm run bench:page — keystroke to redrawn head view on the built-in model in headless Chromium, at 10, 64 and 256
// tokens (median and p90 of 20 keystrokes each, including the 20 ms typing debounce; with the engine run and the drawing
// alone). Writes build/page_latency.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { openPage, root, start } from '../../tests/e2e/browser.mjs';

const SIZES = [10, 64, 256], KEYS = 20;
const words = readFileSync(path.join(root, 'models/headlight-mini/heldout-pairs.tsv'), 'utf8').split(/\s+/).filter(Boolean);
const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

const env = await start();
const page = await openPage(env.browser, env.url);
await page.fill('#b', '');
const rows = [];
for (const target of SIZES) {
  // Find a word count giving exactly `target` tokens (keystrokes then add one character to the last word).
  let k = Math.max(1, Math.round(target * 0.8)), n = 0;
  for (let tries = 0; tries < 60; ++tries) {
    const before = await page.evaluate(() => window.headlight.runs);
    await page.fill('#a', words.slice(0, k).join(' '));
    await page.waitForFunction((r) => window.headlight.runs > r, before);
    n = await page.evaluate(() => window.headlight.result.n);
    if (n === target) break;
    k += n < target ? 1 : -1;
  }
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
await env.close();
console.log('| tokens | keystroke → head view, median (ms) | p90 (ms) | engine run, median (ms) | drawing, median (ms) | engine |');
console.log('|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  console.log(`| ${r.tokens} | ${r.median_ms.toFixed(1)} | ${r.p90_ms.toFixed(1)} | ${r.engine_ms.toFixed(1)} | ${r.draw_ms.toFixed(1)} | ${r.engine} |`);
}
mkdirSync(path.join(root, 'build'), { recursive: true });
writeFileSync(path.join(root, 'build/page_latency.json'), JSON.stringify(rows, null, 1));
