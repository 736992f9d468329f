// web/data/patterns.js: top heads and layer profiles on hand-built statistics; the example token of each pattern as the
// engine found it, checked against the attention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { headRows } from '../../web/data/attention_data.js';
import { PATTERNS, exampleToken, layerProfile, topHeads } from '../../web/data/patterns.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// The engine's statistics of [CLS] a straw ##berries [SEP] a b [SEP] (built-in model, wasm).
async function engineStats() {
  const engine = await nodeEngine('st');
  const model = engine.loadModel(new Uint8Array(readFileSync(path.join(root, 'models/headlight-mini/headlight-mini.hlm'))));
  try {
    return engine.run(model, 'a strawberries', 'a b', { stats: true });
  } finally {
    engine.freeModel(model);
  }
}

test('exampleToken reads the row the engine found for each pattern: the one scoring highest', async () => {
  const r = await engineStats();
  const { stats } = r;
  assert.deepEqual(r.tokens.map((t) => t.text), ['[CLS]', 'a', 'straw', '##berries', '[SEP]', 'a', 'b', '[SEP]']);
  const n = r.n;
  // The score of each pattern on row i, from the attention (independent of the engine's definition's code).
  const score = {
    next: (w, i) => (i + 1 < n ? w[i][i + 1] : null),
    previous: (w, i) => (i > 0 ? w[i][i - 1] : null),
    delimiter: (w, i) => w[i][0] + w[i][4] + w[i][7],
    subword: (w, i) => (i === 2 ? w[2][3] : i === 3 ? w[3][2] : null),
    other_sentence: (w, i) => (i === 1 ? w[1][5] : i === 5 ? w[5][1] : null),
    identical: () => null,  // "a" occurs once per sentence
  };
  for (const h of stats.per_head) {
    const w = headRows(r, h.layer, h.head);
    for (const p of PATTERNS) {
      const ex = exampleToken(stats, h.layer, h.head, p.key);
      const scores = Array.from({ length: n }, (_, i) => score[p.key](w, i));
      if (scores.every((v) => v === null)) { assert.equal(ex, null, p.key); continue; }
      const best = Math.max(...scores.filter((v) => v !== null));
      assert.ok(Math.abs(ex.score - best) < 1e-6, `${p.key} of ${h.layer}.${h.head}: ${ex.score} vs ${best}`);
      assert.ok(Math.abs(scores[ex.index] - best) < 1e-6, `${p.key} of ${h.layer}.${h.head}: row ${ex.index}`);
    }
  }
  assert.throws(() => exampleToken(stats, 0, 0, 'nonsense'), RangeError);
  assert.throws(() => exampleToken(stats, 99, 0, 'next'), RangeError);
});

test('topHeads sorts by value, skips heads where the pattern does not apply, breaks ties by position', () => {
  const stats = { per_head: [
    { layer: 0, head: 0, next: 0.2, subword: null }, { layer: 0, head: 1, next: 0.9, subword: 0.4 },
    { layer: 1, head: 0, next: 0.9, subword: 0.6 }, { layer: 1, head: 1, next: 0.1, subword: NaN },
  ] };
  assert.deepEqual(topHeads(stats, 'next', 2), [{ layer: 0, head: 1, value: 0.9 }, { layer: 1, head: 0, value: 0.9 }]);
  assert.deepEqual(topHeads(stats, 'subword').map((h) => [h.layer, h.head]), [[1, 0], [0, 1]]);
});

test('layerProfile: per layer the heads in order and their mean (null heads left out of the mean)', () => {
  const stats = { per_head: [
    { layer: 1, head: 1, sep: 0.5 }, { layer: 0, head: 0, sep: 0.1 }, { layer: 0, head: 1, sep: 0.3 }, { layer: 1, head: 0, sep: null },
  ] };
  const p = layerProfile(stats, 'sep');
  assert.equal(p.length, 2);
  assert.deepEqual(p[0].values, [0.1, 0.3]);
  assert.ok(Math.abs(p[0].mean - 0.2) < 1e-12);
  assert.deepEqual(p[1].values, [null, 0.5]);
  assert.equal(p[1].mean, 0.5);
});

test('there are six patterns, each with an explanation', () => {
  assert.equal(PATTERNS.length, 6);
  for (const p of PATTERNS) assert.ok(p.explain.length > 20, p.key);
});
