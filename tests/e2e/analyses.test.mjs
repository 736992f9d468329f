// The analysis panels in Chromium (patterns, layer charts, head map): they render, their clicks open the right head, and
// the page's statistics equal the native batch CLI's (tools/analyze) on the same text.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { openPage, root, showView, start, typeText } from './browser.mjs';
import { shootScene, showScene } from './scenes.mjs';

let env, page;
before(async () => {
  env = await start();
  page = await openPage(env.browser, env.url);
});
after(async () => { await env?.close(); });

const tab = (name) => showView(page, name);
const headState = () => page.evaluate(() => ({ view: window.headlight.state.view, ...window.headlight.view.state() }));

test('patterns: six cards; a head opens in the head view with the token that shows the pattern locked', async () => {
  await showScene(page, env.url, 'patterns');
  await shootScene(page, 'patterns');
  assert.equal(await page.locator('#view .hl-pattern').count(), 6);
  const first = page.locator('#view .hl-pattern[data-pattern=next] .hl-pattern-head').first();
  const [layer, head] = [Number(await first.getAttribute('data-layer')), Number(await first.getAttribute('data-head'))];
  // The best next-token head on Vig's pair, by the page's own statistics.
  const best = await page.evaluate(() => window.headlight.result.stats.per_head.reduce((a, b) => (b.next > a.next ? b : a)));
  assert.deepEqual([layer, head], [best.layer, best.head]);
  await first.click();
  const s = await headState();
  assert.equal(s.view, 'head');
  assert.deepEqual([s.layer, s.selectedHeads], [layer, [head]]);
  assert.equal(s.locked.side, 'left');
  // The locked token is the row with the largest weight on its next token.
  const row = await page.evaluate(async ([l, h]) => {
    const r = await window.headlight.full();
    let bi = -1, bw = -1;
    for (let i = 0; i + 1 < r.n; ++i) { const w = r.attention[((l * r.heads_per_layer + h) * r.n + i) * r.n + i + 1]; if (w > bw) { bw = w; bi = i; } }
    return bi;
  }, [layer, head]);
  assert.equal(s.locked.index, row);
  assert.equal(await page.locator('#view path.hl-head-line').count(), await page.evaluate(() => window.headlight.result.n));
});

test('layer charts: a dot per head in each of the seven charts; a click opens that head', async () => {
  await showScene(page, env.url, 'layer-charts');
  await shootScene(page, 'layer-charts');
  const { L, A } = await page.evaluate(() => ({ L: window.headlight.result.layers, A: window.headlight.result.heads_per_layer }));
  const charts = page.locator('#view svg.hl-layers-chart');
  assert.equal(await charts.count(), 7);
  for (let c = 0; c < 6; ++c) assert.equal(await charts.nth(c).locator('circle.hl-layers-dot').count(), L * A);
  assert.equal(await charts.nth(6).locator('circle.hl-layers-dot').count(), 2 * L * A);  // entropy and [CLS] entropy
  await charts.nth(1).locator('circle[data-layer="2"][data-head="1"]').click();
  const s = await headState();
  assert.deepEqual([s.view, s.layer, s.selectedHeads], ['head', 2, [1]]);
});

test('layer charts by keyboard: Tab reaches each chart\'s dots, arrows move between heads, Enter opens one', async () => {
  await tab('layers');
  // One Tab stop per group of dots: 6 charts, and the entropy chart's [CLS] and head dots.
  assert.equal(await page.locator('#view circle.hl-layers-dot[tabindex="0"]').count(), 8);
  await page.focus('#view .hl-help summary');
  await page.keyboard.press('Tab');  // from the help box into the first chart ("to [CLS]")
  const focused = () => page.evaluate(() => {
    const e = document.activeElement;
    return e?.classList.contains('hl-layers-dot') ? [Number(e.dataset.layer), Number(e.dataset.head), e.closest('svg').querySelector('.hl-layers-title').textContent] : e?.outerHTML.slice(0, 80);
  });
  assert.deepEqual(await focused(), [0, 0, 'to [CLS]']);
  const A = await page.evaluate(() => window.headlight.result.heads_per_layer);
  for (let k = 0; k < A + 1; ++k) await page.keyboard.press('ArrowRight');  // one layer and one head on
  assert.deepEqual(await focused(), [1, 1, 'to [CLS]']);
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Tab');  // the next chart's dots, at its first head
  assert.deepEqual(await focused(), [0, 0, 'to [SEP]']);
  await page.keyboard.press('Shift+Tab');  // back: the roving stop kept its place
  assert.deepEqual(await focused(), [1, 0, 'to [CLS]']);
  await page.keyboard.press('End');
  assert.equal((await focused())[0], (await page.evaluate(() => window.headlight.result.layers)) - 1);
  await page.keyboard.press('Home');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => window.headlight.state.view === 'head');
  const s = await headState();
  assert.deepEqual([s.layer, s.selectedHeads], [0, [1]]);
});

