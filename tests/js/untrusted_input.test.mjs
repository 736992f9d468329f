// Property tests of the page's parsers of input strangers hand it: snapshot files (readSnapshot), shared links
// (fromQuery, parseHubId), models/builtin.json and models/catalog.json (builtinModels, hubCatalog), a hub checkpoint's
// JSON files (openCheckpoint) and a chosen folder's index (readChosenFiles). Each runs on thousands of seeded random and
// mutated inputs and must give a well-formed result or an Error that says what is wrong, fast, in little memory, with
// Object.prototype untouched. HEADLIGHT_PROPERTY_SEED and HEADLIGHT_PROPERTY_RUNS (cases per parser) override the defaults.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { constants, deflateRawSync, gzipSync } from 'node:zlib';

import { makeSnapshot, readSnapshot, snapshotText } from '../../web/page/snapshot.js';
import { fromQuery, toQuery } from '../../web/page/share.js';
import { hubFileUrl, openCheckpoint, parseHubId, SUPPORTED_TYPES } from '../../web/page/hub.js';
import { builtinModels, fetchModel, MAX_MODEL_FILE_BYTES, readChosenFiles } from '../../web/page/models.js';
import { hubCatalog } from '../../web/page/catalog.js';
import { root } from './fixtures.mjs';
import { deepArrays, hash32, jsonText, mutateText, mutateValue, Random } from './random_input.mjs';

const SEED = Number(process.env.HEADLIGHT_PROPERTY_SEED ?? 20);  // 20: the issue these tests came from
const RUNS = process.env.HEADLIGHT_PROPERTY_RUNS ? Number(process.env.HEADLIGHT_PROPERTY_RUNS) : null;
const HANG_MS = 5000;       // no parser may take this long on one input (they answer in well under 10 ms); a loop that
                            // never yields is caught by the test's own timeout instead
const GROWTH_MB = 200;      // nor raise the process's peak memory by this much on one input (all are under 2 MB)
const TIMEOUT = { timeout: 120000 };

// Messages that come from deep inside a parser, not from a check of the input.
const INTERNAL = new RegExp(['is not a function', 'Cannot read propert', 'Cannot convert', 'is not iterable', 'is not defined',
  'undefined is not', 'null is not', 'Maximum call stack', 'Invalid (typed )?array length', 'allocation failed', '\\[object Object\\]'].join('|'));

// Object.prototype and Array.prototype as they are now: no input may add to them or change them.
const PROTOTYPES = [Object.prototype, Array.prototype].map((p) => [p, Object.getOwnPropertyDescriptors(p)]);
function prototypesIntact() {
  return PROTOTYPES.every(([p, was]) => {
    const now = Object.getOwnPropertyDescriptors(p);
    return Reflect.ownKeys(now).length === Reflect.ownKeys(was).length
      && Reflect.ownKeys(was).every((k) => now[k]?.value === was[k].value && now[k]?.get === was[k].get && now[k]?.set === was[k].set);
  });
}

// An input, short enough for a failure message.
function preview(x) {
  let s;
  try {
    const cut = (v) => (v.length > 400 ? `${v.slice(0, 400)}… (${v.length} characters)` : v);
    const short = (k, v) => (v instanceof File ? `<File ${v.name}, ${v.size} bytes>` : typeof v === 'string' ? cut(v) : v);
    s = typeof x === 'string' ? cut(x) : JSON.stringify(x, short);
  } catch {
    s = `a ${typeof x} that JSON.stringify cannot write`;
  }
  s ??= String(x);
  return s.length > 1000 ? `${JSON.stringify(s.slice(0, 1000))}… (${s.length} characters)` : JSON.stringify(s);
}

/**
 * Runs `parse` on one input: it must answer within HANG_MS, without raising the peak memory by GROWTH_MB or touching
 * the prototypes, with a result that `wellFormed` accepts (it asserts) or an Error of class Error whose message names
 * what is wrong (`names`: where the message must say which input it is about; null: the parser never throws) and holds
 * nothing from deep inside.
 */
async function one(where, input, parse, { wellFormed, names }) {
  const peak = process.resourceUsage().maxRSS;
  let result, error, timer;
  const hang = new Promise((_, no) => { timer = setTimeout(() => no(Object.assign(new Error('hang'), { hang: true })), HANG_MS); });
  try {
    result = await Promise.race([(async () => parse(input))(), hang]);
  } catch (e) {
    error = e;
  } finally {
    clearTimeout(timer);
  }
  assert.ok(!error?.hang, `${where}: no answer after ${HANG_MS} ms`);
  const grew = (process.resourceUsage().maxRSS - peak) / 1024;
  assert.ok(grew < GROWTH_MB, `${where}: the peak memory grew by ${grew.toFixed(0)} MB`);
  assert.ok(prototypesIntact(), `${where}: Object.prototype or Array.prototype was changed`);
  if (!error) return wellFormed(result, input, where);
  assert.ok(names, `${where}: threw, and this parser never throws: ${error?.stack ?? error}`);
  assert.ok(error instanceof Error && error.constructor === Error, `${where}: threw ${error?.stack ?? error}`);
  const m = error.message;
  assert.ok(m.length > 0 && m.length <= 1000, `${where}: a message of ${m.length} characters: ${m.slice(0, 300)}`);
  assert.ok(!INTERNAL.test(m), `${where}: the message comes from deep inside the parser: ${m.slice(0, 300)}`);
  assert.match(m, names, `${where}: the message does not say which input it is about`);
}

/** `count` cases (HEADLIGHT_PROPERTY_RUNS, when set) of make(r) → input, each from a seed of its own. Returns {ok, errors}. */
async function property(name, count, make, parse, checks) {
  const tally = { ok: 0, errors: 0 };
  for (let k = 0; k < (RUNS ?? count); ++k) {
    const r = new Random(hash32(`${SEED}:${name}:${k}`));
    const input = await make(r, k);
    const where = `${name}, case ${k} (HEADLIGHT_PROPERTY_SEED=${SEED}; replay with HEADLIGHT_PROPERTY_RUNS=${k + 1}), input ${preview(input)}`;
    let failed = true;
    await one(where, input, async (x) => {
      const out = await parse(x);
      failed = false;
      return out;
    }, checks);
    tally[failed ? 'errors' : 'ok'] += 1;
  }
  return tally;
}

