// Snapshots (web/page/snapshot.js) and the standalone HTML (web/page/standalone.js): round trip within the stated
// 8-bit error (queries and keys within half-float rounding), the half-float codec, version 1 and 2 files, models with no
// special tokens, damaged or foreign files refused with a reason, nothing in a token can end the inlined <script>.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { floatToHalf, halfToFloat, makeSnapshot, readSnapshot, snapshotText, SNAPSHOT_VERSION } from '../../web/page/snapshot.js';
import { standaloneHtml, SAVED_FOOTER } from '../../web/page/standalone.js';
import { Layers, toggled } from '../../web/data/attention_data.js';
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

// The same with queries and keys [L][A][n][D]: signed values spread over magnitudes 2^-30 to 2^12 (half floats' subnormals
// start below 2^-14), a few exact zeros.
function fakeResultQk(L, A, n, D, seed = 1) {
  const r = rng(seed + 7);
  const vector = () => Float32Array.from({ length: L * A * n * D }, () => (r() < 0.02 ? 0 : (r() < 0.5 ? -1 : 1) * 2 ** (42 * r() - 30)));
  return { ...fakeResult(L, A, n, seed), head_size: D, queries: vector(), keys: vector() };
}

// A half float's rounding: within 2^-11 of the value (half an ulp, relative) where it is normal (≥ 2^-14), within 2^-25
// (half the subnormal step) below.
const halfBound = (x) => Math.max(Math.abs(x) * 2 ** -11, 2 ** -25);

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
  const text = snapshotText(await makeSnapshot(r, { model: { name: 'headlight-mini' }, qk: false }));  // as the page saves it
  assert.ok(text.length < 16 * 1024, `${text.length} bytes`);  // measured 5,650 B (npm run bench:sizes)
  const back = await readSnapshot(text);
  assert.equal(back.data.queries, undefined);
  let worst = 0;
  for (let k = 0; k < r.attention.length; ++k) worst = Math.max(worst, Math.abs(back.data.attention[k] - r.attention[k]));
  assert.ok(worst <= 1 / 255 + 1e-7, `worst error ${worst}`);  // + 1e-7: the engine's weights are float32
  // with the engine's queries and keys (the default): each within half-float rounding
  const full = await readSnapshot(snapshotText(await makeSnapshot(r)));
  assert.equal(full.data.head_size, r.head_size);
  for (const which of ['queries', 'keys']) {
    assert.equal(full.data[which].length, r[which].length);
    for (let k = 0; k < r[which].length; ++k) {
      const x = r[which][k];
      assert.ok(Math.abs(full.data[which][k] - x) <= halfBound(x), `${which} ${k}: ${full.data[which][k]} for ${x}`);
    }
  }
  engine.freeModel(model);
});

