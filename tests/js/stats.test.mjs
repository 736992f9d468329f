// The engine's per-head statistics (hl_result_stats, C++ in wasm) against a plain JS computation of the README's
// definitions on the same attention, and the head map's accumulator on the built-in model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const engine = await nodeEngine('st');
const model = engine.loadModel(new Uint8Array(readFileSync(path.join(root, 'models/headlight-mini/headlight-mini.hlm'))));

// The definitions, written out directly (rows i, columns j of one head; specials by text).
function plainStats(r, l, h) {
  const n = r.n, at = (i, j) => r.attention[((l * r.heads_per_layer + h) * n + i) * n + j];
  const is = (j, texts) => texts.includes(r.tokens[j].text);
  let next = 0, previous = 0, self = 0, cls = 0, sep = 0, punct = 0, entropy = 0, clsEntropy = 0;
  for (let i = 0; i < n; ++i) {
    if (i + 1 < n) next += at(i, i + 1);
    if (i > 0) previous += at(i, i - 1);
    self += at(i, i);
    let H = 0;
    for (let j = 0; j < n; ++j) {
      if (is(j, ['[CLS]'])) cls += at(i, j);
      if (is(j, ['[SEP]'])) sep += at(i, j);
      if (is(j, ['.', ','])) punct += at(i, j);
      const a = 0.9999 * at(i, j) + 1e-4 / n;
      H -= a * Math.log(a);
    }
    entropy += H;
    if (i === 0) clsEntropy = H;
  }
  return { next: next / n, previous: previous / n, self: self / n, cls: cls / n, sep: sep / n, punct: punct / n,
    entropy: entropy / n, cls_entropy: clsEntropy };
}

test('hl_result_stats equals the definitions computed in JS (1e-9) on a sentence pair', () => {
  const r = engine.run(model, 'I went to the store, then home.', 'At the store, I bought fresh strawberries.', { stats: true });
  assert.equal(r.stats.per_head.length, r.layers * r.heads_per_layer);
  assert.ok(Math.abs(r.stats.uniform_entropy - Math.log(r.n)) < 1e-12);
  for (const s of r.stats.per_head) {
    const want = plainStats(r, s.layer, s.head);
    for (const [k, v] of Object.entries(want)) assert.ok(Math.abs(s[k] - v) < 1e-9, `L${s.layer}H${s.head} ${k}: ${s[k]} vs ${v}`);
    assert.ok(Math.abs(s.delimiter - (s.cls + s.sep)) < 1e-12);
  }
});

test('the head-map accumulator: symmetric distances, zero diagonal, one point per head, aggregate labels', () => {
  const acc = engine.distances(model);
  try {
    acc.add('I went to the store.', 'At the store, I bought fresh strawberries.');
    acc.add('The cat sat on the mat.', null);
    const m = acc.mds();
    const H = m.total_heads;
    assert.equal(H, 16);
    assert.equal(m.texts, 2);
    for (let a = 0; a < H; ++a) {
      assert.equal(m.distance[a * H + a], 0);
      for (let b = 0; b < H; ++b) assert.ok(Math.abs(m.distance[a * H + b] - m.distance[b * H + a]) < 1e-9);
    }
    assert.equal(m.points.length, H);
    assert.ok(m.stress >= 0 && m.stress < 1);
    assert.equal(m.aggregate.per_head.length, H);
    // The built-in model's next-token head is labelled so over these texts.
    assert.equal(m.aggregate.per_head[1].dominant, 'next');
  } finally {
    acc.free();
  }
});