// The default cases reach both outcomes often enough for either kind of check to be tested (a replay may run fewer).
function reachesBoth(tally) {
  if (RUNS === null) assert.ok(tally.ok > 100 && tally.errors > 100, `the cases reach both outcomes: ${JSON.stringify(tally)}`);
}

// A case from one of several kinds of input, by weight: [[weight, make], ...].
const mix = (kinds) => (r) => {
  let w = r.float() * kinds.reduce((s, [k]) => s + k, 0);
  for (const [k, make] of kinds) if ((w -= k) < 0) return make(r);
  return kinds.at(-1)[1](r);
};

// ---------------------------------------------------------------------------------------------------------------------
// Snapshots

const SNAPSHOT_KEYS = ['format', 'version', 'model', 'name', 'cls', 'sep', 'text', 'a', 'b', 'view', 'n', 'layers', 'heads',
  'heads_per_layer', 'head_size', 'tokens', 'segment', 'word', 'start', 'stop', 'attention', 'queries', 'keys', 'encoding',
  'data', 'dtype', 'quantization', 'layer', 'selectedHeads', 'head', 'filter', 'locked', 'token', 'wordLevel', 'hideSpecial',
  'side', 'index'];

// A small hand-made result: L layers × A heads over n tokens, seeded softmax-like rows, queries and keys with D values.
function handResult(L, A, n, D, r) {
  const attention = new Float32Array(L * A * n * n);
  for (let row = 0; row < L * A * n; ++row) {
    const e = Array.from({ length: n }, () => (r.chance(0.2) ? 0 : r.float()));
    const s = e.reduce((a, b) => a + b) || 1;
    e.forEach((x, j) => { attention[row * n + j] = x / s; });
  }
  const texts = ['[CLS]', 'the', 'cat', '</script><b>', '##s', '[SEP]', 'sat', '\ud83d', '[SEP]'];
  const tokens = Array.from({ length: n }, (_, i) => ({ text: texts[i % texts.length], segment: i > n / 2 ? 1 : 0, word: i - 1,
    start: i, stop: i + 1 }));
  const vector = () => Float32Array.from({ length: L * A * n * D }, () => (r.float() - 0.5) * 2 ** r.range(-20, 10));
  return { n, layers: L, heads_per_layer: A, head_size: D, tokens, attention, queries: vector(), keys: vector() };
}

// Valid snapshots as objects: version 3 with and without queries and keys, one with no special tokens, version 2 and 1.
async function validSnapshots() {
  const r = new Random(SEED);
  const view = { view: 'matrix', layer: 1, selectedHeads: [0, 1], head: 1, filter: 'AB', locked: { side: 'left', index: 2 }, token: 1,
    wordLevel: true, hideSpecial: false };
  const withQk = await makeSnapshot(handResult(2, 2, 5, 3, r), { model: { name: 'hand' }, text: { a: 'the cat', b: 'sat' }, view });
  const noQk = await makeSnapshot(handResult(2, 3, 4, 2, r), { model: { name: 'hand' }, text: { a: 'x' }, view, qk: false });
  const noSpecials = await makeSnapshot(handResult(1, 2, 3, 4, r), { model: { name: 'causal', cls: null, sep: null }, view: { view: 'head' } });
  const { head_size: _d, queries: _q, keys: _k, ...v2 } = { ...noQk, version: 2 };
  const { heads_per_layer: A, ...v2rest } = v2;
  const v1 = { ...v2rest, version: 1, heads: A, view: { heads: [0, 2] }, tokens: v2.tokens.map(({ word, ...t }) => t) };
  return [withQk, noQk, noSpecials, v2, v1];
}

