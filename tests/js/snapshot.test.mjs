// Snapshots (web/page/snapshot.js) and the standalone HTML (web/page/standalone.js): round trip within the stated
// 8-bit error, damaged or foreign files refused with a reason, nothing in a token can end the inlined <script>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { makeSnapshot, readSnapshot, snapshotText, SNAPSHOT_VERSION } from '../../web/page/snapshot.js';
import { standaloneHtml } from '../../web/page/standalone.js';
import { nodeEngine } from '../../tools/eval/node_engine.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// A seeded generator (mulberry32) and softmax rows, some with weights far below 1/510.
function rng(seed) {
  return () => { seed = (seed + 0x6d2b79f5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t ^= t + Math.imul(t ^ (t >>> 7), 61 | t); return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32; };
}
function fakeResult(L, A, n, seed = 1) {
  const r = rng(seed);
  const attention = new Float32Array(L * A * n * n);
  for (let row = 0; row < L * A * n; ++row) {
    const logits = Array.from({ length: n }, () => 12 * r());
    const m = Math.max(...logits), e = logits.map((x) => Math.exp(x - m)), s = e.reduce((a, b) => a + b);
    e.forEach((x, j) => { attention[row * n + j] = x / s; });
  }
  const tokens = Array.from({ length: n }, (_, i) => ({ text: i === 1 ? '</script><script>alert(1)</script>' : `t${i}`, segment: i > n / 2 ? 1 : 0, word: i - 1, start: i, stop: i + 1 }));
  return { n, layers: L, heads_per_layer: A, tokens, attention };
}

test('round trip: every weight within 1/255, within 1/510 unless tiny, and zero only where it was zero', async () => {
  for (const [L, A, n] of [[1, 1, 1], [2, 3, 7], [4, 4, 33]]) {
    const r = fakeResult(L, A, n, L * 100 + n);
    r.attention[0] = 0;
    const back = await readSnapshot(snapshotText(await makeSnapshot(r, { model: { name: 'm' }, text: { a: 'x' }, view: { view: 'model', layer: 1, selectedHeads: [0], junk: 5 } })));
    assert.deepEqual([back.data.n, back.data.layers, back.data.heads_per_layer], [n, L, A]);
    assert.deepEqual(back.data.tokens, r.tokens);
    assert.deepEqual(back.view, { view: 'model', layer: 1, selectedHeads: [0] });
    for (let k = 0; k < r.attention.length; ++k) {
      const w = r.attention[k], q = back.data.attention[k];
      assert.ok(Math.abs(q - w) <= (w >= 1 / 510 ? 1 / 510 : 1 / 255) + 1e-7, `value ${k}: ${q} for ${w}`);
      assert.equal(q === 0, w === 0);
    }
  }
});

test('the built-in model on Vig\'s pair: a small file that reads back to the engine\'s attention', async () => {
  const manifest = JSON.parse(readFileSync(path.join(root, 'models/builtin.json'), 'utf8'));
  const file = manifest.models.find((m) => m.id === manifest.default).file;
  const engine = await nodeEngine('st');
  const model = engine.loadModel(new Uint8Array(readFileSync(path.join(root, 'models', file))));
  const r = engine.run(model, 'I went to the store.', 'At the store, I bought fresh strawberries.');
  const text = snapshotText(await makeSnapshot(r, { model: { name: 'headlight-mini' } }));
  assert.ok(text.length < 16 * 1024, `${text.length} bytes`);  // measured 5,650 B (npm run bench:sizes)
  const back = await readSnapshot(text);
  let worst = 0;
  for (let k = 0; k < r.attention.length; ++k) worst = Math.max(worst, Math.abs(back.data.attention[k] - r.attention[k]));
  assert.ok(worst <= 1 / 255 + 1e-7, `worst error ${worst}`);  // + 1e-7: the engine's weights are float32
  engine.freeModel(model);
});

test('foreign, future or damaged snapshots are refused with a reason', async () => {
  const good = await makeSnapshot(fakeResult(1, 2, 5));
  const bad = async (s, re) => assert.rejects(readSnapshot(typeof s === 'string' ? s : JSON.stringify(s)), re);
  await bad('not json', /not a Headlight snapshot: not JSON/);
  await bad({ hello: 1 }, /not a Headlight snapshot/);
  await bad({ ...good, version: SNAPSHOT_VERSION + 1 }, /version 3; this Headlight reads versions 1 and 2/);
  await bad({ ...good, n: 0 }, /"n" must be a whole number from 1/);
  await bad({ ...good, n: 6 }, /5 tokens for n = 6/);
  await bad({ ...good, tokens: good.tokens.map((t, i) => (i ? t : { text: 7 })) }, /token 0 needs a text/);
  await bad({ ...good, tokens: good.tokens.map((t, i) => (i === 2 ? { ...t, word: 'x' } : t)) }, /token 2 needs a word index/);
  await bad({ ...good, attention: { ...good.attention, data: good.attention.data.slice(0, 20) } }, /attention data is damaged|the file is damaged/);
  await bad({ ...good, heads_per_layer: 1 }, /attention has 50 values, not 1·1·5·5/);
});

test('a version-1 snapshot (heads, no words, view.heads) still reads, without word indices', async () => {
  const v2 = await makeSnapshot(fakeResult(2, 3, 5), { view: { selectedHeads: [1, 2] } });
  const { heads_per_layer: A, view, ...rest } = v2;
  const v1 = { ...rest, version: 1, heads: A, view: { heads: view.selectedHeads }, tokens: v2.tokens.map(({ word, ...t }) => t) };
  const back = await readSnapshot(JSON.stringify(v1));
  assert.equal(back.data.heads_per_layer, 3);
  assert.deepEqual(back.view, { selectedHeads: [1, 2] });
  assert.ok(back.data.tokens.every((t) => t.word === undefined));
});

test('standalone HTML: the snapshot cannot end its <script>, titles are escaped, a bundle that would break is refused', async () => {
  const snap = snapshotText(await makeSnapshot(fakeResult(1, 1, 3)));
  const html = standaloneHtml({ bundle: 'console.log(1)', snapshot: snap, title: '<b>"x"</b>', attrs: { view: 'matrix', height: '' } });
  assert.equal((html.match(/<\/script>/g) ?? []).length, 2);  // the JSON's and the bundle's, none from the token text
  assert.match(html, /<title>&lt;b&gt;&quot;x&quot;&lt;\/b&gt;<\/title>/);
  assert.match(html, /<headlight-attention view="matrix"><script type="application\/json">/);
  const json = html.slice(html.indexOf('application/json">') + 18, html.indexOf('</script>'));
  assert.deepEqual(JSON.parse(json), JSON.parse(snap));
  assert.throws(() => standaloneHtml({ bundle: 'let s = "</script>"', snapshot: snap }), /cannot be inlined/);
  assert.throws(() => standaloneHtml({ bundle: '', snapshot: '{oops' }), SyntaxError);
});