test('foreign, future or damaged snapshots are refused with a reason', async () => {
  const good = await makeSnapshot(fakeResult(1, 2, 5));
  const bad = async (s, re) => assert.rejects(readSnapshot(typeof s === 'string' ? s : JSON.stringify(s)), re);
  await bad('not json', /not a Headlight snapshot: not JSON/);
  await bad({ hello: 1 }, /not a Headlight snapshot/);
  await bad({ ...good, version: SNAPSHOT_VERSION + 1 }, /version 4; this Headlight reads versions 1 to 3/);
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

test('version 3: queries and keys round trip within half-float rounding, only when whole and not refused', async () => {
  for (const [L, A, n, D] of [[1, 1, 1, 1], [2, 3, 7, 8], [3, 2, 17, 64]]) {
    const r = fakeResultQk(L, A, n, D, L * 10 + n);
    const snap = await makeSnapshot(r, { model: { name: 'm' } });
    assert.equal(snap.version, 3);
    assert.equal(snap.head_size, D);
    assert.deepEqual(Object.keys(snap.queries), ['dtype', 'encoding', 'data']);
    assert.deepEqual([snap.queries.dtype, snap.keys.encoding], ['f16', 'gzip+base64']);
    const back = await readSnapshot(snapshotText(snap));
    assert.equal(back.data.head_size, D);
    for (const which of ['queries', 'keys']) {
      const got = back.data[which];
      assert.ok(got instanceof Float32Array && got.length === L * A * n * D, `${which}: ${got?.length} values`);
      for (let k = 0; k < got.length; ++k) {
        const x = r[which][k];
        assert.ok(Math.abs(got[k] - x) <= halfBound(x), `${which} ${k}: ${got[k]} for ${x}`);
        if (x === 0) assert.ok(Object.is(got[k], 0), `${which} ${k}: ${got[k]} for 0`);
      }
    }
    for (let k = 0; k < r.attention.length; ++k) assert.ok(Math.abs(back.data.attention[k] - r.attention[k]) <= 1 / 255 + 1e-7);
  }
  const r = fakeResultQk(2, 2, 4, 4);
  for (const [what, snap] of [['qk: false', await makeSnapshot(r, { qk: false })],
    ['Layers (a result the engine Worker keeps)', await makeSnapshot({ ...r, queries: Layers.whole(r.queries, 2), keys: Layers.whole(r.keys, 2) })],
    ['only queries', await makeSnapshot({ ...r, keys: undefined })]]) {
    assert.deepEqual(['head_size', 'queries', 'keys'].filter((k) => k in snap), [], what);
    const back = await readSnapshot(snapshotText(snap));
    assert.deepEqual(['head_size', 'queries', 'keys'].filter((k) => k in back.data), [], what);
  }
  await assert.rejects(makeSnapshot({ ...r, head_size: 5 }), /queries has 64 values, not L·A·n·D = 80/);
  await assert.rejects(makeSnapshot({ ...r, queries: r.queries.map((x, k) => (k === 3 ? 70000 : x)) }),
    /queries value 3 is 70000, beyond what a half float holds/);
  for (const x of [NaN, Infinity, -Infinity]) {
    await assert.rejects(makeSnapshot({ ...r, keys: r.keys.map((v, k) => (k === 5 ? x : v)) }), new RegExp(`keys value 5 is ${x}, not a finite number`));
  }
});

test('the half-float codec: exact on hand-picked values, rounding ties to even, every half back to itself', () => {
  const cases = [  // [number, its half's bits, the half's value]
    [0, 0x0000, 0], [-0, 0x8000, -0], [1, 0x3c00, 1], [-2, 0xc000, -2], [65504, 0x7bff, 65504],
    [6.1e-5, 0x03ff, 1023 * 2 ** -24],       // just below the smallest normal half (2^-14 = 6.1035e-5): a subnormal
    [2 ** -14, 0x0400, 2 ** -14],            // the smallest normal half
    [5.96e-8, 0x0001, 2 ** -24],             // the smallest subnormal (5.9605e-8)
    [Infinity, 0x7c00, Infinity], [-Infinity, 0xfc00, -Infinity],
    [65520, 0x7c00, Infinity],               // halfway between 65504 and 2^16: to even, Infinity
    [65519.99, 0x7bff, 65504],
    [1 + 2 ** -11, 0x3c00, 1],               // halfway between 1 and 1 + 2^-10: to even, 1
    [1 + 3 * 2 ** -11, 0x3c02, 1 + 2 ** -9], // halfway between 1 + 2^-10 and 1 + 2^-9: to even, up
    [1 + 2 ** -11 + 2 ** -20, 0x3c01, 1 + 2 ** -10],  // just above halfway: up
    [2 ** -25, 0x0000, 0],                   // halfway between 0 and the smallest subnormal: to even, 0
    [3 * 2 ** -25, 0x0002, 2 ** -23],        // halfway between subnormals 1 and 2: to even, 2
    [-3 * 2 ** -25, 0x8002, -(2 ** -23)],
    [2 ** -26, 0x0000, 0], [0.1, 0x2e66, 0.0999755859375], [-1e-3, 0x9419, -0.0010004043579101562],
  ];
  for (const [x, bits, value] of cases) {
    assert.equal(floatToHalf(x), bits, `${x} → 0x${floatToHalf(x).toString(16)}, not 0x${bits.toString(16)}`);
    assert.ok(Object.is(halfToFloat(bits), value), `0x${bits.toString(16)} → ${halfToFloat(bits)}, not ${value}`);
  }
  assert.equal(floatToHalf(NaN) & 0x7fff, 0x7e00);
  for (const h of [0x7e00, 0x7c01, 0xfe00, 0x7fff]) assert.ok(Number.isNaN(halfToFloat(h)), `0x${h.toString(16)} is NaN`);
  for (let h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff)) continue;  // NaNs
    assert.equal(floatToHalf(halfToFloat(h)), h, `0x${h.toString(16)}`);
  }
});

