// The D3 views in headless Chromium: the harness page (tests/e2e/harness/views.html) checked for values, hover, keyboard, HTML safety; screenshots to build/screenshots/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { root, screenshotPath, start } from './browser.mjs';

let env, base, page;
const pageErrors = [];

async function openHarness(query = '') {
  await page.goto(`${base}/tests/e2e/harness/views.html${query}`);
  try {
    await page.waitForFunction(() => window.__ready === true || window.__error, null, { timeout: 20000 });
  } catch (e) {
    throw new Error(`the harness did not get ready: ${e.message}\npage errors: ${pageErrors.join('\n') || 'none'}`);
  }
  const err = await page.evaluate(() => window.__error ?? null);
  assert.equal(err, null, `harness failed: ${err}\npage errors: ${pageErrors.join('\n')}`);
}

// The harness's data as plain arrays, and the test's own expected numbers (not the views' code).
async function getData() {
  return page.evaluate(() => {
    const d = window.__views.data;
    return { n: d.n, A: d.heads_per_layer, D: d.head_size, tokens: d.tokens, attention: Array.from(d.attention), queries: Array.from(d.queries), keys: Array.from(d.keys) };
  });
}
function expectedDots(d, l, h, i) {
  const { n, A, D } = d, out = [];
  for (let j = 0; j < n; j++) {
    let s = 0;
    for (let e = 0; e < D; e++) s += d.queries[((l * A + h) * n + i) * D + e] * d.keys[((l * A + h) * n + j) * D + e];
    out.push(s);
  }
  return out;
}
const attRow = (d, l, h, i) => d.attention.slice(((l * d.A + h) * d.n + i) * d.n, ((l * d.A + h) * d.n + i + 1) * d.n);
function assertClose(got, want, tol, what) {
  assert.equal(got.length, want.length, `${what}: length`);
  for (let k = 0; k < want.length; k++) assert.ok(Math.abs(got[k] - want[k]) <= tol, `${what}[${k}]: got ${got[k]}, want ${want[k]}`);
}

before(async () => {
  env = await start({ isolation: false, mounts: [['/web/', path.join(root, 'web')], ['/tests/', path.join(root, 'tests')]] });
  base = env.url.replace(/\/$/, '');
  page = await env.browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') pageErrors.push(m.text()); });
  await openHarness();
});

after(async () => { await env?.close(); });

test('neuron view: dots are q_i·k_j, softmax is the attention row, one .hl-neuron-dot per token; update({token}) follows', async () => {
  const d = await getData();
  const { layer, head, token } = await page.evaluate(() => window.__views.state);
  const check = async (i) => {
    const v = await page.evaluate(() => {
      const x = window.__views.neuron.values();
      return { q: Array.from(x.q), k: Array.from(x.k), dots: Array.from(x.dots), softmax: Array.from(x.softmax) };
    });
    assertClose(v.dots, expectedDots(d, layer, head, i), 1e-5, `dots (token ${i})`);
    assertClose(v.softmax, attRow(d, layer, head, i), 1e-5, `softmax (token ${i})`);
    assertClose(v.q, d.queries.slice(((layer * d.A + head) * d.n + i) * d.D, ((layer * d.A + head) * d.n + i + 1) * d.D), 0, 'q');
    assertClose(v.k, d.keys.slice((layer * d.A + head) * d.n * d.D, ((layer * d.A + head) * d.n + d.n) * d.D), 0, 'k');
    const texts = await page.$$eval('#neuron .hl-neuron-dot', (els) => els.map((e) => e.textContent));
    assert.equal(texts.length, d.n);
    assert.deepEqual(texts, v.dots.map((x) => x.toFixed(3)));
    return texts;
  };
  const before3 = await check(token);
  await page.evaluate(() => window.__views.neuron.update({ token: 3 }));
  const after3 = await check(3);
  assert.notDeepEqual(after3, before3);
  // Clicking a token label calls onSelectToken (the harness then sets token = j).
  await page.click('#neuron .hl-neuron-row:nth-child(8) .hl-neuron-label');
  assert.equal(await page.evaluate(() => window.__views.state.token), 7);
  await check(7);
  // Out-of-range options are refused, not drawn.
  const err = await page.evaluate(() => { try { window.__views.neuron.update({ token: 99 }); return null; } catch (e) { return e.name; } });
  assert.equal(err, 'RangeError');
});

