// web/data/attention_data.js: hand-computed merges, row sums on seeded random inputs, filters, and a real engine run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

import { nodeEngine } from '../../tools/eval/node_engine.mjs';
import { Layers, hasLayer, headMatrix, headRows, headThumbnail, headVectors, hideSpecial, mergeWordPieces, pairFilter, poolThumbnails,
  strongLinks, toggled, valueCount } from '../../web/data/attention_data.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Seeded PRNG in [0, 1).
function mulberry32(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function tok(text, segment, start = -1, stop = -1) {
  return { text, id: 0, segment, start, stop };
}

// The test's own statement of the engine's word grouping (wasm/src/analysis/head_stats.h, WordIndices): a "##" piece joins
// the word of the token before it when that one is a word token of the same segment; [CLS]/[SEP] have word -1. The
// real-engine test below checks that the engine agrees. Sets token.word where it is not given.
function withWords(tokens, specials = ['[CLS]', '[SEP]']) {
  let words = 0;
  tokens.forEach((t, i) => {
    if (t.word !== undefined) return;
    const prev = tokens[i - 1];
    if (specials.includes(t.text)) t.word = -1;
    else t.word = prev && t.text.startsWith('##') && prev.word >= 0 && prev.segment === t.segment ? prev.word : words++;
  });
  return tokens;
}

function makeData(tokens, layers, heads, attention, headSize = 2) {
  const n = tokens.length;
  withWords(tokens);
  return {
    n, layers, heads_per_layer: heads, head_size: headSize, tokens,
    attention: Float32Array.from(attention),
    queries: new Float32Array(layers * heads * n * headSize),
    keys: new Float32Array(layers * heads * n * headSize),
    mlm: [{ position: 1, predictions: [] }], truncation: { truncated: false }, timings_ms: { total: 1 },
  };
}

function assertClose(actual, expected, tol, what) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let k = 0; k < expected.length; k++) {
    assert.ok(Math.abs(actual[k] - expected[k]) <= tol, `${what}[${k}] = ${actual[k]}, expected ${expected[k]}`);
  }
}

// Rows of [L][A][n][n] sum to 1 (or are all zero when allowZero).
function assertRowsSumToOne(data, tol, what, { allowZero = false } = {}) {
  const { n, attention } = data;
  assert.equal(attention.length, data.layers * data.heads_per_layer * n * n, `${what}: attention length`);
  for (let row = 0; row < data.layers * data.heads_per_layer * n; row++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += attention[row * n + j];
    assert.ok(Number.isFinite(s), `${what}: row ${row} is not finite`);
    if (allowZero && s === 0) continue;
    assert.ok(Math.abs(s - 1) <= tol, `${what}: row ${row} sums to ${s}`);
  }
}

// [CLS] straw ##berries . [SEP], 1 layer, 2 heads; rows = from.
const strawTokens = () => [tok('[CLS]', 0), tok('straw', 0, 0, 5), tok('##berries', 0, 5, 12), tok('.', 0, 12, 13), tok('[SEP]', 0)];
const strawHead0 = [
  0.5, 0.1, 0.2, 0.1, 0.1,
  0.1, 0.2, 0.4, 0.2, 0.1,
  0.3, 0.3, 0.1, 0.1, 0.2,
  0.2, 0.2, 0.2, 0.2, 0.2,
  0.0, 0.0, 0.0, 0.0, 1.0,
];
const strawHead1 = [
  0.2, 0.2, 0.2, 0.2, 0.2,
  0.6, 0.0, 0.0, 0.0, 0.4, // straw looks only at specials
  0.0, 0.5, 0.25, 0.25, 0.0,
  0.1, 0.3, 0.3, 0.2, 0.1,
  0.25, 0.25, 0.25, 0.25, 0.0,
];
const strawData = () => makeData(strawTokens(), 1, 2, [...strawHead0, ...strawHead1]);

