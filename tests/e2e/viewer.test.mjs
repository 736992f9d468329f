// The page headlight.show() puts in a notebook (python/headlight/viewer.html, written by tools/python_viewer.mjs), filled
// in as Python fills it and shown in a sandboxed <iframe srcdoc> with the network blocked: a version-3 snapshot of a
// causal model with no special tokens draws the lines, thumbnails, q/k and cells its data holds, in every tab.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as d3 from 'd3';

import { root, start } from './browser.mjs';
import { makeSnapshot, snapshotText } from '../../web/page/snapshot.js';

const dir = path.join(root, 'build', 'viewer-test');
let env, template;

const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

// What headlight.show() does with the template: the JSON string "@@HEADLIGHT_SNAPSHOT@@" (quotes included) becomes the
// snapshot's JSON with "<" written \u003c, every other marker HTML-escaped text; in one pass, so that a token's text that
// spells a marker stays text. Each marker is there once.
function fill(html, { snapshot, title, tabs, view, height }) {
  const values = { SNAPSHOT: snapshot.replace(/</g, '\\u003c'), TITLE: escapeHtml(title), TABS: escapeHtml(tabs),
    VIEW: escapeHtml(view), HEIGHT: escapeHtml(height) };
  for (const name of Object.keys(values)) assert.equal(html.split(name === 'SNAPSHOT' ? '"@@HEADLIGHT_SNAPSHOT@@"' : `@@HEADLIGHT_${name}@@`).length, 2, name);
  return html.replace(/"@@HEADLIGHT_(SNAPSHOT)@@"|@@HEADLIGHT_(TITLE|TABS|VIEW|HEIGHT)@@/g, (m, a, b) => values[a ?? b]);
}

// A notebook's output: nothing but the iframe.
const notebook = (html) => `<!doctype html><html><head><meta charset="utf-8"><title>notebook</title></head><body>` +
  `<iframe sandbox="allow-scripts" title="attention" style="width: 1000px; height: 760px; border: 0" srcdoc="${escapeHtml(html)}"></iframe></body></html>`;

// The data: 6 tokens of a model without [CLS]/[SEP], 2 layers × 3 heads, causal attention (row i attends to j ≤ i, rows
// sum to 1) with zeros inside the triangle too: head 0 even over j ≤ i, head 1 the previous token, head 2 half on the
// first token and half on itself; layer 1 the same heads shifted by one. q and k [L][A][n][D], D = 8.
const TOKENS = ['The', ' cat', ' sat', ' on', ' </script>', '.'];
const n = TOKENS.length, L = 2, A = 3, D = 8;
function causal() {
  const pattern = [
    (i, j) => (j <= i ? 1 / (i + 1) : 0),
    (i, j) => (j === Math.max(0, i - 1) ? 1 : 0),
    (i, j) => (i === 0 ? (j === 0 ? 1 : 0) : j === 0 || j === i ? 0.5 : 0),
  ];
  const attention = new Float32Array(L * A * n * n);
  for (let l = 0; l < L; ++l) for (let h = 0; h < A; ++h) for (let i = 0; i < n; ++i) for (let j = 0; j < n; ++j)
    attention[((l * A + h) * n + i) * n + j] = pattern[(h + l) % A](i, j);
  const vector = (seed) => Float32Array.from({ length: L * A * n * D }, (_, k) => Math.sin(seed * k + 1) * (1 + (k % 5)));
  const tokens = TOKENS.map((text, i) => ({ text, segment: 0, word: i, start: -1, stop: -1 }));
  return { n, layers: L, heads_per_layer: A, head_size: D, tokens, attention, queries: vector(0.7), keys: vector(1.3) };
}
const DATA = causal();
const weight = (l, h, i, j) => DATA.attention[((l * A + h) * n + i) * n + j];
const stored = (w) => (w > 0 ? Math.max(1, Math.round(w * 255)) : 0) / 255;  // the snapshot's 8 bits

