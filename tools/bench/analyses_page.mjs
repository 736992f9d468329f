// npm run bench:analyses — what issue #18's analyses cost in the page (headless Chromium, the page's own Worker): the
// Syntax tab's table over the whole treebank (click → drawn, and the Worker's own time), rollout and flow of the shown
// text (a round trip to the Worker: median of 3), and a run with the norm weighting against a plain one (the engine's
// timings, median of 5). The built-in model, and the bert-base shape (build/fixtures, made by npm test) when present.
// Writes build/bench_analyses.json.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { openPage, root, start, typeText } from '../../tests/e2e/browser.mjs';
import { quantile, serveBase, typeTokens } from './page_keys.mjs';

const median = (xs) => quantile(xs, 0.5);

// The Syntax tab on the page's model: ms from the click to the table drawn, the Worker's ms, sentences.
async function syntaxTable(page) {
  const t0 = await page.evaluate(() => performance.now());
  await page.click('nav.views [data-view=syntax]');
  await page.waitForSelector('#view .hl-syntax-table', { timeout: 900000 });
  const t1 = await page.evaluate(() => performance.now());
  const table = await page.evaluate(() => window.headlight.syntax());
  await page.click('nav.views [data-view=head]');
  return { drawn_ms: t1 - t0, worker_ms: table.ms, sentences: table.sentences, arcs: table.arcs,
    all: table.relations[0] };
}

// Rollout or flow of the shown text at its last layer, Worker round trips: the first (rollout computes every layer's
// then, and keeps them with the result) and the median of 3 more.
async function combined(page, method) {
  return page.evaluate(async (m) => {
    const L = window.headlight.result.layers, ms = [];
    for (let i = 0; i < 4; i++) {
      const t = performance.now();
      await window.headlight.combined(m, L - 1);
      ms.push(performance.now() - t);
    }
    return { first: ms[0], again: ms.slice(1).sort((a, b) => a - b)[1] };
  }, method);
}

// The engine's total and value-norm ms for the shown text, with and without norms: medians of 5.
async function norms(page) {
  return page.evaluate(async () => {
    const a = document.getElementById('a').value, runs = { plain: [], norms: [], value_norms: [] };
    for (let i = 0; i < 6; i++) {
      const p = await window.headlight.run(a, null, { want: {} });
      const q = await window.headlight.run(a, null, { norms: true, want: {} });
      if (i === 0) continue;  // warm-up
      runs.plain.push(p.timings_ms.total);
      runs.norms.push(q.timings_ms.total);
      runs.value_norms.push(q.timings_ms.value_norms);
    }
    const med = (xs) => xs.sort((x, y) => x - y)[2];
    return { plain_ms: med(runs.plain), norms_ms: med(runs.norms), value_norms_ms: med(runs.value_norms) };
  });
}

async function measure(page, label) {
  await typeText(page, 'b', '');
  const row = { model: label, syntax: await syntaxTable(page), combined: [], norms: [] };
  for (const n of [32, 48, 128, 512]) {
    await typeTokens(page, n, Math.round(n * 0.8));
    const tokens = await page.evaluate(() => window.headlight.result.n);
    row.combined.push({ tokens, rollout_ms: await combined(page, 'rollout'), flow_ms: tokens <= 48 ? await combined(page, 'flow') : null });
    if (n === 128) row.norms.push({ tokens, ...await norms(page) });
  }
  return row;
}

const env = await start();
const rows = [];
const page = await openPage(env.browser, env.url);
rows.push(await measure(page, 'headlight-mini'));
const base = path.join(root, 'build/fixtures/base-mlm.int8.hlm');
if (existsSync(base)) {
  const big = await env.browser.newPage({ viewport: { width: 1280, height: 900 } });
  await big.goto(`${env.url}?model=${serveBase(base)}`);
  await big.waitForFunction(() => window.headlight?.runs > 0 && window.headlight.result.layers === 12, null, { timeout: 120000 });
  rows.push(await measure(big, 'bert-base shape'));
  await big.close();
}
const engine = await page.evaluate(() => document.getElementById('status').textContent.replace(/^.*\(/, '').replace(/;.*$/, ''));
await env.close();

console.log(`Engine: ${engine}.\n`);
console.log('| model | Syntax tab: click → table (s) | of which the Worker (s) | sentences / s | all relations: best head, dep → head |');
console.log('|---|---:|---:|---:|---|');
for (const r of rows) {
  const s = r.syntax, best = s.all.dependent_to_head.best;
  console.log(`| ${r.model} | ${(s.drawn_ms / 1000).toFixed(1)} | ${(s.worker_ms / 1000).toFixed(1)} | ` +
    `${(s.sentences / (s.worker_ms / 1000)).toFixed(0)} | ${best.layer}-${best.head} ${(100 * best.accuracy).toFixed(1)}% |`);
}
console.log('\n| model | tokens | rollout: first call, every layer (ms) | rollout again (ms) | flow to the last layer, median (ms) |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) {
  for (const c of r.combined) {
    console.log(`| ${r.model} | ${c.tokens} | ${c.rollout_ms.first.toFixed(1)} | ${c.rollout_ms.again.toFixed(1)} | ` +
      `${c.flow_ms === null ? 'refused (> 48 tokens)' : c.flow_ms.again.toFixed(1)} |`);
  }
}
console.log('\n| model | tokens | run (ms) | run with norms (ms) | of which the norms (ms) |');
console.log('|---|---:|---:|---:|---:|');
for (const r of rows) for (const x of r.norms) console.log(`| ${r.model} | ${x.tokens} | ${x.plain_ms.toFixed(1)} | ${x.norms_ms.toFixed(1)} | ${x.value_norms_ms.toFixed(1)} |`);
if (rows.length < 2) console.log(`\n(${base} is missing: run npm test first for the bert-base rows)`);
mkdirSync(path.join(root, 'build'), { recursive: true });
writeFileSync(path.join(root, 'build/bench_analyses.json'), JSON.stringify({ engine, rows }, null, 1));