test('headMatrix: a view of one head, RangeError out of range', () => {
  const L = 2, A = 3, n = 4;
  const attention = Array.from({ length: L * A * n * n }, (_, k) => k);
  const d = makeData(Array.from({ length: n }, (_, i) => tok(`t${i}`, 0)), L, A, attention);
  const m = headMatrix(d, 1, 2);
  assert.equal(m.length, n * n);
  assert.equal(m.buffer, d.attention.buffer);
  assert.equal(m[0], (1 * A + 2) * n * n);
  assert.equal(m[n * n - 1], (1 * A + 2) * n * n + n * n - 1);
  assert.equal(headMatrix(d, 0, 0)[5], 5);
  assert.throws(() => headMatrix(d, 2, 0), (e) => e instanceof RangeError && /layer 2/.test(e.message));
  assert.throws(() => headMatrix(d, 0, 3), (e) => e instanceof RangeError && /head 3/.test(e.message));
  assert.throws(() => headMatrix(d, -1, 0), RangeError);
  assert.throws(() => headMatrix(d, 0, 1.5), RangeError);
});

test('headRows: row i of one head is the weights from token i, views into data.attention', () => {
  const L = 2, A = 3, n = 4;
  const attention = Array.from({ length: L * A * n * n }, (_, k) => k);  // value = flat index, row-major [L][A][n][n]
  const d = makeData(Array.from({ length: n }, (_, i) => tok(`t${i}`, 0)), L, A, attention);
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < A; h++) {
      const rows = headRows(d, l, h);
      assert.equal(rows.length, n);
      for (let i = 0; i < n; i++) {
        assert.equal(rows[i].buffer, d.attention.buffer);
        assert.deepEqual(Array.from(rows[i]), Array.from({ length: n }, (_, j) => ((l * A + h) * n + i) * n + j), `l${l} h${h} row ${i}`);
      }
    }
  }
  headRows(d, 1, 2)[3][1] = -1;  // a view: writing through it changes the data
  assert.equal(d.attention[((1 * A + 2) * n + 3) * n + 1], -1);
  assert.throws(() => headRows(d, 2, 0), (e) => e instanceof RangeError && /layer 2/.test(e.message));
  assert.throws(() => headRows(d, 0, -1), RangeError);
});

test('headVectors: token i\'s query / key in one head, [L][A][n][D]; refused without vectors', () => {
  const L = 2, A = 2, D = 3;
  const tokens = [tok('[CLS]', 0), tok('a', 0, 0, 1), tok('[SEP]', 0)];
  const n = tokens.length;
  const d = makeData(tokens, L, A, new Array(L * A * n * n).fill(1 / n), D);
  d.queries.forEach((_, k) => { d.queries[k] = k; });
  d.keys.forEach((_, k) => { d.keys[k] = -k - 1; });
  for (let l = 0; l < L; l++) {
    for (let h = 0; h < A; h++) {
      const q = headVectors(d, 'queries', l, h), k = headVectors(d, 'keys', l, h);
      assert.equal(q.length, n);
      for (let i = 0; i < n; i++) {
        const want = Array.from({ length: D }, (_, e) => ((l * A + h) * n + i) * D + e);
        assert.deepEqual(Array.from(q[i]), want);
        assert.deepEqual(Array.from(k[i]), want.map((v) => -v - 1));
        assert.equal(q[i].buffer, d.queries.buffer);
      }
    }
  }
  // After hideSpecial the vectors follow the kept tokens (n' = 1 here).
  const h = hideSpecial(d);
  assert.deepEqual(Array.from(headVectors(h, 'queries', 1, 1)[0]), Array.from(headVectors(d, 'queries', 1, 1)[1]));
  assert.throws(() => headVectors(d, 'values', 0, 0), RangeError);
  assert.throws(() => headVectors(d, 'keys', 0, 2), (e) => e instanceof RangeError && /head 2/.test(e.message));
  assert.throws(() => headVectors(mergeWordPieces(d), 'queries', 0, 0), (e) => e instanceof TypeError && /no queries/.test(e.message));
});