// Written by the version-2 makeSnapshot (before queries and keys): 2 layers × 1 head, [CLS] hi [SEP].
const V2_FILE = '{"format":"headlight-snapshot","version":2,"model":{"name":"v2","cls":"[CLS]","sep":"[SEP]"},"text":{"a":"hi","b":""},' +
  '"view":{"view":"matrix","layer":1},"n":3,"layers":2,"heads_per_layer":1,"tokens":[{"text":"[CLS]","segment":0,"word":-1,"start":-1,"stop":-1},' +
  '{"text":"hi","segment":0,"word":0,"start":0,"stop":2},{"text":"[SEP]","segment":0,"word":-1,"start":-1,"stop":-1}],' +
  '"attention":{"quantization":"u8: w = q / 255","encoding":"gzip+base64","data":"H4sIAAAAAAAAA/vPwNDQwODg0GDs28Dwn0FK6gwAGPWl7xIAAAA="}}';

test('a version-2 file still reads as before: no queries or keys, its specials strings', async () => {
  const back = await readSnapshot(V2_FILE);
  assert.deepEqual(Object.keys(back.data), ['n', 'layers', 'heads_per_layer', 'tokens', 'attention']);
  assert.deepEqual(back.model, { name: 'v2', cls: '[CLS]', sep: '[SEP]' });
  assert.deepEqual(back.view, { view: 'matrix', layer: 1 });
  assert.deepEqual(back.data.tokens.map((t) => [t.text, t.word]), [['[CLS]', -1], ['hi', 0], ['[SEP]', -1]]);
  const want = [1, 0, 0, 0.5, 0.5, 0, 0.25, 0.25, 0.5, 0.2, 0.3, 0.5, 0, 1, 0, 0.1, 0.1, 0.8];
  assert.deepEqual([...back.data.attention].map((w) => Math.round(w * 255)), want.map((w) => Math.round(w * 255)));
  // version 2 knew no null specials: a null one is read as BERT's, as before
  const v2 = JSON.parse(V2_FILE);
  assert.deepEqual((await readSnapshot({ ...v2, model: { name: 'x', cls: null } })).model, { name: 'x', cls: '[CLS]', sep: '[SEP]' });
});

test('a model without special tokens (cls: null, sep: null): read back as null; hiding specials and word level keep every token', async () => {
  const n = 5;
  const r = fakeResultQk(2, 2, n, 4);
  r.tokens = ['The', ' cat', ' sat', '[CLS]', 'null'].map((text, i) => ({ text, segment: 0, word: i, start: -1, stop: -1 }));
  const snap = await makeSnapshot(r, { model: { name: 'gpt2', cls: null, sep: null } });
  assert.deepEqual(snap.model, { name: 'gpt2', cls: null, sep: null });
  const back = await readSnapshot(snapshotText(snap));
  assert.deepEqual(back.model, { name: 'gpt2', cls: null, sep: null });
  const specials = [back.model.cls, back.model.sep];
  const shown = toggled(back.data, { wordLevel: true, hideSpecial: true }, specials);
  assert.equal(shown.n, n);  // "[CLS]" is a text like any other here, and "null" is no special
  assert.deepEqual(shown.tokens.map((t) => t.text), ['The', ' cat', ' sat', '[CLS]', 'null']);
  const hidden = toggled(back.data, { hideSpecial: true }, specials);
  assert.equal(hidden.queries.length, back.data.queries.length);
  // and a missing cls / sep still means BERT's
  assert.deepEqual((await makeSnapshot(r)).model, { name: 'model', cls: '[CLS]', sep: '[SEP]' });
});

