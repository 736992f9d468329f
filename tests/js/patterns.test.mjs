// web/analyses/patterns.js: top heads, layer profiles and the example token of each pattern on hand-built attention.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { PATTERNS, exampleToken, layerProfile, topHeads } from '../../web/analyses/patterns.js';

// [CLS] a straw ##berries [SEP] a b [SEP]: sentence A = tokens 0..4, B = 5..7; one layer, one head.
const tokens = ['[CLS]', 'a', 'straw', '##berries', '[SEP]', 'a', 'b', '[SEP]'].map((text, i) => ({ text, segment: i < 5 ? 0 : 1 }));
const n = tokens.length;
function data(rows) {
  const attention = new Float32Array(n * n);
  rows.forEach((row, i) => row.forEach((w, j) => { attention[i * n + j] = w; }));
  return { n, layers: 1, heads: 1, tokens, attention };
}
const oneHot = (i, j) => Array.from({ length: n }, (_, k) => (k === j ? 1 : 0));

test('exampleToken finds the row that shows each pattern', () => {
  // Row 2 ("straw") puts 0.9 on its partner ##berries; row 5 (B's "a") 0.7 on A's "a"; row 6 0.8 on [SEP] 7.
  const rows = Array.from({ length: n }, (_, i) => Array(n).fill(1 / n));
  rows[2] = [0, 0, 0.1, 0.9, 0, 0, 0, 0];
  rows[5] = [0, 0.7, 0, 0, 0, 0.1, 0.2, 0];
  rows[6] = [0.1, 0, 0, 0, 0, 0, 0.1, 0.8];
  const d = data(rows);
  assert.deepEqual(exampleToken(d, 0, 0, 'subword'), { index: 2, score: Math.fround(0.9) });
  assert.equal(exampleToken(d, 0, 0, 'other_sentence').index, 5);
  assert.equal(exampleToken(d, 0, 0, 'delimiter').index, 6);
  assert.equal(exampleToken(d, 0, 0, 'next').index, 2);      // 0.9 on i+1
  assert.equal(exampleToken(d, 0, 0, 'previous').index, 1);  // rows 2, 5, 6 give 0 to i-1; the first uniform row wins
  // "a" occurs once per sentence: identical (same sentence) applies nowhere.
  assert.equal(exampleToken(d, 0, 0, 'identical'), null);
  assert.throws(() => exampleToken(d, 0, 0, 'nonsense'), RangeError);
});

test('exampleToken: the previous-token pattern picks the strongest i → i-1 row', () => {
  const rows = Array.from({ length: n }, (_, i) => oneHot(i, Math.max(0, i - 1)));
  rows[4] = oneHot(4, 0);  // [SEP] attends to [CLS], not to its previous token
  const d = data(rows);
  const best = exampleToken(d, 0, 0, 'previous');
  assert.equal(best.score, 1);
  assert.equal(best.index, 1);  // the first row with a full previous-token weight
});

test('topHeads sorts by value, skips heads where the pattern does not apply, breaks ties by position', () => {
  const stats = { heads: [
    { layer: 0, head: 0, next: 0.2, subword: null }, { layer: 0, head: 1, next: 0.9, subword: 0.4 },
    { layer: 1, head: 0, next: 0.9, subword: 0.6 }, { layer: 1, head: 1, next: 0.1, subword: NaN },
  ] };
  assert.deepEqual(topHeads(stats, 'next', 2), [{ layer: 0, head: 1, value: 0.9 }, { layer: 1, head: 0, value: 0.9 }]);
  assert.deepEqual(topHeads(stats, 'subword').map((h) => [h.layer, h.head]), [[1, 0], [0, 1]]);
});

test('layerProfile: per layer the heads in order and their mean (null heads left out of the mean)', () => {
  const stats = { heads: [
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
