// The Syntax and Rollout tabs and the weighting switch in Chromium: the syntactic-head table is computed in the Worker
// between runs and equals tools/analyze --syntax on the same model; a head opens a treebank sentence with its arcs;
// rollout and flow draw and refuse what they must; the norm weighting reaches the views and the statistics.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { openPage, root, showView, start, typeText } from './browser.mjs';

let env, page;
before(async () => {
  env = await start();
  page = await openPage(env.browser, env.url);
});
after(async () => { await env?.close(); });

const tab = (name) => showView(page, name);

test('the Syntax tab computes between runs, with progress, and equals tools/analyze --syntax on the built-in model', async () => {
  const runs = await page.evaluate(() => window.headlight.runs);
  await tab('syntax');
  await page.waitForSelector('#view progress:not([hidden])');
  // Typing while the table is computed: the run is answered before the table is done.
  await typeText(page, 'a', 'The engine answers runs between the turns of the table.');
  await page.waitForFunction((r) => window.headlight.runs > r, runs);
  assert.equal(await page.locator('#view .hl-syntax-table').count(), 0, 'the table was done before the run was answered');
  await page.waitForSelector('#view .hl-syntax-table', { timeout: 120000 });
  const table = await page.evaluate(() => window.headlight.syntax());  // kept in the Worker: no second computation
  assert.equal(table.sentences, 2001);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hl-syntax-page-'));
  execFileSync(path.join(root, 'tools/analyze'), [path.join(root, 'models/headlight-mini/headlight-mini.hlm'), '--syntax',
    '--out', dir]);
  const cli = JSON.parse(readFileSync(path.join(dir, 'syntax.json'), 'utf8'));
  for (const key of ['sentences', 'words', 'arcs', 'skipped_arcs']) assert.equal(table[key], cli[key], key);
  assert.deepEqual(table.relations.map((r) => [r.relation, r.arcs]), cli.relations.map((r) => [r.relation, r.arcs]));
  // As in tests/js/analyses_engine.test.mjs: near-ties may flip between native and wasm rounding; 1 in 1,000 choices.
  let flips = 0;
  for (const d of ['dependent_to_head', 'head_to_dependent']) {
    table.relations[0][d].accuracy.forEach((acc, h) => { flips += Math.round(Math.abs(acc - cli.relations[0][d].accuracy[h]) * table.arcs); });
  }
  assert.ok(flips <= (table.arcs * 2 * table.layers * table.heads_per_layer) / 1000, `${flips} choices differ`);
  // The table's rows are the relations with 20 arcs or more, "all" first; the bold cells beat the baseline.
  const rows = await page.locator('#view .hl-syntax-table tr[data-relation]').evaluateAll((trs) => trs.map((t) => t.dataset.relation));
  assert.deepEqual(rows, table.relations.filter((r) => r.relation === 'all' || r.arcs >= 20).map((r) => r.relation));
});

test('a relation picked lists its best heads; a head opens a sentence with that relation, its arcs right and wrong', async () => {
  await tab('syntax');
  await page.waitForSelector('#view .hl-syntax-table');
  await page.click('#view .hl-syntax-table tr[data-relation=obj] button');
  await page.waitForFunction(() => window.headlight.state.relation === 'obj');
  assert.match(await page.textContent('#view .hl-syntax-detail h3'), /^obj \(dobj\): \d+ arcs$/);
  const table = await page.evaluate(() => window.headlight.syntax());
  const obj = table.relations.find((r) => r.relation === 'obj');
  const A = table.heads_per_layer;
  const buttons = page.locator('#view .hl-syntax-dir[data-direction=head_to_dependent] .hl-syntax-head');
  const listed = await buttons.evaluateAll((bs) => bs.map((b) => [Number(b.dataset.layer), Number(b.dataset.head)]));
  const acc = listed.map(([l, h]) => obj.head_to_dependent.accuracy[l * A + h]);
  assert.deepEqual(acc, [...acc].sort((x, y) => y - x));
  assert.equal(acc[0], obj.head_to_dependent.best.accuracy);
  await buttons.first().click();
  await page.waitForSelector('#syntax-sentence:not([hidden]) .hl-syntax-arcs text.hl-word');
  const s = await page.evaluate(() => ({ ...window.headlight.state, a: document.getElementById('a').value,
    b: document.getElementById('b').value }));
  assert.deepEqual([s.view, s.layer, s.selectedHeads, s.b], ['head', listed[0][0], [listed[0][1]], '']);
  const words = await page.locator('#syntax-sentence text.hl-word').allTextContents();
  assert.equal(words.join(' ').replace(/ (?=[.,:;!?])/g, ''), s.a.replace(/ (?=[.,:;!?])/g, ''));
  // Each obj arc of the sentence is scored once: as many marks as obj arcs, and the caption counts the right ones.
  const marks = await page.locator('#syntax-sentence text.hl-mark').allTextContents();
  const caption = await page.textContent('#syntax-sentence .hl-syntax-arcs-caption');
  const m = /finds (\d+) of (\d+) obj arcs \(head → dependent\)/.exec(caption);
  assert.ok(m, caption);
  assert.equal(marks.length, Number(m[2]));
  assert.equal(marks.filter((x) => x === '✓').length, Number(m[1]));
  assert.ok(Number(m[2]) >= 1);
  // Another sentence with the relation; typing another text hides the panel.
  await page.click('#syntax-sentence .hl-syntax-next');
  await page.waitForFunction((a) => document.getElementById('a').value !== a, s.a);
  await page.waitForSelector('#syntax-sentence:not([hidden]) .hl-syntax-arcs text.hl-word');
  await typeText(page, 'a', 'Something else entirely.');
  await page.waitForSelector('#syntax-sentence[hidden]', { state: 'attached' });
});