before(async () => {
  execFileSync(process.execPath, [path.join(root, 'tools/python_viewer.mjs')]);
  template = readFileSync(path.join(root, 'python/headlight/viewer.html'), 'utf8');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const snapshot = snapshotText(await makeSnapshot(DATA, { model: { name: 'causal-6', cls: null, sep: null }, view: { layer: 1 } }));
  writeFileSync(path.join(dir, 'index.html'), notebook(fill(template, { snapshot, title: 'Six <tokens> & a causal mask',
    tabs: 'all', view: 'head', height: '560' })));
  const bare = snapshotText(await makeSnapshot(DATA, { model: { name: 'no-qk', cls: null, sep: null }, qk: false }));
  writeFileSync(path.join(dir, 'bare.html'), notebook(fill(template, { snapshot: bare, title: 'no q/k',
    tabs: 'head,neuron,matrix,bogus', view: 'neuron', height: '' })));
  // A notebook server sends no isolation headers, and no such policy: an about:srcdoc frame inherits its parent's, which
  // would refuse the viewer's inline script whatever its own <meta> allows (csp.test.mjs checks that file under its own).
  env = await start({ isolation: false, csp: false, mounts: [['/', dir]] });
});
after(async () => { await env?.close(); });

// A page whose every request is recorded and, unless it is the notebook page itself, aborted; errors recorded.
async function blockedPage() {
  const page = await env.browser.newPage({ viewport: { width: 1100, height: 850 } });
  page.errors = [];
  page.requests = [];
  page.on('pageerror', (e) => page.errors.push(e));
  page.on('request', (r) => page.requests.push(r.url()));
  await page.route('**', (route) => {
    const url = route.request().url();
    return url.startsWith(env.url) || url.startsWith('about:') || url.startsWith('data:') ? route.continue() : route.abort();
  });
  return page;
}

// The iframe's document once its element is ready (or in error: then the test fails with the element's status line).
async function viewerFrame(page) {
  await page.waitForFunction(() => document.querySelector('iframe') && window.frames.length === 1);
  const frame = page.frames().find((f) => f !== page.mainFrame());
  await frame.waitForFunction(() => ['ready', 'error'].includes(document.querySelector('headlight-attention')?.status), null, { timeout: 30000 });
  const status = await frame.evaluate(() => document.querySelector('headlight-attention').shadowRoot.querySelector('.hl-status').textContent);
  assert.equal(await frame.evaluate(() => document.querySelector('headlight-attention').status), 'ready', status);
  return frame;
}

const tabs = (frame) => frame.evaluate(() => [...document.querySelector('headlight-attention').shadowRoot.querySelectorAll('[role=tab]')]
  .map((b) => [b.textContent, b.getAttribute('aria-selected'), b.tabIndex]));
const clickTab = (frame, view) => frame.locator(`headlight-attention [role=tab][data-view=${view}]`).click();

