// One engine Worker hammered: two <headlight-attention> elements and direct runs on the pool's shared client firing
// superseding runs while one element switches models, and the page typing, changing layers, views and models without
// waiting. Every result shown is of the text it claims (its tokens are that text's, by the model that ran it), every
// caller's latest text is drawn in the end (no run lost), and no error, superseded or not, reaches the screen.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { openPage, root, start } from './browser.mjs';
import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { checkpoint } from '../js/fixtures.mjs';

const extra = path.join(root, 'build', 'concurrency-test');
let env, engine, models;
before(async () => {
  engine = await nodeEngine('st');
  const tiny = engine.convert(checkpoint('tiny-mlm'));
  mkdirSync(extra, { recursive: true });
  writeFileSync(path.join(extra, 'tiny-mlm.hlm'), tiny);
  // the tokenizers of the two models, by their layer count: headlight-mini has 4, the tiny checkpoint 2
  models = { 4: engine.loadModel(readFileSync(path.join(root, 'models/headlight-mini/headlight-mini.hlm'))), 2: engine.loadModel(tiny) };
  env = await start({ mounts: [['/harness/', path.join(root, 'tests/e2e/harness')], ['/extra/', extra],
    ['/models/', path.join(root, 'models')], ['/', path.join(root, 'web')]] });
});
after(async () => { await env?.close(); });

const WORDS = ['cat', 'dog', 'store', 'river', 'music', 'winter', 'bread', 'garden', 'letter', 'mountain'];
const textOf = (who, i) => `${who} ${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} number ${i}.`;
const tokens = (layers, a, b = null) => engine.tokenize(models[layers], a, b).tokens.map((t) => t.text);

// Each observation {who, a, b, layers, tokens}: a result shown (or returned) with the text it claims; its tokens must be
// that text's under the model that ran it.
function checkObservations(observations) {
  assert.ok(observations.length > 0);
  for (const o of observations) {
    assert.ok(models[o.layers], `${o.who}: a result of ${o.layers} layers`);
    assert.deepEqual(o.tokens, tokens(o.layers, o.a, o.b), `${o.who} showed the tokens of another text than "${o.a}"`);
  }
}

test('two elements and direct runs on one Worker, one element switching models: each shows its own latest text', async () => {
  const page = await env.browser.newPage({ viewport: { width: 1000, height: 900 } });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  await page.goto(`${env.url}harness/elements.html`);
  await page.waitForFunction(() => ['one', 'two'].every((id) => document.getElementById(id)?.status === 'ready'), null, { timeout: 60000 });
  const fired = await page.evaluate(async ({ rounds, words }) => {
    const textOf = (who, i) => `${who} ${words[i % words.length]} ${words[(i * 7) % words.length]} number ${i}.`;
    const els = ['one', 'two'].map((id) => document.getElementById(id));
    window.seen = [];   // every drawing of an element: its data's text and tokens
    window.failures = [];
    for (const el of els) {
      el.addEventListener('headlight-ready', () => window.seen.push({ who: el.id, a: el.data.text.a, b: el.data.text.b,
        layers: el.data.layers, tokens: el.data.tokens.map((t) => t.text) }));
      el.addEventListener('headlight-error', (e) => window.failures.push(`${el.id}: ${e.detail.message}`));
    }
    const client = await window.pool.engine();
    const slots = [await window.pool.loadModel(''), await window.pool.loadModel('/extra/tiny-mlm.hlm')];
    const direct = [];
    for (let i = 0; i < rounds; i++) {
      els[0].setAttribute('sentence-a', textOf('one', i));
      els[1].setAttribute('sentence-a', textOf('two', i));
      if (i % 10 === 5) els[1].setAttribute('model', i % 20 === 5 ? '/extra/tiny-mlm.hlm' : '');
      const a = textOf('direct', i), slot = slots[Math.floor(i / 15) % 2];
      direct.push(client.run(a, null, { channel: 'direct', key: slot.key, want: { layers: [0] } }).then(
        (r) => r && { who: 'direct', a: r.text.a, b: r.text.b, layers: r.layers, tokens: r.tokens.map((t) => t.text), i },
        (e) => ({ who: 'direct', error: e.message, i })));
      if (i % 3 === 0) await new Promise((r) => setTimeout(r, i % 2 ? 0 : 7));  // let some runs through
    }
    return { direct: await Promise.all(direct), last: { one: textOf('one', rounds - 1), two: textOf('two', rounds - 1),
      b: els.map((el) => el.getAttribute('sentence-b')?.trim() || null), model: els[1].getAttribute('model') } };
  }, { rounds: 60, words: WORDS });
  // quiescence: each element has drawn its last text
  await page.waitForFunction((last) => ['one', 'two'].every((id) => {
    const el = document.getElementById(id);
    return el.status === 'ready' && el.data?.text?.a === last[id];
  }), fired.last, { timeout: 60000 });
  const final = await page.evaluate(() => ['one', 'two'].map((id) => {
    const el = document.getElementById(id), root = el.shadowRoot;
    return { labels: [...root.querySelectorAll('.hl-token-left text')].map((t) => t.textContent), layers: el.data.layers,
      error: root.querySelector('.hl-status').classList.contains('hl-error'), status: root.querySelector('.hl-status').textContent,
      notes: [...root.querySelectorAll('.hl-note')].filter((n) => !n.hidden && n.textContent).map((n) => n.textContent) };
  }));
  assert.equal(final[0].layers, 4);
  assert.equal(final[1].layers, fired.last.model === '' ? 4 : 2, 'element two runs the model its attribute names');
  assert.deepEqual(final[0].labels, tokens(4, fired.last.one, fired.last.b[0]), 'element one draws its last text');
  assert.deepEqual(final[1].labels, tokens(final[1].layers, fired.last.two, fired.last.b[1]), 'element two draws its last text');
  for (const f of final) {
    assert.equal(f.error, false, f.status);
    assert.deepEqual(f.notes, []);
  }
  // the direct runs: none failed; each result is of its own text; the last one was not superseded
  assert.deepEqual(fired.direct.filter((d) => d?.error), []);
  const results = fired.direct.filter(Boolean);
  assert.equal(fired.direct.at(-1)?.i, 59, 'the last direct run gave no result');
  checkObservations(results);
  const seen = await page.evaluate(() => window.seen);
  checkObservations(seen);
  assert.deepEqual(await page.evaluate(() => window.failures), []);
  assert.deepEqual(page.errors, []);
  console.log(`elements: ${seen.length} drawings, direct: ${results.length} of 60 runs answered (the rest superseded)`);
  await page.close();
});