test('mergeWordPieces: hand-computed column sums and row means', () => {
  const d = strawData();
  const w = mergeWordPieces(d);
  assert.equal(w.n, 4);
  assert.equal(w.level, 'word');
  assert.deepEqual(w.tokens, [
    { text: '[CLS]', segment: 0, word: -1, start: -1, stop: -1, pieces: [0] },
    { text: 'strawberries', segment: 0, word: 0, start: 0, stop: 12, pieces: [1, 2] },
    { text: '.', segment: 0, word: 1, start: 12, stop: 13, pieces: [3] },
    { text: '[SEP]', segment: 0, word: -1, start: -1, stop: -1, pieces: [4] },
  ]);
  assertClose(headMatrix(w, 0, 0), [
    0.5, 0.3, 0.1, 0.1,
    0.2, 0.5, 0.15, 0.15, // mean of straw [0.1 0.6 0.2 0.1] and ##berries [0.3 0.4 0.1 0.2]
    0.2, 0.4, 0.2, 0.2,
    0.0, 0.0, 0.0, 1.0,
  ], 1e-6, 'head 0');
  assertClose(headMatrix(w, 0, 1), [
    0.2, 0.4, 0.2, 0.2,
    0.3, 0.375, 0.125, 0.2,
    0.1, 0.6, 0.2, 0.1,
    0.25, 0.5, 0.25, 0.0,
  ], 1e-6, 'head 1');
  assert.ok(w.attention instanceof Float32Array);
  assert.equal(w.queries, null);
  assert.equal(w.keys, null);
  assert.equal(w.mlm, d.mlm);
  assert.equal(w.truncation, d.truncation);
  assert.equal(w.timings_ms, d.timings_ms);
  assert.equal(w.layers, 1);
  assert.equal(w.heads_per_layer, 2);
  assert.throws(() => mergeWordPieces(w), /already at word level/);
});

test('mergeWordPieces: "##" pieces never join across a segment or onto a special', () => {
  const tokens = [
    tok('[CLS]', 0), tok('##x', 0, 0, 1), tok('a', 0, 2, 3), tok('##b', 0, 3, 4), tok('##c', 0, 4, 5), tok('[SEP]', 0),
    tok('##d', 1, 0, 1), tok('e', 1, 2, 3), tok('##f', 1, 3, 4), tok('[SEP]', 1),
  ];
  const n = tokens.length;
  const uniform = new Array(n * n).fill(1 / n);
  const w = mergeWordPieces(makeData(tokens, 1, 1, uniform));
  assert.deepEqual(w.tokens.map((t) => [t.text, t.segment, t.start, t.stop, t.pieces]), [
    ['[CLS]', 0, -1, -1, [0]],
    ['##x', 0, 0, 1, [1]],
    ['abc', 0, 2, 5, [2, 3, 4]],
    ['[SEP]', 0, -1, -1, [5]],
    ['##d', 1, 0, 1, [6]],
    ['ef', 1, 2, 4, [7, 8]],
    ['[SEP]', 1, -1, -1, [9]],
  ]);
  // Segment boundary without a special between.
  const split = mergeWordPieces(makeData([tok('a', 0, 0, 1), tok('##b', 1, 0, 1)], 1, 1, [0.5, 0.5, 0.5, 0.5]));
  assert.deepEqual(split.tokens.map((t) => t.text), ['a', '##b']);
  // Uniform rows: a word receives (its piece count) / n from every word.
  const m = headMatrix(w, 0, 0);
  w.tokens.forEach((_, v) => w.tokens.forEach((u, c) => {
    assert.ok(Math.abs(m[v * w.n + c] - u.pieces.length / n) < 1e-6);
  }));
});

test('specials are given by name (hideSpecial) and by the engine\'s word index (mergeWordPieces)', () => {
  const tokens = [tok('<s>', 0), tok('##a', 0, 0, 1), tok('b', 0, 2, 3), tok('</s>', 0), tok('[CLS]', 0, 4, 9)];
  withWords(tokens, ['<s>', '</s>']);
  const n = tokens.length;
  const d = makeData(tokens, 1, 1, new Array(n * n).fill(1 / n));
  const w = mergeWordPieces(d);
  assert.deepEqual(w.tokens.map((t) => t.text), ['<s>', '##a', 'b', '</s>', '[CLS]']);
  assert.deepEqual(w.tokens.map((t) => t.pieces), [[0], [1], [2], [3], [4]]);
  const h = hideSpecial(d, { specials: ['<s>', '</s>'] });
  assert.deepEqual(h.tokens.map((t) => [t.text, t.index]), [['##a', 1], ['b', 2], ['[CLS]', 4]]);
  assertClose(headMatrix(h, 0, 0), new Array(9).fill(1 / 3), 1e-6, 'renormalised uniform');
  // Defaults: [CLS] is special, <s> is not.
  assert.deepEqual(hideSpecial(d).tokens.map((t) => t.text), ['<s>', '##a', 'b', '</s>']);
});