test('in a sandboxed srcdoc iframe with the network blocked, every tab draws exactly the snapshot\'s data', async () => {
  const page = await blockedPage();
  await page.goto(`${env.url}index.html`);
  const frame = await viewerFrame(page);
  assert.equal(frame.url(), 'about:srcdoc');
  assert.equal(await frame.evaluate(() => document.querySelector('h1').textContent), 'Six <tokens> & a causal mask');
  assert.match(await frame.evaluate(() => document.querySelector('footer').textContent), /^Drawn by Headlight from the attention you passed/);
  assert.deepEqual(await tabs(frame), [['Head view', 'true', 0], ['Model view', 'false', -1], ['Neuron view', 'false', -1], ['Matrix', 'false', -1]]);
  assert.deepEqual(await frame.evaluate(() => document.querySelector('headlight-attention').data.tokens.map((t) => t.text)), TOKENS);

  // Head view, layer 1 (the snapshot's), every head: one line per non-zero weight, none from token i to a later j.
  const state = await frame.evaluate(() => document.querySelector('headlight-attention').state);
  assert.deepEqual([state.view, state.layer, state.selectedHeads], ['head', 1, [0, 1, 2]]);
  const lines = await frame.evaluate(() => [...document.querySelector('headlight-attention').shadowRoot.querySelectorAll('path.hl-head-line')]
    .map((p) => p.__data__).map(({ h, i, j, w }) => ({ h, i, j, w })));
  const want = [];
  for (let h = 0; h < A; ++h) for (let i = 0; i < n; ++i) for (let j = 0; j < n; ++j) if (weight(1, h, i, j) > 0) want.push(`${h} ${i} ${j}`);
  assert.equal(lines.length, want.length);
  assert.deepEqual(lines.map((x) => `${x.h} ${x.i} ${x.j}`).sort(), want.sort());
  assert.deepEqual(lines.filter((x) => x.j > x.i), [], 'a line from a token to a later one');
  for (const x of lines) assert.ok(Math.abs(x.w - weight(1, x.h, x.i, x.j)) <= 1 / 255 + 1e-7, `line ${x.h} ${x.i} ${x.j}: ${x.w}`);

  // Model view: L·A thumbnails, each white exactly where its head's weight is 0.
  await clickTab(frame, 'model');
  assert.deepEqual((await tabs(frame)).map((t) => t[1]), ['false', 'true', 'false', 'false']);
  const thumbs = await frame.evaluate(([L, A, n]) => {
    const el = document.querySelector('headlight-attention'), view = el.view;
    const canvas = el.shadowRoot.querySelector('canvas.hl-model-canvas'), box = canvas.getBoundingClientRect();
    const ctx = canvas.getContext('2d'), dpr = canvas.width / box.width, size = view.size();
    const white = [];  // [layer][head][i][j]: the cell's pixel is white
    for (let l = 0; l < L; ++l) for (let h = 0; h < A; ++h) {
      const c = view.thumbCenter(l, h), x0 = c.x - box.left - size / 2, y0 = c.y - box.top - size / 2;
      for (let i = 0; i < n; ++i) for (let j = 0; j < n; ++j) {
        const p = ctx.getImageData(Math.floor((x0 + (j + 0.5) * size / n) * dpr), Math.floor((y0 + (i + 0.5) * size / n) * dpr), 1, 1).data;
        white.push(p[0] === 255 && p[1] === 255 && p[2] === 255);
      }
    }
    return { white, label: canvas.getAttribute('aria-label'), count: el.shadowRoot.querySelectorAll('canvas.hl-model-canvas').length };
  }, [L, A, n]);
  assert.equal(thumbs.count, 1);
  assert.match(thumbs.label, /^2 layers × 3 heads/);
  assert.equal(thumbs.white.length, L * A * n * n);
  thumbs.white.forEach((w, k) => assert.equal(w, DATA.attention[k] === 0, `thumbnail cell ${k} (weight ${DATA.attention[k]})`));

  // Neuron view: q_i and every k_j of the state's head, from the snapshot's half floats.
  await clickTab(frame, 'neuron');
  const neuron = await frame.evaluate(() => {
    const el = document.querySelector('headlight-attention'), v = el.view.values();
    return { q: [...v.q], k: [...v.k], softmax: [...v.softmax], state: el.state };
  });
  const { layer, head, token } = neuron.state;
  const at = (which, i, d) => DATA[which][(((layer * A + head) * n + i) * D) + d];
  assert.equal(neuron.q.length, D);
  assert.equal(neuron.k.length, n * D);
  assert.equal(neuron.softmax.length, n);
  const half = (got, x, what) => assert.ok(Math.abs(got - x) <= Math.max(Math.abs(x) * 2 ** -11, 2 ** -25), `${what}: ${got} for ${x}`);
  neuron.q.forEach((x, d) => half(x, at('queries', token, d), `q ${d}`));
  neuron.k.forEach((x, k) => half(x, at('keys', Math.floor(k / D), k % D), `k ${k}`));

  // Matrix: n·n cells, each the stored weight, in the colour of its share of the largest.
  await clickTab(frame, 'matrix');
  const matrix = await frame.evaluate((n) => {
    const el = document.querySelector('headlight-attention'), view = el.view;
    const heat = el.shadowRoot.querySelector('canvas.hl-matrix-heat'), box = heat.getBoundingClientRect();
    const ctx = heat.getContext('2d'), dpr = heat.width / box.width;
    const cells = [];
    for (let i = 0; i < n; ++i) for (let j = 0; j < n; ++j) {
      const c = view.cellCenter(i, j);
      const pixel = ctx.getImageData(Math.floor((c.x - box.left) * dpr), Math.floor((c.y - box.top) * dpr), 1, 1).data;
      cells.push({ v: view.valueAt(i, j), rgb: [...pixel].slice(0, 3) });
    }
    let outside = null;
    try { view.valueAt(n, 0); } catch (e) { outside = e.message; }
    return { cells, outside, state: el.state };
  }, n);
  assert.equal(matrix.cells.length, n * n);
  assert.match(matrix.outside, /outside 6 × 6/);
  const m = matrix.state;
  const vmax = Math.max(...matrix.cells.map((c) => c.v));
  matrix.cells.forEach(({ v, rgb }, k) => {
    const i = Math.floor(k / n), j = k % n;
    assert.ok(Math.abs(v - stored(weight(m.layer, m.head, i, j))) < 1e-7, `cell ${i} ${j}: ${v}`);
    const c = d3.rgb(d3.interpolateBlues(Math.round((v / vmax) * 255) / 255));
    assert.deepEqual(rgb, [c.r, c.g, c.b], `cell ${i} ${j} (${v}): colour`);
  });

  // The tabs answer the arrow keys: → from the matrix wraps round to the head view.
  await frame.locator('headlight-attention [role=tab][data-view=matrix]').press('ArrowRight');
  assert.equal(await frame.evaluate(() => document.querySelector('headlight-attention').state.view), 'head');
  assert.equal((await tabs(frame))[0][1], 'true');

  assert.deepEqual(page.requests.filter((u) => u !== `${env.url}index.html` && !u.startsWith('data:')), [], 'requests left the page');
  assert.deepEqual(page.errors, []);
  await page.close();
});