test('matrix view: valueAt is the attention slice, the canvas is not blank', async () => {
  const d = await getData();
  for (const [l, h] of [[1, 2], [0, 1]]) {
    await page.evaluate(([l, h]) => window.__views.matrix.update({ layer: l, head: h }), [l, h]);
    const got = await page.evaluate((n) => {
      const out = [];
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out.push(window.__views.matrix.valueAt(i, j));
      return out;
    }, d.n);
    assertClose(got, d.attention.slice((l * d.A + h) * d.n * d.n, (l * d.A + h + 1) * d.n * d.n), 1e-6, `valueAt (layer ${l} head ${h})`);
  }
  const pixels = await page.evaluate(() => {
    const c = document.querySelector('#matrix canvas.hl-matrix-heat');
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let coloured = 0, dark = 0;   // not white-ish (Blues(0) is #f7fbff: sum 753), and clearly dark
    for (let k = 0; k < px.length; k += 4) {
      const sum = px[k] + px[k + 1] + px[k + 2];
      if (px[k + 3] > 0 && sum < 720) coloured++;
      if (px[k + 3] > 0 && sum < 300) dark++;
    }
    return { coloured, dark, total: px.length / 4 };
  });
  assert.ok(pixels.coloured > pixels.total * 0.05 && pixels.dark > 0, `only ${pixels.coloured} of ${pixels.total} pixels are coloured, ${pixels.dark} dark`);
  // A given matrix (word-level, filtered...) replaces the slice; tokens may change with it.
  const m = await page.evaluate(() => {
    const v = window.__views.matrix;
    v.update({ matrix: Float32Array.from([0.25, 0.75, 1, 0]), tokens: [{ text: 'x', segment: 0 }, { text: 'y', segment: 1 }] });
    const got = [v.valueAt(0, 0), v.valueAt(0, 1), v.valueAt(1, 0), v.valueAt(1, 1)];
    v.update({ matrix: null, tokens: null, layer: 1, head: 2 });
    return got;
  });
  assert.deepEqual(m, [0.25, 0.75, 1, 0]);
});

test('matrix view: hovering a cell shows "from → to: value" and the crosshair; arrow keys move it', async () => {
  const d = await getData();
  await page.evaluate(() => window.__views.matrix.update({ layer: 1, head: 2 }));
  const [l, h, i, j] = [1, 2, 3, 7];   // from the <b>bold</b> token to "mat"
  const c = await page.evaluate(([i, j]) => window.__views.matrix.cellCenter(i, j), [i, j]);
  assert.deepEqual(await page.evaluate(([x, y]) => window.__views.matrix.cellAt(x, y), [c.x, c.y]), { i, j });
  await page.mouse.move(c.x, c.y);
  const tip = page.locator('#matrix .hl-matrix-tip');
  await tip.waitFor({ state: 'visible' });
  const w = d.attention[((l * d.A + h) * d.n + i) * d.n + j];
  assert.equal(await tip.textContent(), `${d.tokens[i].text} → ${d.tokens[j].text}: ${w.toFixed(3)}`);
  assert.deepEqual((await page.evaluate(() => window.__views.hovers.at(-1))).slice(0, 2), [i, j]);
  const overlayPainted = await page.evaluate(() => {
    const c = document.querySelector('#matrix canvas.hl-matrix-overlay');
    const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let k = 3; k < px.length; k += 4) if (px[k] > 0) n++;
    return n;
  });
  assert.ok(overlayPainted > 0, 'the overlay shows no crosshair');
  await page.screenshot({ path: screenshotPath('matrix-hover'), clip: await clipOf('#matrix') });
  await page.mouse.move(5, 5);
  await tip.waitFor({ state: 'hidden' });
  assert.deepEqual(await page.evaluate(() => window.__views.hovers.at(-1)), [null, null, null]);
  // Keyboard: focus, then arrows from (0, 0).
  await page.focus('#matrix canvas.hl-matrix-heat');
  await page.keyboard.press('ArrowRight');   // first press shows (0, 0)
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowDown');
  await tip.waitFor({ state: 'visible' });
  const w11 = d.attention[((l * d.A + h) * d.n + 1) * d.n + 1];
  assert.equal(await tip.textContent(), `${d.tokens[1].text} → ${d.tokens[1].text}: ${w11.toFixed(3)}`);
  await page.keyboard.press('Escape');
  await tip.waitFor({ state: 'hidden' });
});

test('HTML safety: the <b>bold</b> token is literal text in both views', async () => {
  // Hover a cell and a neuron label so that the tooltips hold the token too.
  const c = await page.evaluate(() => window.__views.matrix.cellCenter(3, 3));
  await page.mouse.move(c.x, c.y);
  const r = await page.evaluate(() => ({
    b: document.querySelectorAll('#neuron b, #matrix b').length,
    neuron: document.querySelector('#neuron').textContent.includes('<b>bold</b>'),
    matrix: document.querySelector('#matrix .hl-matrix-labels').textContent.includes('<b>bold</b>'),
    tip: document.querySelector('#matrix .hl-matrix-tip').textContent,
  }));
  assert.equal(r.b, 0);
  assert.ok(r.neuron && r.matrix, 'the token text is not shown literally');
  assert.ok(r.tip.startsWith('<b>bold</b> → <b>bold</b>: '), r.tip);
  await page.mouse.move(5, 5);
});