// A gzip member whose data are `megabytes` MB of zeros in little space: one block of 1 MiB of zeros, flushed to a byte
// boundary, repeated (deflate blocks chain); the trailer's CRC is wrong, which only a reader that got to the end sees.
let zeroMiB = null;
function zeroBomb(megabytes) {
  const mb = zeroMiB ??= deflateRawSync(Buffer.alloc(1 << 20), { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const header = gzipSync(Buffer.alloc(0)).subarray(0, 10);
  const last = Buffer.from([0x03, 0x00]);  // an empty final fixed-Huffman block
  return Buffer.concat([header, ...Array(megabytes).fill(mb), last, Buffer.alloc(8)]);
}

// A snapshot's attention or vectors replaced: random bytes, a valid gzip of wrong contents, a gzip of 64 MB of zeros.
function badData(r, snap) {
  const s = structuredClone(snap);
  const which = s.queries && r.chance(0.5) ? r.pick(['queries', 'keys']) : 'attention';
  const bytes = r.int(4) === 0 ? zeroBomb(64) : r.chance(0.5) ? gzipSync(r.bytes(r.int(200))) : r.bytes(r.int(300));
  s[which].data = Buffer.from(bytes).toString(r.chance(0.9) ? 'base64' : 'base64url');
  return jsonText(r, s);
}

// A snapshot claiming sizes it does not have: n = 1e9, a million layers, 4096 tokens of 256 layers × 256 heads.
function hugeClaim(r, snap) {
  const s = structuredClone(snap);
  const claim = r.int(4);
  if (claim === 0) s.n = r.pick([1e9, 2 ** 32, 4097, 1e6]);
  else if (claim === 1) s.layers = r.pick([1e6, 257, 2 ** 31]);
  else if (claim === 2) Object.assign(s, { heads_per_layer: 256, heads: 256, layers: 256 });
  else {
    const tokens = Array.from({ length: 4096 }, (_, i) => ({ text: 't', segment: 0, word: i, start: 0, stop: 1 }));
    Object.assign(s, { n: 4096, layers: 256, heads_per_layer: 256, heads: 256, head_size: 4096, tokens });
  }
  return JSON.stringify(s);  // (jsonText's repeated keys would make 4096 tokens megabytes long)
}

const VIEW_KEYS = ['view', 'layer', 'selectedHeads', 'head', 'filter', 'locked', 'token', 'wordLevel', 'hideSpecial'];
const count = (v) => Number.isInteger(v) && v >= 0;
const VIEW_CHECKS = { view: (v) => typeof v === 'string', layer: count, head: count, token: count,
  selectedHeads: (v) => v === null || (Array.isArray(v) && v.every(count)), filter: (v) => ['all', 'AA', 'AB', 'BA', 'BB'].includes(v),
  locked: (v) => v === null || (['left', 'right'].includes(v?.side) && count(v.index)), wordLevel: (v) => typeof v === 'boolean',
  hideSpecial: (v) => typeof v === 'boolean' };

// readSnapshot's documented result, and the drawing state the element hands to its views.
function wellFormedSnapshot(out, input, where) {
  const { data, model, text, view } = out;
  const { n, layers: L, heads_per_layer: A, tokens, attention } = data;
  for (const [v, most] of [[n, 4096], [L, 256], [A, 256]]) assert.ok(Number.isInteger(v) && v >= 1 && v <= most, `${where}: size ${v}`);
  assert.ok(Array.isArray(tokens) && tokens.length === n, `${where}: ${tokens.length} tokens for n = ${n}`);
  for (const t of tokens) {
    assert.ok(typeof t.text === 'string' && (t.segment === 0 || t.segment === 1) && Number.isInteger(t.start) && Number.isInteger(t.stop),
      `${where}: token ${preview(t)}`);
    assert.ok(t.word === undefined || (Number.isInteger(t.word) && t.word >= -1 && t.word < n), `${where}: word ${t.word}`);
  }
  assert.ok(attention instanceof Float32Array && attention.length === L * A * n * n, `${where}: ${attention.length} weights for ${L}·${A}·${n}·${n}`);
  for (const w of attention) assert.ok(w >= 0 && w <= 1 && Math.abs(w * 255 - Math.round(w * 255)) < 1e-3, `${where}: weight ${w}`);
  if (data.queries !== undefined) {
    const D = data.head_size;
    assert.ok(Number.isInteger(D) && D >= 1 && D <= 4096, `${where}: head_size ${D}`);
    for (const which of ['queries', 'keys']) {
      assert.ok(data[which] instanceof Float32Array && data[which].length === L * A * n * D, `${where}: ${which}`);
    }
  } else {
    assert.ok(data.keys === undefined && data.head_size === undefined, `${where}: keys or head_size without queries`);
  }
  assert.equal(typeof model.name, 'string', where);
  for (const k of ['cls', 'sep']) assert.ok(model[k] === null || typeof model[k] === 'string', `${where}: model.${k}`);
  assert.ok(typeof text.a === 'string' && typeof text.b === 'string', `${where}: text`);
  for (const [k, v] of Object.entries(view)) {
    assert.ok(VIEW_KEYS.includes(k), `${where}: view key ${k}`);
    assert.ok(VIEW_CHECKS[k](v), `${where}: view.${k} = ${preview(v)} is not a value the views take`);
  }
  for (const o of [out, data, model, text, view]) assert.equal(Object.getPrototypeOf(o), Object.prototype, `${where}: a prototype`);
}

test('readSnapshot: random and mutated files give a well-formed snapshot or an Error saying what is wrong', TIMEOUT, async () => {
  const valid = await validSnapshots();
  const texts = valid.map(snapshotText);
  const make = mix([
    [3, (r) => jsonText(r, r.value(4, SNAPSHOT_KEYS))],
    [1, (r) => r.byteText(r.int(400))],
    [1, (r) => r.pick([null, undefined, 0, 3, true, [], {}, r.string()])],  // what a caller may pass instead of text
    [30, (r) => jsonText(r, mutateValue(r, r.pick(valid), SNAPSHOT_KEYS))],
    [12, (r) => mutateText(r, r.pick(texts))],
    [4, (r) => badData(r, r.pick(valid))],
    [3, (r) => hugeClaim(r, r.pick(valid))],
    [2, (r) => r.pick(texts)],
  ]);
  const tally = await property('readSnapshot', 2500, make, readSnapshot,
    { wellFormed: wellFormedSnapshot, names: /^(this is not a Headlight snapshot|this snapshot is version|snapshot: )/ });
  console.log(`readSnapshot: ${tally.ok} read, ${tally.errors} refused`);
  reachesBoth(tally);
});

test('readSnapshot regressions: deep nesting, odd types and a gzip bomb are refused with a reason, bad view values dropped', TIMEOUT, async () => {
  const [good, , , v2] = await validSnapshots();
  const text = (fields) => jsonText(null, { ...good, ...fields });  // (null: no key written twice)
  const deep = deepArrays(10000);
  const refused = async (input, re) => {
    await one(`regression ${preview(input)}`, input, readSnapshot, { wellFormed: () => assert.fail('read'), names: re });
  };
  // String(), JSON.stringify and template literals of 10,000 nested arrays overflow the stack.
  await refused(text({ version: deep }), /^this snapshot is version an array; this Headlight reads versions 1 to 3/);
  await refused(text({ n: deep }), /^snapshot: "n" must be a whole number from 1 to 4096, got an array$/);
  await refused(text({ head_size: deep }), /^snapshot: "head_size" must be a whole number from 1 to 4096, got an array$/);
  await refused(text({ model: { name: deep } }), /^snapshot: "model.name" must be a string, got an array$/);
  await refused(text({ text: { a: 'x', b: { toString: 1 } } }), /^snapshot: "text.b" must be a string, got an object$/);
  await refused(text({ model: { ...good.model, cls: [7] } }), /^snapshot: "model.cls" must be a token's text or null, got an array$/);
  await refused(jsonText(null, { ...v2, model: { ...v2.model, sep: deep } }), /^snapshot: "model.sep" must be a token's text or null, got an array$/);
  await refused(text({ version: 'x'.repeat(100000) }), /^this snapshot is version "x{40}"… \(100000 characters\); this Headlight/);
  // A gzip of 1 GB of zeros in 1.4 MB of base64, for 2·2·5·5 = 100 values: it was decompressed whole (the peak memory
  // grew by 1 GB, 16 s); now it is refused after 1 MiB more than expected.
  await refused(text({ attention: { ...good.attention, data: zeroBomb(1024).toString('base64') } }),
    /^snapshot: the attention data is damaged \(it decompresses to more than 1048676 bytes where 100 are expected\)$/);
  await refused(text({ queries: { ...good.queries, data: zeroBomb(1024).toString('base64') } }),
    /^snapshot: the queries data is damaged \(it decompresses to more than 1048696 bytes where 120 are expected\)$/);
  // The drawing state: values the views cannot take are dropped (the element keeps its defaults), not handed on.
  const view = { view: 7, layer: '1', selectedHeads: 'abc', head: -1, filter: 'AC', locked: { side: 0, index: 2 }, token: 1.5,
    wordLevel: 'yes', hideSpecial: true };
  const back = await readSnapshot(JSON.stringify({ ...good, view }).replace('"hideSpecial":true', '"hideSpecial":true,"__proto__":{"layer":3}'));
  assert.deepEqual(back.view, { hideSpecial: true });
  assert.equal(Object.getPrototypeOf(back.view), Object.prototype);
  const locked = await readSnapshot(JSON.stringify({ ...good, view: { locked: { side: 'left', index: 2, junk: deep.text } } }));
  assert.deepEqual(locked.view, { locked: { side: 'left', index: 2 } });
});

// ---------------------------------------------------------------------------------------------------------------------
// Shared links: ?a=…&view=…&hub=owner/name

const SHARE_KEYS = ['a', 'b', 'model', 'hub', 'view', 'layer', 'heads', 'head', 'filter', 'lock', 'token', 'words', 'hide',
  'weighting', 'relation', 'method'];
const SHARE_VALUES = { view: ['head', 'model', 'neuron', 'matrix', 'patterns', 'layers', 'headmap', 'syntax', 'rollout'],
  filter: ['all', 'AA', 'AB', 'BA', 'BB'], method: ['rollout', 'flow'] };
const small = (v) => Number.isInteger(v) && v >= 0 && v <= 9999;
const STATE_CHECKS = { view: (v) => SHARE_VALUES.view.includes(v), layer: small, head: small, token: small,
  selectedHeads: (v) => Array.isArray(v) && v.every(small) && v.every((h, i) => i === 0 || h > v[i - 1]),
  filter: (v) => SHARE_VALUES.filter.includes(v), locked: (v) => ['left', 'right'].includes(v.side) && small(v.index) && Object.keys(v).length === 2,
  wordLevel: (v) => v === true, hideSpecial: (v) => v === true, weighting: (v) => v === 'norm',
  relation: (v) => /^[a-z]{1,20}(:[a-z]{1,20})?$/.test(v), method: (v) => SHARE_VALUES.method.includes(v) };

// A page state as the page holds it, random but valid, and texts of any characters.
function randomState(r) {
  const view = r.pick(SHARE_VALUES.view);
  const heads = [...new Set(Array.from({ length: r.int(5) }, () => r.int(16)))].sort((x, y) => x - y);
  return { view, layer: r.int(24), head: r.int(16), selectedHeads: r.chance(0.2) ? null : heads,
    filter: r.pick(SHARE_VALUES.filter), locked: r.chance(0.5) ? null : { side: r.pick(['left', 'right']), index: r.int(512) },
    token: r.int(512), wordLevel: r.chance(0.5), hideSpecial: r.chance(0.5), weighting: r.pick(['attention', 'norm']),
    relation: r.pick(['all', 'nsubj', 'acl:relcl', 'det']), method: r.pick(['rollout', 'flow']) };
}
// (Texts of 100,000 characters now and then: URLSearchParams takes a millisecond for each.)
const linkText = (r) => r.string().slice(0, r.chance(0.97) ? 300 : 100000);
const randomLink = (r) => ({ a: linkText(r), b: r.chance(0.5) ? linkText(r) : '',
  model: r.chance(0.5) ? r.pick(['headlight-mini', linkText(r)]) : null, hub: r.chance(0.3) ? r.pick(['google-bert/bert-base-uncased', linkText(r)]) : null,
  state: randomState(r) });

function wellFormedLink(out, input, where) {
  assert.deepEqual(Object.keys(out), ['a', 'b', 'model', 'hub', 'state'], where);
  for (const k of ['a', 'b', 'model', 'hub']) assert.ok(out[k] === null || typeof out[k] === 'string', `${where}: ${k}`);
  for (const [k, v] of Object.entries(out.state)) assert.ok(STATE_CHECKS[k]?.(v), `${where}: state.${k} = ${preview(v)}`);
}

test('fromQuery: any query gives a state of valid values only, and every link the page writes reads back', TIMEOUT, async () => {
  const real = toQuery({ a: 'The cat sat on the mat.', b: 'It was warm & <b>dry</b>?', model: 'headlight-mini', hub: 'google-bert/bert-base-uncased',
    state: { view: 'neuron', layer: 2, selectedHeads: [1, 3], head: 3, filter: 'AB', locked: { side: 'right', index: 7 }, token: 4,
      wordLevel: true, hideSpecial: true, weighting: 'norm' } });
  const make = mix([
    [4, (r) => r.query(SHARE_KEYS)],
    [4, (r) => mutateText(r, real)],
    [1, (r) => r.byteText(r.int(300))],
    [1, (r) => `?${SHARE_KEYS.map((k) => `${k}=${encodeURIComponent(r.string().slice(0, 200).toWellFormed())}`).join('&')}`],
  ]);
  // fromQuery drops what does not parse: it never throws (names: null)
  await property('fromQuery', 3000, make, fromQuery, { wellFormed: wellFormedLink, names: null });
  // Round trip: what toQuery writes comes back (texts as URLs carry them: a lone surrogate becomes U+FFFD).
  await property('toQuery → fromQuery', 1500, (r) => randomLink(r), (link) => fromQuery(`?${toQuery(link)}`), { names: null,
    wellFormed(out, link, where) {
      wellFormedLink(out, link, where);
      const s = link.state;
      const texts = [link.a, link.b, link.model || null, link.hub || null].map((t) => t?.toWellFormed() ?? null);
      assert.deepEqual([out.a, out.b || '', out.model, out.hub], texts, where);
      // what the link holds: the state less its defaults, and token, relation and method only in their views
      const want = { layer: s.layer, head: s.head, ...(s.view !== 'head' && { view: s.view }),
        ...(s.selectedHeads && { selectedHeads: s.selectedHeads }), ...(s.filter !== 'all' && { filter: s.filter }),
        ...(s.locked && { locked: s.locked }), ...(s.view === 'neuron' && { token: s.token }), ...(s.wordLevel && { wordLevel: true }),
        ...(s.hideSpecial && { hideSpecial: true }), ...(s.weighting === 'norm' && { weighting: 'norm' }),
        ...(s.view === 'syntax' && s.relation !== 'all' && { relation: s.relation }),
        ...(s.view === 'rollout' && s.method === 'flow' && { method: 'flow' }) };
      assert.deepEqual(out.state, want, where);
    } });
});

test('parseHubId: any text gives an id whose file URLs stay in that repo, or the message saying what an id looks like', TIMEOUT, async () => {
  const ids = ['google-bert/bert-base-uncased', 'a/b@refs/pr/1', 'test/tiny-bert@v1.0', 'sentence-transformers/all-MiniLM-L6-v2@main'];
  const parts = ['.', '..', '/', '@', '-', '_', '%2e', '%2F', '\\', '?', '#', ' ', '\t', 'a', '0'];
  const make = mix([
    [3, (r) => r.string()],
    [4, (r) => mutateText(r, r.pick(ids))],
    [4, (r) => Array.from({ length: r.range(1, 8) }, () => (r.chance(0.6) ? r.pick(parts) : r.chars(r.range(1, 3)))).join('')],
    [2, (r) => `${r.pick(['a', 'x.y', 'A-1'])}/${r.pick(['b', 'c_d', 'e.f'])}@${Array.from({ length: r.range(1, 5) }, () => r.pick(parts)).join('')}`],
    [1, (r) => fromQuery(r.query(['hub'])).hub],
  ]);
  const endpoint = 'https://huggingface.co';
  // A regression: the revision '.' was taken, and its URLs lost the revision (…/resolve/./config.json is …/resolve/config.json).
  assert.throws(() => parseHubId('x.y/c_d@.'), /^Error: "x.y\/c_d@." is not a Hugging Face model id/);
  await property('parseHubId', 3000, make, parseHubId, { names: /^".*" is not a Hugging Face model id: write owner\/name/s,
    wellFormed(ref, input, where) {
      assert.deepEqual(Object.keys(ref), ['id', 'revision'], where);
      const url = new URL(hubFileUrl(endpoint, ref, 'config.json'));
      assert.equal(url.origin, endpoint, where);
      // the URL as fetch() will send it: no dot segment or escape moves it out of /{id}/resolve/{revision}/
      assert.equal(url.pathname, `/${ref.id}/resolve/${encodeURIComponent(ref.revision)}/config.json`, where);
      assert.equal(url.search + url.hash, '', where);
    } });
});

// ---------------------------------------------------------------------------------------------------------------------
// The hub's files, models/builtin.json, models/catalog.json, a chosen folder

// Serves `files` ({name: text}) at every URL by its last segment, as a site or the hub does: 404 for a file it lacks,
// HEAD without a body. fetch() is replaced for the duration of run().
async function withFiles(files, run) {
  const real = globalThis.fetch;
  globalThis.fetch = async (url, { method = 'GET' } = {}) => {
    const name = decodeURIComponent(new URL(url).pathname.split('/').pop());
    if (!Object.hasOwn(files, name)) return new Response('Entry not found', { status: 404 });
    return new Response(method === 'HEAD' ? null : files[name], { status: 200 });
  };
  try {
    return await run();
  } finally {
    globalThis.fetch = real;
  }
}

const json = (v) => JSON.stringify(v, null, 2);
// config.json as the hub has them (google-bert/bert-base-uncased, FacebookAI/roberta-base, distilbert-base-uncased).
const BERT = { architectures: ['BertForMaskedLM'], attention_probs_dropout_prob: 0.1, gradient_checkpointing: false, hidden_act: 'gelu',
  hidden_dropout_prob: 0.1, hidden_size: 768, initializer_range: 0.02, intermediate_size: 3072, layer_norm_eps: 1e-12,
  max_position_embeddings: 512, model_type: 'bert', num_attention_heads: 12, num_hidden_layers: 12, pad_token_id: 0,
  position_embedding_type: 'absolute', transformers_version: '4.6.0.dev0', type_vocab_size: 2, use_cache: true, vocab_size: 30522 };
const ROBERTA = { architectures: ['RobertaForMaskedLM'], attention_probs_dropout_prob: 0.1, bos_token_id: 0, eos_token_id: 2,
  hidden_act: 'gelu', hidden_dropout_prob: 0.1, hidden_size: 768, initializer_range: 0.02, intermediate_size: 3072, layer_norm_eps: 1e-5,
  max_position_embeddings: 514, model_type: 'roberta', num_attention_heads: 12, num_hidden_layers: 12, pad_token_id: 1, type_vocab_size: 1,
  vocab_size: 50265 };
const DISTILBERT = { activation: 'gelu', architectures: ['DistilBertForMaskedLM'], attention_dropout: 0.1, dim: 768, dropout: 0.1,
  hidden_dim: 3072, initializer_range: 0.02, max_position_embeddings: 512, model_type: 'distilbert', n_heads: 12, n_layers: 6,
  pad_token_id: 0, qa_dropout: 0.1, seq_classif_dropout: 0.2, sinusoidal_pos_embds: false, tie_weights_: true, vocab_size: 30522 };
const TOKENIZER_JSON = { version: '1.0', truncation: null, padding: null, added_tokens: [{ id: 0, content: '<s>', special: true }],
  normalizer: null, pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true },
  post_processor: { type: 'RobertaProcessing', sep: ['</s>', 2], cls: ['<s>', 0] },
  model: { type: 'BPE', vocab: { '<s>': 0, '<pad>': 1, '</s>': 2, 'Ġthe': 3 }, merges: ['Ġ t', 'h e'] } };
const TENSORS = ['embeddings.word_embeddings.weight', 'embeddings.position_embeddings.weight', 'encoder.layer.0.attention.self.query.weight',
  'encoder.layer.0.output.dense.weight', 'encoder.layer.11.output.LayerNorm.bias', 'cls.predictions.bias'];
const index = (prefix, shards) => json({ metadata: { total_size: 437985387 },
  weight_map: Object.fromEntries(TENSORS.map((t, i) => [`${prefix}${t}`, `model-0000${1 + (i % shards)}-of-0000${shards}.safetensors`])) });
const VOCAB = '[PAD]\n[unused0]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nthe\ncat\n##s\n';
const REPOS = [
  { 'config.json': json(BERT), 'vocab.txt': VOCAB, 'tokenizer_config.json': json({ do_lower_case: true }), 'model.safetensors': '' },
  { 'config.json': json(BERT), 'vocab.txt': VOCAB, 'model.safetensors.index.json': index('bert.', 2), 'pytorch_model.bin': '' },
  { 'config.json': json(ROBERTA), 'tokenizer.json': json(TOKENIZER_JSON), 'tokenizer_config.json': json({ model_max_length: 512 }),
    'model.safetensors.index.json': index('roberta.', 3) },
  { 'config.json': json(DISTILBERT), 'vocab.txt': VOCAB, 'model.safetensors': '' },
];
const HUB_KEYS = [...new Set([BERT, ROBERTA, DISTILBERT, TOKENIZER_JSON].flatMap(Object.keys).concat(['weight_map', 'metadata', 'total_size']))];
const EXPECTED = JSON.parse(readFileSync(path.join(root, 'models/catalog.json'), 'utf8')).models[0].expected_config;  // bert-base-uncased's

// A file mutated: its text edited, its JSON value changed, replaced by random JSON or bytes, or left out.
function mutateFile(r, text, keys) {
  const parsed = (() => { try { return JSON.parse(text); } catch { return undefined; } })();
  switch (r.int(parsed === undefined ? 3 : 5)) {
    case 0: return r.chance(0.5) ? undefined : r.byteText(r.int(300));
    case 1: return mutateText(r, text);
    case 2: return jsonText(r, r.value(3, keys));
    default: return jsonText(r, mutateValue(r, parsed, keys));
  }
}

// A hub repository: one of REPOS, sometimes with an index added, each file then mutated at a rate of 1 in 4.
function randomRepo(r) {
  const files = { ...r.pick(REPOS) };
  if (r.chance(0.2)) files['model.safetensors.index.json'] = index(r.pick(['', 'bert.']), r.range(1, 3));
  for (const name of Object.keys(files)) {
    if (!r.chance(0.25)) continue;
    const next = mutateFile(r, files[name], HUB_KEYS);
    if (next === undefined) delete files[name];
    else files[name] = next;
  }
  return { files, expected: r.chance(0.3) ? EXPECTED : null };
}

const SHARD = /^[\w-][\w.-]*\.safetensors$/;
function wellFormedCheckpoint(out, { files, expected }, where) {
  assert.equal(out.name, 'test/repo', where);
  const config = JSON.parse(out.texts.config);
  assert.ok(SUPPORTED_TYPES.includes(config.model_type), `${where}: model_type ${preview(config.model_type)}`);
  for (const [k, v] of Object.entries(expected ?? {})) assert.equal(config[k], v, `${where}: ${k}`);
  const names = { config: 'config.json', vocab: 'vocab.txt', tokenizerConfig: 'tokenizer_config.json', tokenizerJson: 'tokenizer.json' };
  // (texts as they come over HTTP: UTF-8, so a lone surrogate is U+FFFD)
  for (const [k, file] of Object.entries(names)) assert.equal(out.texts[k], files[file]?.toWellFormed() ?? null, `${where}: ${k}`);
  assert.ok(out.texts.vocab !== null || out.texts.tokenizerJson !== null, `${where}: no tokenizer`);
  if (out.weightsFile === 'model.safetensors') {
    assert.deepEqual([out.files, out.texts.index], [['model.safetensors'], null], where);
  } else {
    assert.equal(out.weightsFile, 'model.safetensors.index.json', where);
    assert.equal(out.texts.index, files['model.safetensors.index.json'].toWellFormed(), where);
    assert.deepEqual(out.files, [...new Set(Object.values(JSON.parse(out.texts.index).weight_map))].sort(), where);
    assert.ok(out.files.length > 0 && out.files.every((f) => SHARD.test(f)), `${where}: shard names ${preview(out.files)}`);
  }
}

test('openCheckpoint: random and mutated hub files give the checkpoint\'s files or an Error naming the model and file', TIMEOUT, async () => {
  const ref = parseHubId('test/repo');
  const make = mix([[1, (r) => ({ files: REPOS[0], expected: null })], [30, randomRepo]]);
  const tally = await property('openCheckpoint', 1500, make,
    ({ files, expected }) => withFiles(files, () => openCheckpoint(ref, { endpoint: 'https://hub.invalid', expected })),
    { wellFormed: wellFormedCheckpoint, names: /test\/repo/ });
  console.log(`openCheckpoint: ${tally.ok} opened, ${tally.errors} refused`);
  reachesBoth(tally);
});

// models/builtin.json: the repository's, and as npm run build writes it for a model in parts.
const BUILTIN = readFileSync(path.join(root, 'models/builtin.json'), 'utf8');
const BUILTIN_PARTS = (() => {
  const m = JSON.parse(BUILTIN);
  const model = m.models[0];
  model.parts = [0, 1, 2].map((k) => ({ file: `${model.file}.part${k}`, bytes: k < 2 ? 3000000 : model.bytes - 6000000, sha256: 'ab'.repeat(32) }));
  m.models.push({ id: 'google-bert/bert-base-uncased', name: 'bert-base-uncased', file: 'hub/bert-base-uncased.hlm', bytes: 110000000,
    sha256: 'cd'.repeat(32) });  // a hub model shipped with the site (npm run build -- --model ID)
  return json(m);
})();
const BUILTIN_KEYS = ['version', 'models', 'default', 'id', 'name', 'file', 'bytes', 'sha256', 'card', 'parts'];
const SHA256 = /^[0-9a-f]{64}$/;

function wellFormedBuiltins(out, input, where) {
  const { models, defaultId } = out;
  assert.ok(Array.isArray(models) && models.length > 0, `${where}: no models`);
  for (const m of models) {
    assert.ok(typeof m.id === 'string' && m.id && typeof m.name === 'string', `${where}: id, name ${preview(m)}`);
    assert.equal(new URL(m.url).href, m.url, `${where}: url`);
    assert.ok(m.bytes === undefined || (Number.isSafeInteger(m.bytes) && m.bytes >= 0 && m.bytes <= 2 ** 32), `${where}: bytes ${m.bytes}`);
    assert.ok(m.sha256 === undefined || SHA256.test(m.sha256), `${where}: sha256 ${preview(m.sha256)}`);
    if (m.parts === undefined) continue;
    assert.ok(Array.isArray(m.parts) && m.parts.length > 0, `${where}: parts`);
    for (const p of m.parts) {
      assert.ok(new URL(p.url).href === p.url && Number.isSafeInteger(p.bytes) && p.bytes >= 0 && SHA256.test(p.sha256), `${where}: part ${preview(p)}`);
    }
    assert.equal(m.parts.reduce((s, p) => s + p.bytes, 0), m.bytes, `${where}: the parts add up to the model's bytes`);
  }
  assert.ok(models.some((m) => m.id === defaultId), `${where}: default ${preview(defaultId)}`);
}

test('builtinModels: random and mutated models/builtin.json give models to download or an Error naming the file', TIMEOUT, async () => {
  const make = mix([[1, (r) => jsonText(r, r.value(3, BUILTIN_KEYS))], [1, (r) => r.byteText(r.int(200))],
    [12, (r) => jsonText(r, mutateValue(r, JSON.parse(r.pick([BUILTIN, BUILTIN_PARTS])), BUILTIN_KEYS))],
    [4, (r) => mutateText(r, r.pick([BUILTIN, BUILTIN_PARTS]))], [1, (r) => r.pick([BUILTIN, BUILTIN_PARTS])]]);
  const read = (text) => withFiles({ 'builtin.json': text }, () => builtinModels('https://site.invalid/app/'));
  const tally = await property('builtinModels', 1500, make, read, { wellFormed: wellFormedBuiltins, names: /models\/builtin\.json/ });
  console.log(`builtinModels: ${tally.ok} read, ${tally.errors} refused`);
  reachesBoth(tally);
});

const CATALOG = readFileSync(path.join(root, 'models/catalog.json'), 'utf8');
const CATALOG_KEYS = ['models', 'id', 'hub_id', 'revision', 'description', 'expected_config', 'files', ...Object.keys(EXPECTED), 'dim',
  'n_layers', 'n_heads', 'hidden_dim'];

test('hubCatalog: random and mutated models/catalog.json give picker entries or an Error naming the file', TIMEOUT, async () => {
  const make = mix([[1, (r) => jsonText(r, r.value(3, CATALOG_KEYS))], [1, (r) => r.byteText(r.int(200))],
    [12, (r) => jsonText(r, mutateValue(r, JSON.parse(CATALOG), CATALOG_KEYS))], [3, (r) => mutateText(r, CATALOG)], [1, () => CATALOG]]);
  const read = (text) => withFiles({ 'catalog.json': text }, () => hubCatalog('https://site.invalid/app/'));
  const tally = await property('hubCatalog', 1200, make, read, {
    names: /models\/catalog\.json/,
    wellFormed(entries, input, where) {
      assert.ok(Array.isArray(entries), where);
      for (const e of entries) {
        assert.ok(typeof e.id === 'string' && typeof e.hubId === 'string' && typeof e.revision === 'string', `${where}: ${preview(e)}`);
        assert.ok(e.description === undefined || typeof e.description === 'string', `${where}: description`);
        assert.ok(Number.isFinite(e.bytes) && e.bytes > 0, `${where}: bytes ${e.bytes}`);
        assert.ok(typeof e.label === 'string' && e.label.startsWith(e.id), `${where}: label ${preview(e.label)}`);
        assert.ok(!/NaN|undefined|null|Infinity|\[object/.test(e.label.slice(e.id.length)), `${where}: label ${preview(e.label)}`);
      }
    } });
  console.log(`hubCatalog: ${tally.ok} read, ${tally.errors} refused`);
  reachesBoth(tally);
});

test('readChosenFiles: a chosen folder with random and mutated files gives what to convert or an Error saying what is missing', TIMEOUT, async () => {
  const names = ['config.json', 'vocab.txt', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors', 'model.safetensors.index.json',
    'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'pytorch_model.bin', 'x.hlm', '__proto__', 'constructor'];
  const make = (r) => {
    const { files } = randomRepo(r);
    for (const [name, text] of Object.entries(files)) if (text === '') files[name] = 'weights';
    if (files['model.safetensors.index.json']) for (const k of [1, 2]) if (r.chance(0.8)) files[`model-0000${k}-of-00002.safetensors`] = 'weights';
    if (r.chance(0.2)) files[r.pick(names)] = r.chance(0.5) ? r.string().slice(0, 1000) : '';
    return Object.entries(files).filter(() => r.chance(0.95)).map(([name, text]) => new File([text], name));
  };
  const tally = await property('readChosenFiles', 1200, make, readChosenFiles, {
    names: /^(choose a Headlight \.hlm file|model\.safetensors\.index\.json )/,
    async wellFormed(out, list, where) {
      if (out.kind === 'hlm') return assert.ok(out.bytes instanceof Uint8Array && out.name.endsWith('.hlm'), where);
      assert.equal(out.kind, 'hf', where);
      assert.ok(typeof out.texts.config === 'string' && (out.texts.vocab !== null || out.texts.tokenizerJson !== null), `${where}: texts`);
      assert.ok(out.weights.length > 0 && out.weights.every((f) => list.includes(f)), `${where}: weights`);
      if (out.texts.index !== null) {
        const want = [...new Set(Object.values(JSON.parse(out.texts.index).weight_map))].sort();
        assert.deepEqual(out.weights.map((f) => f.name), want, where);
      } else {
        assert.deepEqual(out.weights.map((f) => f.name), ['model.safetensors'], where);
      }
    } });
  console.log(`readChosenFiles: ${tally.ok} read, ${tally.errors} refused`);
  reachesBoth(tally);
});

test('regressions: hub files, builtin.json, catalog.json and a chosen index that threw from deep inside or said the wrong thing', TIMEOUT, async () => {
  const deep = deepArrays(10000).text;
  const refused = (where, input, parse, names) => one(`regression ${where}`, input, parse,
    { wellFormed: () => assert.fail(`${where}: read`), names });
  const hub = (files, expected = null) => withFiles(files,
    () => openCheckpoint(parseHubId('test/repo'), { endpoint: 'https://hub.invalid', expected }));
  const [bert, sharded] = REPOS;
  // An index that is JSON but no object was "not JSON (Cannot read properties of null…)"; nested file names overflowed sort().
  await refused('index null', { ...sharded, 'model.safetensors.index.json': 'null' }, hub,
    /^test\/repo's model.safetensors.index.json does not list its files as plain .safetensors names$/);
  await refused('index deep', { ...sharded, 'model.safetensors.index.json': `{"weight_map":{"a":${deep},"b":"x.safetensors"}}` }, hub,
    /does not list its files as plain .safetensors names$/);
  // config.json values went into the message whole: 10,000 nested arrays overflowed JSON.stringify, megabytes were printed.
  await refused('model_type deep', { ...bert, 'config.json': `{"model_type":${deep}}` }, hub,
    /^test\/repo is a model whose model_type is an array; Headlight runs bert/);
  await refused('hidden_size deep', { ...bert, 'config.json': `{"model_type":"bert","hidden_size":${deep}}` }, (f) => hub(f, EXPECTED),
    /^test\/repo's config.json has hidden_size = an array where the catalog \(models\/catalog.json\) says 768/);
  await refused('hidden_size long', { ...bert, 'config.json': JSON.stringify({ ...BERT, hidden_size: 'x'.repeat(1e6) }) }, (f) => hub(f, EXPECTED),
    /has hidden_size = "x{40}"… \(1000000 characters\) where the catalog/);
  // builtin.json was not checked: TypeErrors, a model at models/undefined, a buffer of the bytes it claims, a default it lacks.
  const builtin = (text) => withFiles({ 'builtin.json': text }, () => builtinModels('https://site.invalid/app/'));
  const entry = { id: 'm', name: 'm', file: 'm.hlm', bytes: 3, sha256: 'ab'.repeat(32) };
  await refused('builtin null', 'null', builtin, /^models\/builtin.json lists no models: the site's copy is damaged/);
  await refused('builtin not JSON', '{"models": [', builtin, /^models\/builtin.json is not JSON \(.*\): the site's copy is damaged/);
  await refused('builtin model null', '{"models": [null]}', builtin, /^models\/builtin.json has a model \(0\) without an "id", a "name" or a "file"/);
  await refused('builtin no file', JSON.stringify({ models: [{ ...entry, file: undefined }] }), builtin,
    /has a model \(0\) without an "id", a "name" or a "file"/);
  const huge = { ...entry, bytes: 1e12, parts: [{ file: 'p0', bytes: 1e12, sha256: entry.sha256 }] };  // fetchModel allocated it first
  await refused('builtin 1e12 bytes', JSON.stringify({ models: [huge] }), builtin,
    /^models\/builtin.json gives "m" 1000000000000 bytes, not a whole number up to 1.5 GiB \(the largest model file the page reads\)/);
  await refused('builtin parts', JSON.stringify({ models: [{ ...entry, parts: [{ file: 'p0', bytes: 2, sha256: entry.sha256 }] }] }), builtin,
    /^models\/builtin.json gives "m" parts of 2 bytes in all, not its "bytes" \(3\)/);
  await refused('builtin default', JSON.stringify({ models: [entry], default: 'other' }), builtin,
    /names a default model \("other"\) it does not list/);
  // catalog.json was not checked: a TypeError without expected_config, an entry "≈NaN MB" without sizes.
  const catalog = (text) => withFiles({ 'catalog.json': text }, () => hubCatalog('https://site.invalid/app/'));
  await refused('catalog no config', '{"models":[{"id":"x","hub_id":"a/b"}]}', catalog,
    /^models\/catalog.json gives "x" no "expected_config" of numbers and texts/);
  await refused('catalog no sizes', '{"models":[{"id":"x","hub_id":"a/b","expected_config":{}}]}', catalog,
    /gives "x" an "expected_config" without positive whole sizes/);
  // A chosen folder's index: null was "not JSON (Cannot read…)"; objects were listed as [object Object]; 10,000 names in full.
  const chosen = (index) => [new File([json(BERT)], 'config.json'), new File([VOCAB], 'vocab.txt'), new File([index], 'model.safetensors.index.json')];
  await refused('chosen index null', chosen('null'), readChosenFiles, /^choose a Headlight .hlm file, .*\(missing: model.safetensors\)$/);
  await refused('chosen index objects', chosen(`{"weight_map":{"a":{"b":1},"c":${deep}}}`), readChosenFiles,
    /^model.safetensors.index.json has a "weight_map" whose values are not file names$/);
  const many = JSON.stringify({ weight_map: Object.fromEntries(Array.from({ length: 10000 }, (_, i) => [`t${i}`, `model-${i}.safetensors`])) });
  await refused('chosen 10,000 files', chosen(many), readChosenFiles,
    /^model.safetensors.index.json lists "model-0.safetensors", "model-1.safetensors", "model-10.safetensors" and 9997 more: choose those/);
});

test('size limits: a 2 GB model file, a 100 MB config.json and a server claiming or sending 2 GB are refused before they are read', async () => {
  // A File whose contents must never be read: only its size is looked at.
  const unread = (name, size) => ({ name, size, arrayBuffer: () => assert.fail(`${name} was read`), text: () => assert.fail(`${name} was read`),
    stream: () => assert.fail(`${name} was read`) });
  await assert.rejects(readChosenFiles([unread('big.hlm', 2 ** 31)]),
    /^Error: big\.hlm is 2 GiB; the page reads model files up to 1\.5 GiB \(convert it again with int8 weights/);
  await assert.rejects(readChosenFiles([unread('config.json', 100 * 2 ** 20), unread('model.safetensors', 10)]),
    /^Error: config\.json is 100 MiB; the page reads a checkpoint's text files up to 64 MiB/);
  assert.equal(MAX_MODEL_FILE_BYTES, 1.5 * 2 ** 30);
  // A server that claims 2 GB is refused from its header; one that sends more than it claims, as the bytes pass the limit.
  const real = globalThis.fetch;
  let pulled = 0;
  const endless = (claim) => new Response(new ReadableStream({ pull(c) { pulled += 1 << 20; c.enqueue(new Uint8Array(1 << 20)); } }),
    { headers: claim ? { 'content-length': String(claim) } : {} });
  try {
    globalThis.fetch = async () => endless(2 ** 31);
    await assert.rejects(fetchModel({ url: 'https://site.invalid/m.hlm' }, () => {}), /m\.hlm is 2 GiB; the page reads model files up to 1\.5 GiB/);
    assert.ok(pulled <= 4 << 20, `${pulled} bytes were read`);
    globalThis.fetch = async () => endless(0);
    await assert.rejects(fetchModel({ url: 'https://site.invalid/m.hlm', bytes: 5 << 20 }, () => {}),
      /size mismatch: m\.hlm sends more than the 5242880 bytes models\/builtin.json gives/);
    assert.ok(pulled <= 16 << 20, `${pulled} bytes were read`);
  } finally {
    globalThis.fetch = real;
  }
});