test('mergeWordPieces follows token.word, and refuses tokens without one (a version-1 snapshot)', () => {
  const tokens = [tok('[CLS]', 0), tok('x', 0, 0, 1), tok('y', 0, 2, 3), tok('[SEP]', 0)];
  tokens.forEach((t, i) => { t.word = [-1, 0, 0, -1][i]; });  // the engine may group tokens without "##"
  const w = mergeWordPieces(makeData(tokens, 1, 1, new Array(16).fill(0.25)));
  assert.deepEqual(w.tokens.map((t) => [t.text, t.word, t.pieces]), [['[CLS]', -1, [0]], ['xy', 0, [1, 2]], ['[SEP]', -1, [3]]]);
  const bare = makeData([tok('a', 0), tok('b', 0)], 1, 1, [0.5, 0.5, 0.5, 0.5]);
  delete bare.tokens[1].word;
  assert.throws(() => mergeWordPieces(bare), (e) => e instanceof TypeError && /token 1 \("b"\) has no word index/.test(e.message));
});

test('hideSpecial: hand-computed renormalisation; a row with mass only on specials becomes zeros', () => {
  const d = strawData();
  const h = hideSpecial(d);
  assert.equal(h.n, 3);
  assert.equal(h.hidden_special, true);
  assert.deepEqual(h.tokens, [
    { text: 'straw', id: 0, segment: 0, start: 0, stop: 5, word: 0, index: 1 },
    { text: '##berries', id: 0, segment: 0, start: 5, stop: 12, word: 0, index: 2 },
    { text: '.', id: 0, segment: 0, start: 12, stop: 13, word: 1, index: 3 },
  ]);
  assertClose(headMatrix(h, 0, 0), [
    0.25, 0.5, 0.25,
    0.6, 0.2, 0.2,
    1 / 3, 1 / 3, 1 / 3,
  ], 1e-6, 'head 0');
  const m1 = headMatrix(h, 0, 1);
  assertClose(m1, [
    0, 0, 0,
    0.5, 0.25, 0.25,
    0.375, 0.375, 0.25,
  ], 1e-6, 'head 1');
  assert.ok(m1.every((x) => !Number.isNaN(x)));
  assert.ok(h.attention instanceof Float32Array);
  assert.equal(h.mlm, d.mlm);
});

test('hideSpecial: queries and keys keep the kept tokens\' vectors, [L][A][n\'][D]', () => {
  const L = 2, A = 3, D = 4;
  const tokens = [tok('[CLS]', 0), tok('a', 0, 0, 1), tok('[SEP]', 0), tok('b', 1, 0, 1), tok('##c', 1, 1, 2), tok('[SEP]', 1)];
  const n = tokens.length;
  const d = makeData(tokens, L, A, new Array(L * A * n * n).fill(1 / n), D);
  const code = (b, i, k, which) => which * 100000 + b * 1000 + i * 10 + k;
  for (let b = 0; b < L * A; b++) {
    for (let i = 0; i < n; i++) {
      for (let k = 0; k < D; k++) {
        d.queries[(b * n + i) * D + k] = code(b, i, k, 1);
        d.keys[(b * n + i) * D + k] = code(b, i, k, 2);
      }
    }
  }
  const h = hideSpecial(d);
  const kept = [1, 3, 4];
  assert.deepEqual(h.tokens.map((t) => t.index), kept);
  assert.equal(h.queries.length, L * A * kept.length * D);
  assert.ok(h.queries instanceof Float32Array && h.keys instanceof Float32Array);
  for (let b = 0; b < L * A; b++) {
    kept.forEach((i, r) => {
      for (let k = 0; k < D; k++) {
        assert.equal(h.queries[(b * kept.length + r) * D + k], code(b, i, k, 1));
        assert.equal(h.keys[(b * kept.length + r) * D + k], code(b, i, k, 2));
      }
    });
  }
  // Word level has no q/k: they stay null.
  const hw = hideSpecial(mergeWordPieces(d));
  assert.equal(hw.queries, null);
  assert.equal(hw.keys, null);
  assert.deepEqual(hw.tokens.map((t) => [t.text, t.index, t.pieces]), [['a', 1, [1]], ['bc', 3, [3, 4]]]);
});