test('under a parent with no base URL (about:blank), without q/k: no neuron tab, the head view and a note; unknown tabs named', async () => {
  const page = await blockedPage();
  await page.setContent(readFileSync(path.join(dir, 'bare.html'), 'utf8'));  // the frame's base URL is about:blank
  const frame = await viewerFrame(page);
  assert.equal(await frame.evaluate(() => document.baseURI), 'about:blank');
  assert.deepEqual(await tabs(frame), [['Head view', 'true', 0], ['Matrix', 'false', -1]]);
  const notes = await frame.evaluate(() => [...document.querySelector('headlight-attention').shadowRoot.querySelectorAll('.hl-note')]
    .filter((p) => !p.hidden).map((p) => p.textContent));
  assert.deepEqual(notes, ['tabs: “bogus” is not a view: use head, model, neuron, matrix or all.',
    'The neuron view needs the queries and keys, which this snapshot does not hold: this is the head view.']);
  assert.ok(await frame.evaluate(() => document.querySelector('headlight-attention').shadowRoot.querySelectorAll('path.hl-head-line').length) > 0);
  await clickTab(frame, 'matrix');
  assert.equal(await frame.evaluate(() => document.querySelector('headlight-attention').shadowRoot.querySelectorAll('canvas.hl-matrix-heat').length), 1);
  assert.deepEqual(page.requests.filter((u) => !u.startsWith('data:') && !u.startsWith('about:')), []);
  assert.deepEqual(page.errors, []);
  await page.close();
});