test('rollout and flow: rows of rollout sum to 1, each flow is within [0, 1], and flow refuses a long text with its reason', async () => {
  await typeText(page, 'a', 'The cat sat on the mat.');
  await typeText(page, 'b', 'It was warm.');
  await tab('rollout');
  await page.waitForSelector('#view .hl-rollout-lines line', { state: 'attached' });
  const L = await page.evaluate(() => window.headlight.result.layers);
  const n = await page.evaluate(() => window.headlight.result.n);
  for (const method of ['rollout', 'flow']) {
    const m = await page.evaluate(([x, l]) => window.headlight.combined(x, l).then((a) => Array.from(a)), [method, L - 1]);
    for (let i = 0; i < n; i++) {
      const row = m.slice(i * n, (i + 1) * n).reduce((a, b) => a + b, 0);
      if (method === 'rollout') assert.ok(Math.abs(row - 1) < 1e-5, `rollout row ${i}: ${row}`);
      else assert.ok(m.slice(i * n, (i + 1) * n).every((v) => v > 0 && v <= 1 + 1e-6), `flow row ${i}`);  // one max flow each
    }
  }
  await page.click('#view .hl-rollout-controls button[data-method=flow]');
  await page.waitForFunction(() => window.headlight.state.method === 'flow');
  await page.waitForFunction(() => /^Attention flow/.test(document.querySelector('#view .hl-rollout-note').textContent));
  await page.selectOption('#view .hl-rollout-controls select', '0');
  await page.waitForFunction(() => window.headlight.state.layer === 0);
  await typeText(page, 'a', Array.from({ length: 60 }, (_, i) => `word${i}`).join(' '));
  await page.waitForFunction(() => /at most 48 tokens/.test(document.querySelector('#view .hl-rollout-note').textContent));
  assert.equal(await page.locator('#view .hl-rollout-lines').evaluate((e) => getComputedStyle(e).display), 'none');
  assert.deepEqual(page.errors.map(String), []);
});

test('the norm weighting: the views draw α·‖f(x)‖ with rows renormalised, said on screen, and so do the statistics', async () => {
  await typeText(page, 'a', 'I went to the store.');
  await typeText(page, 'b', 'At the store, I bought fresh strawberries.');
  await tab('head');
  const plain = await page.evaluate(() => window.headlight.full().then((r) => Array.from(r.attention.slice(0, 400))));
  await page.selectOption('#weighting', 'norm');
  await page.waitForSelector('#weighting-note:not([hidden])');
  await page.waitForFunction(() => window.headlight.state.weighting === 'norm' && /weighting=norm/.test(location.search));
  await page.waitForFunction((p) => window.headlight.full().then((r) => Array.from(r.attention.slice(0, 400)).some((v, i) => v !== p[i])), plain);
  // The page's attention is the engine's norm-weighted one of the same text (a separate run of it with norms).
  const [drawn, engine] = await page.evaluate(async () => {
    const r = await window.headlight.full();
    const e = await window.headlight.run(document.getElementById('a').value, document.getElementById('b').value,
      { norms: true, want: { whole: true } });
    return [Array.from(r.attention), Array.from(e.attention)];
  });
  assert.deepEqual(drawn, engine);
  const n = await page.evaluate(() => window.headlight.result.n);
  for (let row = 0; row < drawn.length / n; row += 7) {
    const sum = drawn.slice(row * n, (row + 1) * n).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-5, `row ${row} sums to ${sum}`);
  }
  await tab('layers');  // the statistics of the norm weighting
  await page.waitForFunction(() => window.headlight.result.stats);
  const [pageStats, plainStats] = await page.evaluate(async () => [window.headlight.result.stats,
    (await window.headlight.run(document.getElementById('a').value, document.getElementById('b').value, { stats: true })).stats]);
  assert.notDeepEqual(pageStats.per_head.map((h) => h.cls), plainStats.per_head.map((h) => h.cls));
  await tab('headmap');  // the head map of the norm weighting: its own computation (the sample run with the norms)
  await page.waitForSelector('#view circle.hl-headmap-point', { timeout: 120000 });
  await page.selectOption('#weighting', 'attention');
  await page.waitForSelector('#weighting-note[hidden]', { state: 'attached' });
  await tab('layers');
  await page.waitForFunction(() => window.headlight.result.stats);
  const back = await page.evaluate(() => window.headlight.result.stats.per_head.map((h) => h.cls));
  assert.deepEqual(back, plainStats.per_head.map((h) => h.cls));
  await tab('head');
});