// Pair layout [CLS] A.. [SEP] B.. [SEP] with random "##" pieces; `stray` also scatters specials anywhere.
function randomTokens(rand, n, { stray = false } = {}) {
  const specials = ['[CLS]', '[SEP]'];
  const nA = n >= 3 ? Math.floor(rand() * (n - 2)) : 0;
  const tokens = [];
  for (let i = 0; i < n; i++) {
    const segment = i <= nA + 1 || n < 3 ? 0 : 1;
    const natural = i === 0 ? '[CLS]' : (i === nA + 1 || i === n - 1) ? '[SEP]' : null;
    let text = natural;
    if (stray && rand() < 0.15) text = specials[Math.floor(rand() * 2)];
    else if (!natural || (stray && rand() < 0.3)) text = rand() < 0.45 ? `##p${i}` : `w${i}`;
    tokens.push(tok(text, segment, text.startsWith('[') ? -1 : i, text.startsWith('[') ? -1 : i + 1));
  }
  return tokens;
}

// Random row-stochastic [L][A][n][n]; with sameSpecialMass, the pieces of a word give specials the same total weight.
function randomAttention(rand, tokens, blocks, { sameSpecialMass = false } = {}) {
  const n = tokens.length;
  const special = tokens.map((t) => t.text === '[CLS]' || t.text === '[SEP]');
  const wordOf = [];
  tokens.forEach((t, i) => {
    const joins = i > 0 && t.text.startsWith('##') && !special[i - 1] && tokens[i - 1].segment === t.segment;
    wordOf.push(joins ? wordOf[i - 1] : i);
  });
  const out = new Float32Array(blocks * n * n);
  for (let b = 0; b < blocks; b++) {
    const specialMass = tokens.map(() => 0.05 + 0.9 * rand()); // per word start, used when sameSpecialMass
    for (let i = 0; i < n; i++) {
      const raw = tokens.map(() => 0.01 + rand() ** 3);
      let total = 0, onSpecial = 0;
      raw.forEach((x, j) => { total += x; if (special[j]) onSpecial += x; });
      const hasBoth = onSpecial > 0 && onSpecial < total;
      const s = specialMass[wordOf[i]];
      for (let j = 0; j < n; j++) {
        const w = sameSpecialMass && hasBoth
          ? (special[j] ? s * raw[j] / onSpecial : (1 - s) * raw[j] / (total - onSpecial))
          : raw[j] / total;
        out[(b * n + i) * n + j] = w;
      }
    }
  }
  return out;
}

test('rows sum to 1 after merge and after hideSpecial (seeded random pairs, n = 1..40, both orders)', () => {
  const rand = mulberry32(20190611);
  const L = 2, A = 3;
  let words = 0, pieces = 0;
  for (let n = 1; n <= 40; n++) {
    for (let rep = 0; rep < 3; rep++) {
      const tokens = randomTokens(rand, n, { stray: rep > 0 });
      const d = makeData(tokens, L, A, randomAttention(rand, tokens, L * A));
      assertRowsSumToOne(d, 1e-5, `input n=${n}`);
      const w = mergeWordPieces(d);
      assertRowsSumToOne(w, 1e-5, `merged n=${n}`);
      assert.equal(w.tokens.reduce((s, t) => s + t.pieces.length, 0), n);
      assert.deepEqual(w.tokens.flatMap((t) => t.pieces), [...Array(n).keys()]);
      words += w.n;
      pieces += n;
      const h = hideSpecial(d);
      const nSpecial = tokens.filter((t) => t.text.startsWith('[')).length;
      assert.equal(h.n, n - nSpecial);
      assertRowsSumToOne(h, 1e-5, `hidden n=${n}`);
      assertRowsSumToOne(hideSpecial(w), 1e-5, `merged then hidden n=${n}`);
      assertRowsSumToOne(mergeWordPieces(h), 1e-5, `hidden then merged n=${n}`);
    }
  }
  assert.ok(words < pieces, 'the generator produced "##" pieces that merged');
});