test('head map: computed over the built-in sample and the text, one point per head; a click opens it', async () => {
  await showScene(page, env.url, 'head-map');
  await shootScene(page, 'head-map');
  const { L, A } = await page.evaluate(() => ({ L: window.headlight.result.layers, A: window.headlight.result.heads_per_layer }));
  assert.equal(await page.locator('#view circle.hl-headmap-point').count(), L * A);
  // The caption says how many heads carry a label, and why the others do not.
  const labelled = await page.locator('#view text.hl-headmap-label').count();
  const caption = await page.textContent('#view .hl-headmap-caption');
  assert.match(caption, new RegExp(`^${labelled} of ${L * A} heads are labelled: .*above 3\\.8 nats.*above 0\\.5.*above 0\\.6`));
  if (labelled < L * A) assert.match(caption, /The others pass none of them\./);
  await page.locator('#view circle.hl-headmap-point[data-layer="1"][data-head="3"]').click();
  const s = await headState();
  assert.deepEqual([s.view, s.layer, s.selectedHeads], ['head', 1, [3]]);
});

test('the page and tools/analyze give the same statistics on the same text (1e-6)', async () => {
  const pair = ['The cat sat on the mat.', 'The cat was tired, so it slept on the mat.'];
  await typeText(page, 'a', pair[0]);
  await typeText(page, 'b', pair[1]);
  await tab('layers');  // a statistics view: the page's runs then carry the statistics
  await page.waitForFunction(() => window.headlight.result.stats && window.headlight.result.n > 20);
  const pageStats = await page.evaluate(() => window.headlight.result.stats);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hl-analyze-'));
  writeFileSync(path.join(dir, 'pairs.tsv'), `${pair.join('\t')}\n`);
  execFileSync(path.join(root, 'build/native/hl-analyze'),
    [path.join(root, 'models/headlight-mini/headlight-mini.hlm'), path.join(dir, 'pairs.tsv'), '--out', path.join(dir, 'out')]);
  const cli = JSON.parse(readFileSync(path.join(dir, 'out/stats.json'), 'utf8'));
  const cliHeads = cli.texts[0].stats.per_head;
  assert.equal(cliHeads.length, pageStats.per_head.length);
  let worst = 0, where = '';
  for (let k = 0; k < cliHeads.length; ++k) {
    for (const key of ['next', 'previous', 'self', 'cls', 'sep', 'punct', 'entropy', 'cls_entropy', 'identical', 'other_sentence', 'subword']) {
      const a = pageStats.per_head[k][key], b = cliHeads[k][key];
      if (a === null || b === null) { assert.equal(a, b, `${key} of head ${k}`); continue; }
      if (Math.abs(a - b) > worst) { worst = Math.abs(a - b); where = `${key} of head ${k}`; }
    }
  }
  assert.ok(worst <= 1e-6, `largest difference ${worst} (${where})`);
  for (let k = 0; k < cliHeads.length; ++k) assert.deepEqual(pageStats.per_head[k].examples && Object.keys(pageStats.per_head[k].examples),
    Object.keys(cliHeads[k].examples), `examples of head ${k}`);
});

test('opening a statistics tab reads the statistics of the shown result: the text is not run again', async () => {
  await tab('head');
  await typeText(page, 'a', 'The quick brown fox jumps over the lazy dog.');
  await page.waitForFunction(() => window.headlight.result?.n > 10 && !window.headlight.result.stats);
  const before = await page.evaluate(() => ({ runs: window.headlight.runs, fetches: window.headlight.statsFetches }));
  await tab('patterns');
  await page.waitForFunction(() => document.querySelectorAll('#view .hl-pattern').length === 6);
  const now = await page.evaluate(() => ({ runs: window.headlight.runs, fetches: window.headlight.statsFetches,
    perHead: window.headlight.result.stats.per_head.length, shape: window.headlight.result.layers * window.headlight.result.heads_per_layer }));
  assert.equal(now.runs, before.runs, 'the model ran again');
  assert.equal(now.fetches, before.fetches + 1);
  assert.equal(now.perHead, now.shape);
});
