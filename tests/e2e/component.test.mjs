// <headlight-attention> as the README's "Embed in your page" sets it up: dist/ copied into a fresh blog folder on a plain
// static host. Checks rendering under hostile CSS, one shared Worker and model download, lazy start, attributes (tabs
// too), snapshots (export → render → same drawing) and the standalone HTML file opened from disk with no request.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

import { openPage, root, screenshotPath, start } from './browser.mjs';
import { serve } from '../../tools/serve.mjs';

const blog = path.join(root, 'build', 'embed-test');
let env, app;

const TAG = '<script type="module" src="headlight/headlight-attention.js"></script>';
const post = (body, css = '') => `<!doctype html><html><head><meta charset="utf-8"><title>post</title>
<style>body { margin: 0; width: 900px; } ${css}</style></head><body>${body}${TAG}</body></html>`;
// Rules aimed at everything the component draws (and inherited properties it would otherwise pick up from the host).
const HOSTILE = `* { font-family: "Comic Sans MS", cursive !important; color: red !important; line-height: 3 !important;
  letter-spacing: 4px !important; text-transform: uppercase !important; }
html { font-size: 10px !important; } body { font-size: 30px !important; } svg, canvas, path, text, select, button, p, div { display: none !important; stroke: red !important; }
.hl-frame, .hl-head, .hl-head-line, .hl-status, .hl-token { display: none !important; fill: red !important; }`;
const PAIR = 'sentence-a="The cat sat on the mat." sentence-b="It was very tired."';

before(async () => {
  rmSync(blog, { recursive: true, force: true });
  mkdirSync(blog, { recursive: true });
  execFileSync(process.execPath, [path.join(root, 'tools/build_dist.mjs'), '--out', path.join(blog, 'headlight')]);
  writeFileSync(path.join(blog, 'clean.html'), post(`<headlight-attention id="x" ${PAIR} height="420"></headlight-attention>`));
  writeFileSync(path.join(blog, 'hostile.html'), post(`<headlight-attention id="x" ${PAIR} height="420"></headlight-attention>
    <div class="hl-tooltip" id="own">the host's own .hl-tooltip</div><p class="hl-status" id="own2">and .hl-status</p>`, HOSTILE));
  writeFileSync(path.join(blog, 'three.html'), post(`<headlight-attention id="one" ${PAIR}></headlight-attention>
    <headlight-attention id="two" sentence-a="Dogs bark at night." view="matrix" layer="1" heads="2"></headlight-attention>
    <div style="height: 4000px"></div><headlight-attention id="far" sentence-a="A third one, far below."></headlight-attention>`));
  // A blog host sends no isolation headers and no Content-Security-Policy: the posts above have their own <style> and
  // style="" (csp.test.mjs embeds the element in a page under the policy).
  env = await start({ isolation: false, csp: false, mounts: [['/', blog]] });
  app = await serve({ port: 0 });
});
after(async () => { await env?.close(); app?.server.close(); });

const ready = (page, id) => page.waitForFunction((i) => document.getElementById(i)?.status === 'ready', id, { timeout: 60000 });
const shadowCount = (page, id, sel) => page.evaluate(([i, s]) => document.getElementById(i).shadowRoot.querySelectorAll(s).length, [id, sel]);
const engineWorkers = (page) => page.workers().filter((w) => /engine\/worker\.js$/.test(w.url())).length;

async function newPage(file, onRequest = null) {
  const page = await env.browser.newPage({ viewport: { width: 1000, height: 800 } });
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e));
  if (onRequest) page.on('request', onRequest);
  await page.goto(`${env.url}${file}`);
  return page;
}

test('under hostile CSS the component draws exactly as on a clean page, and its CSS stays inside', async () => {
  const shots = [];
  for (const file of ['clean.html', 'hostile.html']) {
    const page = await newPage(file);
    await ready(page, 'x');
    assert.ok(await shadowCount(page, 'x', 'path.hl-head-line') > 50);
    shots.push(await page.locator('#x').screenshot({ mask: [page.locator('#x .hl-status')] }));  // the status has the run's ms
    if (file === 'hostile.html') {
      await page.locator('#x').screenshot({ path: screenshotPath('embed-hostile-css') });
      // views.css's .hl-tooltip is position:absolute with a border; the host's own element keeps the host's styles
      const own = await page.evaluate(() => ['own', 'own2'].map((id) => getComputedStyle(document.getElementById(id)).position));
      assert.deepEqual(own, ['static', 'static']);
    }
    assert.deepEqual(page.errors, []);
    await page.close();
  }
  assert.ok(shots[0].equals(shots[1]), 'the element looks different under the hostile stylesheet');
});