test('merge then hide equals hide then merge when a word\'s pieces give specials the same weight', () => {
  const rand = mulberry32(7);
  const L = 2, A = 3;
  let merged = 0;
  for (let n = 1; n <= 40; n++) {
    for (let rep = 0; rep < 2; rep++) {
      const tokens = randomTokens(rand, n);
      const d = makeData(tokens, L, A, randomAttention(rand, tokens, L * A, { sameSpecialMass: true }));
      const mh = hideSpecial(mergeWordPieces(d));
      const hm = mergeWordPieces(hideSpecial(d));
      assert.equal(mh.n, hm.n, `n=${n}`);
      const strip = (t) => [t.text, t.segment, t.start, t.stop];
      assert.deepEqual(mh.tokens.map(strip), hm.tokens.map(strip));
      // hm's pieces index the hidden tokens; map them back to the input.
      const hidden = hideSpecial(d).tokens;
      assert.deepEqual(mh.tokens.map((t) => t.pieces), hm.tokens.map((t) => t.pieces.map((p) => hidden[p].index)));
      assertClose(mh.attention, hm.attention, 1e-5, `n=${n}`);
      merged += mh.tokens.filter((t) => t.pieces.length > 1).length;
    }
  }
  assert.ok(merged > 20, `only ${merged} multi-piece words`);
});

test('merge and hide do not commute in general: hide renormalises after the row mean', () => {
  // straw gives specials 0.2, ##berries 0.5: different weights, so the orders differ.
  const d = makeData(strawTokens(), 1, 1, strawHead0);
  const mh = headMatrix(hideSpecial(mergeWordPieces(d)), 0, 0);
  const hm = headMatrix(mergeWordPieces(hideSpecial(d)), 0, 0);
  // merged row [0.2 0.5 0.15 0.15] -> [0.5 0.15] / 0.65
  assertClose(mh.subarray(0, 2), [10 / 13, 3 / 13], 1e-6, 'merge then hide');
  // mean of [0.25+0.5 0.25] and [0.6+0.2 0.2]
  assertClose(hm.subarray(0, 2), [0.775, 0.225], 1e-6, 'hide then merge');
});

test('pairFilter: truth table on a pair, specials in their engine segment', () => {
  // [CLS]/0 a/0 [SEP]/0 b/1 [SEP]/1
  const tokens = [tok('[CLS]', 0), tok('a', 0, 0, 1), tok('[SEP]', 0), tok('b', 1, 0, 1), tok('[SEP]', 1)];
  const A = [0, 1, 2], B = [3, 4];
  const expected = {
    all: [[...A, ...B], [...A, ...B]],
    AA: [A, A], AB: [A, B], BA: [B, A], BB: [B, B],
  };
  for (const [filter, [from, to]] of Object.entries(expected)) {
    const f = pairFilter(tokens, filter);
    for (let i = 0; i < 5; i++) {
      for (let j = 0; j < 5; j++) {
        assert.equal(f(i, j), from.includes(i) && to.includes(j), `${filter}(${i}, ${j})`);
      }
    }
  }
  assert.equal(pairFilter(tokens, 'AB')(1, 3), true);
  assert.equal(pairFilter(tokens, 'AB')(3, 1), false);
  for (const bad of ['ab', 'CA', '', undefined, 'toString']) {
    assert.throws(() => pairFilter(tokens, bad), RangeError, String(bad));
  }
});

test('strongLinks: threshold (inclusive), keep, row-major order', () => {
  const m = Float32Array.from([
    0.5, 0.25, 0.25,
    0.0, 1.0, 0.0,
    0.125, 0.375, 0.5,
  ]);
  assert.deepEqual(strongLinks(m, 3, { threshold: 0.375 }), [
    { i: 0, j: 0, w: 0.5 }, { i: 1, j: 1, w: 1 }, { i: 2, j: 1, w: 0.375 }, { i: 2, j: 2, w: 0.5 },
  ]);
  assert.deepEqual(strongLinks(m, 3, { threshold: 0.375, keep: (i, j) => i !== j }), [{ i: 2, j: 1, w: 0.375 }]);
  const all = strongLinks(m, 3);
  assert.equal(all.length, 9);
  assert.deepEqual(all.map(({ i, j }) => i * 3 + j), [...Array(9).keys()]);
  assert.deepEqual(strongLinks(m, 3, { threshold: 2 }), []);
  const tokens = [tok('a', 0), tok('b', 0), tok('c', 1)];
  assert.deepEqual(strongLinks(m, 3, { threshold: 0.1, keep: pairFilter(tokens, 'BA') }), [
    { i: 2, j: 0, w: 0.125 }, { i: 2, j: 1, w: 0.375 },
  ]);
});