test('version 3: bad head_size, queries or keys are refused with a reason', async () => {
  const good = await makeSnapshot(fakeResultQk(1, 2, 3, 4));
  const bad = async (s, re) => assert.rejects(readSnapshot(JSON.stringify(s)), re);
  for (const D of [0, 4097, 2.5, '4', null]) await bad({ ...good, head_size: D }, /"head_size" must be a whole number from 1 to 4096/);
  const { head_size: _, ...noSize } = good;
  await bad(noSize, /"head_size" must be a whole number from 1 to 4096, got undefined/);
  await bad({ ...good, head_size: 2 }, /queries has 48 bytes, not 2·1·2·3·2 .*: the file is damaged/);
  const other = await makeSnapshot(fakeResultQk(1, 2, 3, 5));
  await bad({ ...good, keys: other.keys }, /keys has 60 bytes, not 2·1·2·3·4/);
  const { keys: _k, ...onlyQueries } = good;
  await bad(onlyQueries, /"queries" and "keys" go together, and this file has only "queries"/);
  const { queries: _q, ...onlyKeys } = good;
  await bad(onlyKeys, /only "keys"/);
  const { queries: _q2, keys: _k2, ...neither } = good;
  await bad(neither, /"head_size" without "queries" and "keys"/);
  await bad({ ...good, queries: { ...good.queries, dtype: 'f32' } }, /queries must be \{"dtype": "f16"/);
  await bad({ ...good, keys: { ...good.keys, data: good.keys.data.slice(0, 12) } }, /the keys data is damaged/);
  await bad({ ...good, queries: { ...good.queries, data: '!!not base64!!' } }, /the queries data is damaged/);
  await bad({ ...good, model: { ...good.model, cls: 7 } }, /"model.cls" must be a token's text or null/);
  // Half floats a writer never stores: NaN (0x7e00, 0xfc01) and ±Infinity (0x7c00, 0xfc00), as a damaged or forged file has them.
  for (const [h, shown] of [[0x7e00, 'NaN'], [0xfc01, 'NaN'], [0x7c00, 'Infinity'], [0xfc00, '-Infinity']]) {
    const halves = new Uint16Array(1 * 2 * 3 * 4);
    halves[7] = h;
    const data = gzipSync(new Uint8Array(halves.buffer)).toString('base64');
    await bad({ ...good, queries: { ...good.queries, data } }, new RegExp(`snapshot: queries value 7 is ${shown}: the file is damaged`));
  }
});

test('standalone HTML: the footer line by option, the page\'s own by default; no heading with heading: null', async () => {
  const snap = snapshotText(await makeSnapshot(fakeResult(1, 1, 3)));
  const page = standaloneHtml({ bundle: '', snapshot: snap, title: 'T' });
  assert.ok(page.includes(`<footer>${SAVED_FOOTER}</footer>`) && page.includes('<h1>T</h1>'));
  const other = standaloneHtml({ bundle: '', snapshot: snap, title: 'T', heading: 'H <1>', footer: 'Drawn <here> & now.' });
  assert.ok(other.includes('<footer>Drawn &lt;here&gt; &amp; now.</footer>') && other.includes('<h1>H &lt;1&gt;</h1>') && other.includes('<title>T</title>'));
  assert.ok(!standaloneHtml({ bundle: '', snapshot: snap, heading: null }).includes('<h1>'));
});