test('destroy() removes what a view added, and the view refuses further use', async () => {
  const r = await page.evaluate(async () => {
    const { neuronView } = await import('/web/views/neuron_view.js');
    const { matrixView } = await import('/web/views/matrix_view.js');
    const box = document.createElement('div');
    document.body.append(box);
    const data = window.__views.data;
    const views = [neuronView(box, data, { layer: 0, head: 0, token: 1 }), matrixView(box, data, { layer: 0, head: 0 })];
    const filled = box.childElementCount;
    views.forEach((v) => v.destroy());
    const left = box.childElementCount;
    let refused = 0;
    for (const v of views) try { v.update({}); } catch { refused++; }
    box.remove();
    return { filled, left, refused };
  });
  assert.deepEqual(r, { filled: 2, left: 0, refused: 2 });
});

test('update(options, newData) redraws another text (other n and D) in the same elements; the values follow it', async () => {
  const r = await page.evaluate(() => {
    const { neuron, matrix, makeData, data, state } = window.__views;
    const roots = () => [document.querySelector('#neuron .hl-neuron'), document.querySelector('#matrix .hl-matrix')];
    const before = roots();
    const other = makeData({ seed: 5, n: 7, layers: 1, headsPerLayer: 2, d: 5 });
    neuron.update({ layer: 0, head: 1, token: 4 }, other);
    matrix.update({ layer: 0, head: 1 }, other);
    const v = neuron.values();
    const got = {
      same: roots().every((el, k) => el === before[k]) && document.querySelectorAll('#neuron .hl-neuron, #matrix .hl-matrix').length === 2,
      dots: Array.from(v.dots), softmax: Array.from(v.softmax),
      rows: document.querySelectorAll('#neuron .hl-neuron-row').length,
      kCells: document.querySelectorAll('#neuron .hl-neuron-row:first-child .hl-neuron-k rect').length,
      labels: [...document.querySelectorAll('#neuron .hl-neuron-label text')].map((t) => t.textContent),
      matrix: Array.from({ length: 7 }, (_, i) => Array.from({ length: 7 }, (_, j) => matrix.valueAt(i, j))).flat(),
      other: { n: other.n, A: other.heads_per_layer, D: other.head_size, tokens: other.tokens, attention: Array.from(other.attention),
        queries: Array.from(other.queries), keys: Array.from(other.keys) },
    };
    neuron.update({ ...state }, data);  // back to the harness's data for the tests after this one
    matrix.update({ layer: state.layer, head: state.head }, data);
    got.back = document.querySelectorAll('#neuron .hl-neuron-row').length === data.n && roots().every((el, k) => el === before[k]);
    return got;
  });
  const d = r.other;
  assert.ok(r.same, 'a view replaced its root element');
  assert.equal(r.rows, 7);
  assert.equal(r.kCells, 5);
  assert.deepEqual(r.labels, d.tokens.map((t) => t.text));
  assertClose(r.dots, expectedDots(d, 0, 1, 4), 1e-5, 'dots on the new data');
  assertClose(r.softmax, attRow(d, 0, 1, 4), 1e-5, 'softmax on the new data');
  assertClose(r.matrix, d.attention.slice((0 * d.A + 1) * d.n * d.n, (0 * d.A + 2) * d.n * d.n), 1e-6, 'matrix on the new data');
  assert.ok(r.back, 'going back to the first data');
});

test('screenshots of both views (build/screenshots/)', async () => {
  await page.evaluate(() => {
    document.activeElement?.blur();
    window.__views.neuron.update({ token: 5 });
    window.__views.matrix.update({ layer: 1, head: 2 });
  });
  await page.screenshot({ path: screenshotPath('neuron-harness'), clip: await clipOf('#neuron') });
  await page.screenshot({ path: screenshotPath('matrix-harness'), clip: await clipOf('#matrix') });
  assert.deepEqual(pageErrors, []);
});

test('at scale: neuron n = 128, D = 64; matrix n = 512 draws in well under a second', async () => {
  await openHarness('?n=512&d=64&layers=1&heads_per_layer=1&seed=7');
  const t = await page.evaluate(() => {
    const { matrix } = window.__views;
    const t0 = performance.now();
    matrix.update({ layer: 0, head: 0 });
    return performance.now() - t0;
  });
  assert.ok(t < 1000, `matrix update took ${t.toFixed(0)} ms at n = 512`);
  await page.locator('#matrix').scrollIntoViewIfNeeded();
  const c = await page.evaluate(() => window.__views.matrix.cellCenter(300, 200));
  await page.mouse.move(c.x, c.y);
  assert.match(await page.locator('#matrix .hl-matrix-tip').textContent(), / → .*: \d\.\d{3}$/);
  await page.screenshot({ path: screenshotPath('matrix-512'), clip: await clipOf('#matrix') });
  await openHarness('?n=128&d=64&layers=1&heads_per_layer=1&seed=7');
  assert.equal(await page.$$eval('#neuron .hl-neuron-dot', (els) => els.length), 128);
  await page.screenshot({ path: screenshotPath('neuron-128'), clip: await clipOf('#neuron') });
  assert.deepEqual(pageErrors, []);
});
async function clipOf(selector) {
  const b = await page.locator(selector).boundingBox();
  return { x: b.x, y: b.y, width: b.width, height: b.height };
}