test('inputs are not mutated', () => {
  const rand = mulberry32(99);
  const tokens = randomTokens(rand, 17, { stray: true });
  const d = makeData(tokens, 2, 3, randomAttention(rand, tokens, 6), 4);
  d.queries.forEach((_, k) => { d.queries[k] = rand(); });
  d.keys.forEach((_, k) => { d.keys[k] = rand(); });
  const before = structuredClone(d);
  const w = mergeWordPieces(d);
  const h = hideSpecial(d);
  const wBefore = structuredClone(w);
  const hw = hideSpecial(w);
  const hBefore = structuredClone(h);
  mergeWordPieces(h);
  headMatrix(d, 1, 2);
  pairFilter(d.tokens, 'AB');
  strongLinks(headMatrix(d, 0, 0), d.n, { threshold: 0.1 });
  assert.deepEqual(d, before);
  assert.deepEqual(w, wBefore);
  assert.deepEqual(h, hBefore);
  assert.notEqual(w.attention.buffer, d.attention.buffer);
  assert.notEqual(h.attention.buffer, d.attention.buffer);
  assert.notEqual(h.queries.buffer, d.queries.buffer);
  assert.notEqual(hw.tokens[0], w.tokens[hw.tokens[0].index]);
  assert.equal(d.level, undefined);
  assert.equal(d.hidden_special, undefined);
});

test('real engine (built-in model, wasm): word level and hidden specials on a pair', async () => {
  const engine = await nodeEngine('st');
  const model = engine.loadModel(new Uint8Array(readFileSync(path.join(root, 'models/headlight-mini/headlight-mini.hlm'))));
  const pairs = [
    ['I went to the store.', 'At the store, I bought fresh strawberries.'],
    ['The [MASK] was unaffable.', 'unaffable antidisestablishmentarianism'],
  ];
  let pieceCount = 0;
  const longWords = new Set();
  for (const [a, b] of pairs) {
    const r = engine.run(model, a, b);
    const where = `${a} | ${b}`;
    const continuations = r.tokens.filter((t) => t.text.startsWith('##')).length;
    pieceCount += continuations;
    assertRowsSumToOne(r, 1e-4, `tokens: ${where}`);

    const oracle = withWords(r.tokens.map(({ text, segment }) => ({ text, segment })));
    assert.deepEqual(r.tokens.map((t) => t.word), oracle.map((t) => t.word), `the engine's words: ${where}`);
    const w = mergeWordPieces(r);
    assert.equal(w.n, r.n - continuations, where);
    assertRowsSumToOne(w, 1e-4, `words: ${where}`);
    w.tokens.filter((t) => t.pieces.length > 1).forEach((t) => longWords.add(t.text));
    for (const t of w.tokens) {
      if (t.start >= 0) assert.equal((t.segment === 0 ? a : b).slice(t.start, t.stop).toLowerCase(), t.text.toLowerCase(), where);
    }

    const h = hideSpecial(r);
    assert.equal(h.n, r.n - r.tokens.filter((t) => t.text === '[CLS]' || t.text === '[SEP]').length);
    assert.equal(h.queries.length, r.layers * r.heads_per_layer * h.n * r.head_size);
    assertRowsSumToOne(h, 1e-4, `tokens, specials hidden: ${where}`);
    assertRowsSumToOne(hideSpecial(w), 1e-4, `words, specials hidden: ${where}`);
    assertRowsSumToOne(mergeWordPieces(h), 1e-4, `specials hidden, then words: ${where}`);
    assert.deepEqual(hideSpecial(w).tokens.map((t) => t.text), mergeWordPieces(h).tokens.map((t) => t.text));
  }
  assert.ok(pieceCount > 0, 'no "##" pieces occurred');
  assert.ok(longWords.has('strawberries'), `multi-piece words: ${[...longWords].join(' ')}`);
  assert.ok(longWords.has('antidisestablishmentarianism'), `multi-piece words: ${[...longWords].join(' ')}`);
  engine.freeModel(model);
});