test('elements share one engine Worker and one model download; each starts when scrolled into view', async () => {
  const models = [];
  const page = await newPage('three.html', (r) => { if (/\.hlm(\.part\d+)?$/.test(r.url())) models.push(r.url()); });
  await ready(page, 'one');
  await ready(page, 'two');
  assert.equal(await page.evaluate(() => document.getElementById('far').status), 'idle', 'the element below the fold started');
  assert.equal(engineWorkers(page), 1);
  // attributes: view, layer and heads
  const picks = await page.evaluate(() => [...document.getElementById('two').shadowRoot.querySelectorAll('select')].map((s) => s.value));
  assert.deepEqual(picks, ['1', '2']);
  assert.equal(await shadowCount(page, 'two', 'canvas.hl-matrix-heat'), 1);
  await page.locator('#far').scrollIntoViewIfNeeded();
  await ready(page, 'far');
  assert.equal(engineWorkers(page), 1, 'a second engine Worker was started');
  assert.equal(models.length, 1, `the model was downloaded ${models.length} times`);
  // a new attribute value re-runs the text
  await page.evaluate(() => document.getElementById('one').setAttribute('sentence-a', 'A brand new first sentence here.'));
  await page.waitForFunction(() => document.getElementById('one').data.tokens.some((t) => t.text === 'brand'));
  assert.match(await page.evaluate(() => document.getElementById('one').shadowRoot.querySelector('.hl-status').textContent),
    /headlight-mini · \d+ tokens/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('a new sentence, layer or view updates the element\'s views in place: the same elements, not new ones', async () => {
  const page = await newPage('clean.html');
  await ready(page, 'x');
  const kept = (sel) => page.evaluate((s) => {
    const els = document.getElementById('x').shadowRoot.querySelectorAll(s);
    return els.length === 1 && els[0].hlKept === true;
  }, sel);
  const mark = (sel) => page.evaluate((s) => { document.getElementById('x').shadowRoot.querySelector(s).hlKept = true; }, sel);
  const set = (name, value) => page.evaluate(([k, v]) => document.getElementById('x').setAttribute(k, v), [name, value]);
  await mark('.hl-head');
  await set('sentence-a', 'A brand new first sentence here.');
  await page.waitForFunction(() => document.getElementById('x').data.tokens.some((t) => t.text === 'brand'));
  assert.ok(await kept('.hl-head'), 'a new sentence rebuilt the head view');
  const n = await page.evaluate(() => document.getElementById('x').data.n);
  assert.equal(await shadowCount(page, 'x', '.hl-token-left'), n);
  await set('layer', '2');
  assert.ok(await kept('.hl-head'), 'the layer attribute rebuilt the head view');
  assert.equal(await page.evaluate(() => document.getElementById('x').shadowRoot.querySelector('select[aria-label=layer]').value), '2');
  await set('view', 'matrix');
  await mark('.hl-matrix');
  await set('layer', '1');
  assert.ok(await kept('.hl-matrix'), 'the layer attribute rebuilt the matrix view');
  assert.equal(await page.evaluate(() => document.getElementById('x').shadowRoot.querySelector('.hl-picker select[aria-label=layer]').value), '1');
  await set('view', 'head');
  assert.ok(await kept('.hl-head'), 'switching views rebuilt the head view');
  assert.equal(await shadowCount(page, 'x', '.hl-matrix'), 0, 'the matrix view stayed in the element');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('the tabs attribute: a live element offers the four views as tabs, and a click or an arrow key draws another', async () => {
  const page = await newPage('clean.html');
  await ready(page, 'x');
  assert.equal(await shadowCount(page, 'x', '[role=tab]'), 0, 'tabs without the attribute');
  await page.evaluate(() => document.getElementById('x').setAttribute('tabs', 'all'));
  const tabs = () => page.evaluate(() => [...document.getElementById('x').shadowRoot.querySelectorAll('[role=tab]')]
    .map((b) => `${b.textContent}:${b.getAttribute('aria-selected')}`));
  assert.deepEqual(await tabs(), ['Head view:true', 'Model view:false', 'Neuron view:false', 'Matrix:false']);
  await page.locator('#x [role=tab][data-view=neuron]').click();  // its q and k come from the engine Worker
  await page.waitForFunction(() => document.getElementById('x').shadowRoot.querySelector('.hl-neuron'));
  assert.equal((await page.evaluate(() => document.getElementById('x').view.values().q.length)) > 0, true);
  assert.deepEqual(await tabs(), ['Head view:false', 'Model view:false', 'Neuron view:true', 'Matrix:false']);
  await page.locator('#x [role=tab][data-view=neuron]').press('ArrowRight');
  assert.equal(await shadowCount(page, 'x', 'canvas.hl-matrix-heat'), 1);
  assert.equal(await page.evaluate(() => document.getElementById('x').state.view), 'matrix');
  await page.evaluate(() => document.getElementById('x').removeAttribute('tabs'));
  assert.equal(await page.evaluate(() => document.getElementById('x').shadowRoot.querySelector('.hl-tabs').hidden), true);
  assert.deepEqual(page.errors, []);
  await page.close();
});

// The page's head-view lines: [d, stroke, opacity, width] per line, in drawing order.
const lines = (root) => [...root.querySelectorAll('path.hl-head-line')]
  .map((p) => [p.getAttribute('d'), p.getAttribute('stroke'), Number(p.getAttribute('stroke-opacity')), Number(p.getAttribute('stroke-width'))]);

async function download(page, button) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(button)]);
  return readFileSync(await dl.path(), 'utf8');
}

test('a snapshot exported from the page renders without a model and gives the same drawing', async () => {
  const live = await openPage(env.browser, `${app.url}?layer=2`);
  const snap = await download(live, '#export-snapshot');
  const want = await live.evaluate(`(${lines})(document.querySelector('#view'))`);
  await live.close();
  writeFileSync(path.join(blog, 'snap.json'), snap);
  writeFileSync(path.join(blog, 'snapshot.html'), post('<headlight-attention id="s" snapshot="snap.json"></headlight-attention>'));
  const requests = [];
  const page = await newPage('snapshot.html', (r) => requests.push(r.url()));
  await ready(page, 's');
  const got = await page.evaluate(`(${lines})(document.getElementById('s').shadowRoot)`);
  assert.ok(want.length > 100);
  assert.equal(got.length, want.length);
  for (const [k, [d, stroke, op, w]] of got.entries()) {
    assert.deepEqual([d, stroke], want[k].slice(0, 2), `line ${k}`);
    // weights are stored as round(255 w) (at least 1 when w > 0): within 1/255, so opacity (0.15 + w) and width
    // (0.5 + 3 w) are within 1/255 and 3/255
    assert.ok(Math.abs(op - want[k][2]) <= 1 / 255 + 1e-6 && Math.abs(w - want[k][3]) <= 3 / 255 + 1e-6, `line ${k}: ${op}/${w} vs ${want[k]}`);
  }
  assert.equal(engineWorkers(page), 0);
  assert.deepEqual(requests.filter((u) => /\.hlm|\.wasm|worker/.test(u)), []);
  // exporting again from the component gives the same attention bytes (8-bit weights survive the round trip)
  const again = JSON.parse(await page.evaluate(() => document.getElementById('s').exportSnapshot()));
  assert.equal(again.attention.data, JSON.parse(snap).attention.data);
  assert.deepEqual(again.tokens, JSON.parse(snap).tokens);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('"HTML" saves one file that opens from disk, makes no request and draws', async () => {
  const live = await openPage(env.browser, app.url);
  const html = await download(live, '#export-html');
  const want = await live.evaluate(`(${lines})(document.querySelector('#view'))`);
  await live.close();
  const file = path.join(blog, 'saved.html');
  writeFileSync(file, html);
  const page = await env.browser.newPage({ viewport: { width: 1000, height: 800 } });
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));
  const url = pathToFileURL(file).href;
  await page.goto(url);
  await page.waitForFunction(() => document.querySelector('headlight-attention')?.status === 'ready', null, { timeout: 30000 });
  assert.deepEqual(requests.filter((u) => u !== url && !u.startsWith('data:')), []);
  const got = await page.evaluate(`(${lines})(document.querySelector('headlight-attention').shadowRoot)`);
  assert.equal(got.length, want.length);
  assert.match(await page.title(), /headlight-mini: “I went to the store\./);
  await page.screenshot({ path: screenshotPath('standalone-html'), fullPage: true });
  assert.deepEqual(errors, []);
  await page.close();
  console.log(`standalone HTML for Vig's pair: ${html.length} bytes`);
});
