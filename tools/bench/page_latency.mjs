// npm run bench:page — keystroke to redrawn head view in headless Chromium (median and p90 of 20 keystrokes, including
// the page's own scheduling; with the engine run and the drawing alone): the built-in model at 10, 64 and 256 tokens, and
// a bert-base-shaped model at 128 tokens with layer 0 and with the last layer in view (the Worker sends the viewed
// layer as soon as it is computed). Then, on the bert-base shape, continuous typing (20 keys at 100 ms: how often the
// view redraws and how long after the last key its drawing comes) and the time to draw each view. Writes
// build/page_latency.json.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { openPage, root, start, typeText } from '../../tests/e2e/browser.mjs';
import { keystrokes, quantile, serveBase, typeTokens } from './page_keys.mjs';

const SIZES = [10, 64, 256];

// Continuous typing: `keys` characters at `delayMs` a key; every drawing (a run's result or its early layer) is timed
// with the end of its text, and each key's arrival in the text area.
async function typing(page, keys, delayMs) {
  const typed = ' and so on'.repeat(Math.ceil(keys / 10)).slice(0, keys);
  await page.focus('#a');
  await page.keyboard.press('End');
  await page.evaluate(() => {
    window.__keys = [];
    window.__draws = [];
    window.__onInput = () => window.__keys.push(performance.now());
    document.querySelector('#a').addEventListener('input', window.__onInput);
    const count = () => window.headlight.runs + window.headlight.partials;
    let seen = count();
    const watch = () => {
      if (count() !== seen) {
        seen = count();
        window.__draws.push({ t: performance.now(), text: window.headlight.result.tokens.filter((t) => t.start >= 0).slice(-3).map((t) => t.text).join(' ') });
      }
      window.__watch = requestAnimationFrame(watch);
    };
    watch();
  });
  const runs0 = await page.evaluate(() => window.headlight.engineRuns);
  await page.keyboard.type(typed, { delay: delayMs });
  const want = typed.trim().split(/\s+/).slice(-3).join(' ');
  await page.waitForFunction((w) => window.__draws.some((d) => d.text === w), want, { timeout: 60000 });
  const { keys: at, draws, runs } = await page.evaluate(() => {
    cancelAnimationFrame(window.__watch);
    document.querySelector('#a').removeEventListener('input', window.__onInput);
    return { keys: window.__keys, draws: window.__draws, runs: window.headlight.engineRuns };
  });
  const [first, last] = [at[0], at.at(-1)];
  const during = draws.filter((d) => d.t > first && d.t < last).map((d) => d.t);
  const gaps = [first, ...during, last].slice(1).map((t, i) => t - [first, ...during][i]);
  const final = draws.find((d) => d.t > last && d.text === want);
  return { keys, delay_ms: delayMs, typing_ms: last - first, drawings_while_typing: during.length, longest_wait_ms: Math.max(...gaps),
    last_key_to_drawn_ms: final.t - last, runs_started: runs - runs0 };
}

const env = await start();
const page = await openPage(env.browser, env.url);
await typeText(page, 'b', '');
const rows = [];
for (const target of SIZES) {
  await typeTokens(page, target, Math.max(1, Math.round(target * 0.8)));
  rows.push(await keystrokes(page, 'built-in'));
}

// The bert-base shape (12 × 12 heads, random weights: build/fixtures, made by npm test / npm run bench) at 128 tokens:
// time to draw each view once (the engine run excluded).
const base = path.join(root, 'build/fixtures/base-mlm.int8.hlm');
const views = [];
let typed = null;
if (existsSync(base)) {
  const big = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await big.goto(`${env.url}?model=${serveBase(base)}`);
  await big.waitForFunction(() => window.headlight?.runs > 0 && window.headlight.result.layers === 12, null, { timeout: 120000 });
  await typeText(big, 'b', '');
  await typeTokens(big, 128, 100);
  rows.push(await keystrokes(big, 'bert-base shape, layer 0'));
  await big.selectOption('#view select[aria-label=layer]', '11');
  await big.waitForFunction(() => window.headlight.state.layer === 11);
  rows.push(await keystrokes(big, 'bert-base shape, layer 11'));
  await big.selectOption('#view select[aria-label=layer]', '0');
  typed = await typing(big, 20, 100);
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
console.log('| model | tokens | keystroke → head view, median (ms) | p90 (ms) | engine run, median (ms) | drawing, median (ms) | engine |');
console.log('|---|---:|---:|---:|---:|---:|---|');
for (const r of rows) {
  console.log(`| ${r.label} | ${r.tokens} | ${r.median_ms.toFixed(1)} | ${r.p90_ms.toFixed(1)} | ${r.engine_ms.toFixed(1)} | ${r.draw_ms.toFixed(1)} | ${r.engine} |`);
}
if (typed) {
  console.log(`\nTyping ${typed.keys} keys at ${typed.delay_ms} ms a key on the bert-base shape (${(typed.typing_ms / 1000).toFixed(1)} s): ` +
    `${typed.drawings_while_typing} drawings while typing, longest wait for one ${typed.longest_wait_ms.toFixed(0)} ms; last key → drawn ` +
    `${typed.last_key_to_drawn_ms.toFixed(0)} ms; ${typed.runs_started} runs started.`);
}
if (views.length) {
  console.log('\n| view (bert-base shape, 12 × 12 heads, 128 tokens) | drawing, median of 5 (ms) |');
  console.log('|---|---:|');
  for (const v of views) console.log(`| ${v.view} | ${v.median_ms.toFixed(1)} |`);
} else {
  console.log(`\n(${base} is missing: run npm test or npm run bench first for the bert-base rows)`);
}
mkdirSync(path.join(root, 'build'), { recursive: true });
writeFileSync(path.join(root, 'build/page_latency.json'), JSON.stringify({ keystroke: rows, typing: typed, views }, null, 1));