// A result the engine Worker keeps reaches the page as Layers, one layer at a time: the accessors and toggles give,
// layer by layer, what they give on the whole array.
test('Layers: put/get/has, whole; the accessors and toggles on Layers equal those on the whole array', () => {
  const rand = mulberry32(7);
  const tokens = randomTokens(rand, 13, { stray: true });
  const L = 3, A = 2, D = 4, n = tokens.length;
  const d = makeData(tokens, L, A, randomAttention(rand, tokens, L * A), D);
  d.queries.forEach((_, k) => { d.queries[k] = rand(); });
  d.keys.forEach((_, k) => { d.keys[k] = rand(); });
  const lazy = { ...d, attention: new Layers(L, A * n * n), queries: new Layers(L, A * n * D), keys: new Layers(L, A * n * D) };
  assert.equal(hasLayer(lazy, 1), false);
  assert.throws(() => headMatrix(lazy, 1, 0), /layer 1 of this result has not been fetched/);
  const whole = { attention: Layers.whole(d.attention, L), queries: Layers.whole(d.queries, L), keys: Layers.whole(d.keys, L) };
  for (const name of ['attention', 'queries', 'keys']) lazy[name].put(1, whole[name].get(1).slice());
  assert.equal(hasLayer(lazy, 1, { qk: true }), true);
  assert.equal(hasLayer(lazy, 0), false);
  assert.throws(() => lazy.attention.put(0, new Float32Array(3)), /layer 0 has 3 values/);
  assert.equal(valueCount(lazy.attention), d.attention.length);
  for (let h = 0; h < A; h++) {
    assert.deepEqual(headMatrix(lazy, 1, h), headMatrix(d, 1, h));
    assert.deepEqual(headVectors(lazy, 'keys', 1, h), headVectors(d, 'keys', 1, h));
  }
  for (const toggles of [{ wordLevel: true }, { hideSpecial: true }, { wordLevel: true, hideSpecial: true }]) {
    const a = toggled(d, toggles), b = toggled(lazy, toggles);
    assert.equal(b.n, a.n);
    assert.equal(hasLayer(b, 1), true);
    assert.equal(hasLayer(b, 2), false);
    for (let h = 0; h < A; h++) assert.deepEqual(headMatrix(b, 1, h), headMatrix(a, 1, h), JSON.stringify(toggles));
    if (b.queries) assert.deepEqual(headVectors(b, 'queries', 1, 1), headVectors(a, 'queries', 1, 1));
  }
  for (let l = 0; l < L; l++) assert.deepEqual(Layers.whole(d.attention, L).get(l), d.attention.subarray(l * A * n * n, (l + 1) * A * n * n));
});

test('poolThumbnails: the matrix itself up to maxSide; beyond, each cell the largest weight it covers; headThumbnail reads either', () => {
  const n = 6, A = 2;
  const layer = Float32Array.from({ length: A * n * n }, (_, k) => (k % 7) / 10);
  assert.deepEqual(poolThumbnails(layer, A, n, 6), layer);
  const p = poolThumbnails(layer, A, n, 3);  // cells of 2 × 2 tokens
  assert.equal(p.length, A * 9);
  for (let h = 0; h < A; h++) for (let r = 0; r < 3; r++) for (let c = 0; c < 3; c++) {
    let want = 0;
    for (const i of [2 * r, 2 * r + 1]) for (const j of [2 * c, 2 * c + 1]) want = Math.max(want, layer[(h * n + i) * n + j]);
    assert.equal(p[(h * 3 + r) * 3 + c], want);
  }
  const uneven = poolThumbnails(layer, A, n, 4);  // 6 tokens into 4 cells: every token in exactly one cell
  assert.equal(Math.max(...uneven), Math.max(...layer));
  const data = { n, layers: 1, heads_per_layer: A, attention: layer };
  assert.deepEqual(headThumbnail(data, 0, 1), { side: n, values: layer.subarray(n * n) });
  const pooled = { ...data, thumbnails: { side: 3, layers: Layers.whole(p, 1) } };
  assert.deepEqual(headThumbnail(pooled, 0, 1), { side: 3, values: p.subarray(9) });
});