test('the page typing, changing layers, views and models without waiting: every drawing is of its text, the last is drawn', async () => {
  const page = await openPage(env.browser, env.url);
  await page.setInputFiles('#open-files', { name: 'tiny-mlm.hlm', mimeType: 'application/octet-stream',
    buffer: readFileSync(path.join(extra, 'tiny-mlm.hlm')) });
  await page.waitForFunction(() => window.headlight.result?.layers === 2, null, { timeout: 60000 });
  const last = await page.evaluate(async ({ rounds, words }) => {
    const h = window.headlight, $ = (s) => document.querySelector(s);
    const textOf = (i) => `page ${words[i % words.length]} ${words[(i * 3) % words.length]} number ${i}.`;
    // every frame: the result shown (not a partial one) and any error on screen
    window.seen = [];
    window.failures = [];
    let watching = true;
    const watch = () => {
      const r = h.result;
      if (r && !r.partial && r.text) window.seen.push({ who: 'page', a: r.text.a, b: r.text.b, layers: r.layers, tokens: r.tokens.map((t) => t.text) });
      if ($('#status').classList.contains('error')) window.failures.push(`status: ${$('#status').textContent}`);
      for (const n of document.querySelectorAll('#view .notice, #view p')) {
        if (/could not|no longer kept/.test(n.textContent) && !n.hidden) window.failures.push(`view: ${n.textContent}`);
      }
      if (watching) requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
    const views = ['head', 'matrix', 'model', 'neuron', 'rollout'];
    $('#b').value = '';
    for (let i = 0; i < rounds; i++) {
      $('#a').value = textOf(i);
      $('#a').dispatchEvent(new Event('input'));
      if (i % 3 === 1) {
        const select = $('#view select[aria-label=layer]');
        if (select) { select.value = String(i % 2); select.dispatchEvent(new Event('change')); }
      }
      if (i % 7 === 3) $(`nav.views [data-view=${views[(i / 7 | 0) % views.length]}]`).click();
      if (i % 20 === 10) {
        $('#model').value = $('#model').value === 'headlight-mini' ? 'file:tiny-mlm.hlm' : 'headlight-mini';
        $('#model').dispatchEvent(new Event('change'));
      }
      await new Promise((r) => setTimeout(r, (i * 13) % 17));
    }
    $('nav.views [data-view=head]').click();
    const until = async (ok) => { while (!ok()) await new Promise((r) => setTimeout(r, 20)); };
    await until(() => h.result && !h.result.partial && h.result.text?.a === textOf(rounds - 1) && !/^Preparing|^Downloading/.test($('#status').textContent));
    await new Promise((r) => setTimeout(r, 300));
    watching = false;
    return { a: textOf(rounds - 1), model: $('#model').value };
  }, { rounds: 120, words: WORDS });
  const final = await page.evaluate(() => ({ labels: [...document.querySelectorAll('#view .hl-token-left text')].map((t) => t.textContent),
    layers: window.headlight.result.layers, a: window.headlight.result.text.a, status: document.querySelector('#status').textContent }));
  assert.equal(final.a, last.a);
  assert.equal(final.layers, last.model === 'headlight-mini' ? 4 : 2, `the picker shows ${last.model}`);
  assert.deepEqual(final.labels, tokens(final.layers, last.a), 'the page draws its last text');
  assert.match(final.status, new RegExp(`^(headlight-mini|tiny-mlm\\.hlm): ${final.labels.length} tokens`));
  assert.deepEqual(await page.evaluate(() => window.failures), []);
  const seen = await page.evaluate(() => window.seen);
  checkObservations(seen);
  assert.deepEqual(page.errors, []);
  console.log(`page: ${new Set(seen.map((s) => s.a)).size} texts drawn of 120 typed`);
  await page.close();
});
