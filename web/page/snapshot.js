// Snapshots: the tokens and attention of one text in a small JSON file (attention quantized to 8 bits, gzipped,
// base64; optionally every head's queries and keys as half floats) that <headlight-attention> draws without
// downloading a model. Pure data functions (Node and browsers).
import { quoted } from './quoted.js';

export const SNAPSHOT_FORMAT = 'headlight-snapshot';
// 3: optional "head_size", "queries" and "keys" (half floats, for the neuron view); "model.cls" / "model.sep" may be
// null (a model without those special tokens). Version 2 files ("heads_per_layer", each token's "word",
// view.selectedHeads) and version 1 files ("heads", no words, view.heads: their drawings have no word level) are still read.
export const SNAPSHOT_VERSION = 3;
const MAX_N = 4096, MAX_LAYERS = 256, MAX_HEADS = 256, MAX_HEAD_SIZE = 4096;
const VIEW_KEYS = ['view', 'layer', 'selectedHeads', 'head', 'filter', 'locked', 'token', 'wordLevel', 'hideSpecial'];
// What each saved drawing-state value must be for the views to take it; one that is not is dropped (the default stays).
const index = (v) => Number.isInteger(v) && v >= 0;
const VIEW_VALUES = {
  view: (v) => typeof v === 'string' && v.length <= 20, layer: index, head: index, token: index,
  selectedHeads: (v) => v === null || (Array.isArray(v) && v.every(index)),
  filter: (v) => ['all', 'AA', 'AB', 'BA', 'BB'].includes(v),
  locked: (v) => v === null || ((v?.side === 'left' || v?.side === 'right') && index(v.index)),
  wordLevel: (v) => typeof v === 'boolean', hideSpecial: (v) => typeof v === 'boolean',
};
const SPECIALS = { cls: '[CLS]', sep: '[SEP]' };  // what a snapshot that names none means (BERT's)

/**
 * result: the engine's {n, layers, heads_per_layer, head_size, tokens: [{text, segment, word, start, stop}], attention:
 * Float32Array [L][A][n][n], queries, keys: Float32Array [L][A][n][D] (or Layers, or absent)}; about: {model: {name, cls,
 * sep} (cls / sep null: the model has no such token), text: {a, b}, view: the drawing state (view, layer, selectedHeads,
 * ...), qk: false to leave the queries and keys out}. Returns the snapshot object. Weights are stored as round(255·w),
 * within 1/510 of the engine's, except that a weight above 0 stays above 0 (stored as at least 1, within 1/255): the
 * head view draws every non-zero line. Queries and keys go in when the result holds both whole (Float32Array) and qk is
 * not false, as half floats rounded to nearest even (within 2^-11 relative, 2^-25 absolute below 2^-14).
 */
export async function makeSnapshot(result, { model = {}, text = {}, view = {}, qk = true } = {}) {
  const { n, layers: L, heads_per_layer: A, tokens, attention } = result;
  if (attention.length !== L * A * n * n) throw new Error(`attention has ${attention.length} values, not ${L}·${A}·${n}·${n}`);
  const q = new Uint8Array(attention.length);  // [L][A][n][n]
  for (let k = 0; k < q.length; ++k) q[k] = attention[k] > 0 ? Math.max(1, Math.min(255, Math.round(attention[k] * 255))) : 0;
  const keptView = Object.fromEntries(VIEW_KEYS.filter((k) => view[k] !== undefined).map((k) => [k, view[k]]));
  const special = (key) => (model[key] === null ? null : model[key] ?? SPECIALS[key]);
  const snap = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    model: { name: String(model.name ?? 'model'), cls: special('cls'), sep: special('sep') },
    text: { a: text.a ?? '', b: text.b ?? '' },
    view: keptView,
    n, layers: L, heads_per_layer: A,
    tokens: tokens.map((t) => ({ text: t.text, segment: t.segment, word: t.word, start: t.start, stop: t.stop })),
    attention: { quantization: 'u8: w = q / 255', encoding: 'gzip+base64', data: toBase64(await gzip(q)) },
  };
  if (qk !== false && result.queries instanceof Float32Array && result.keys instanceof Float32Array) {
    const D = result.head_size;
    if (!Number.isInteger(D) || D < 1 || D > MAX_HEAD_SIZE)
      throw new Error(`head_size must be a whole number from 1 to ${MAX_HEAD_SIZE}, got ${JSON.stringify(D)}`);
    snap.head_size = D;
    for (const which of ['queries', 'keys']) {
      snap[which] = { dtype: 'f16', encoding: 'gzip+base64', data: toBase64(await gzip(halfBytes(result[which], which, L * A * n * D))) };
    }
  }
  return snap;
}

/** A snapshot object → its file text (JSON). */
export const snapshotText = (snap) => JSON.stringify(snap);

/**
 * A snapshot (file text or parsed object) → {data: {n, layers, heads_per_layer, tokens, attention: Float32Array, and,
 * where the file holds them, head_size, queries and keys: Float32Array [L][A][n][D]}, model: {name, cls, sep (null: no
 * such token)}, text, view}. Throws an Error saying what is wrong with a file that is not a readable snapshot.
 */
export async function readSnapshot(input) {
  let s = input;
  if (typeof input === 'string') {
    try { s = JSON.parse(input); } catch (e) { throw new Error(`this is not a Headlight snapshot: not JSON (${e.message})`); }
  }
  if (!s || s.format !== SNAPSHOT_FORMAT) throw new Error('this is not a Headlight snapshot (no "format": "headlight-snapshot")');
  if (![1, 2, SNAPSHOT_VERSION].includes(s.version))
    throw new Error(`this snapshot is version ${quoted(s.version)}; this Headlight reads versions 1 to ${SNAPSHOT_VERSION}: use the headlight-attention.js it was made with`);
  const v1 = s.version === 1;
  const { n, layers: L } = s, A = v1 ? s.heads : s.heads_per_layer;
  const bad = [['n', n, MAX_N], ['layers', L, MAX_LAYERS], [v1 ? 'heads' : 'heads_per_layer', A, MAX_HEADS]].find(([, v, max]) => !Number.isInteger(v) || v < 1 || v > max);
  if (bad) throw new Error(`snapshot: "${bad[0]}" must be a whole number from 1 to ${bad[2]}, got ${quoted(bad[1])}`);
  if (!Array.isArray(s.tokens) || s.tokens.length !== n) throw new Error(`snapshot: ${Array.isArray(s.tokens) ? s.tokens.length : 'no'} tokens for n = ${n}`);
  const tokens = s.tokens.map((t, i) => {
    if (typeof t?.text !== 'string' || (t.segment !== 0 && t.segment !== 1)) throw new Error(`snapshot: token ${i} needs a text and a segment 0 or 1`);
    if (!v1 && !(Number.isInteger(t.word) && t.word >= -1 && t.word < n)) throw new Error(`snapshot: token ${i} needs a word index (-1 for [CLS]/[SEP])`);
    const span = { start: Number.isInteger(t.start) ? t.start : -1, stop: Number.isInteger(t.stop) ? t.stop : -1 };
    return v1 ? { text: t.text, segment: t.segment, ...span } : { text: t.text, segment: t.segment, word: t.word, ...span };
  });
  if (s.attention?.encoding !== 'gzip+base64' || typeof s.attention.data !== 'string')
    throw new Error('snapshot: attention must be {"encoding": "gzip+base64", "data": "..."}');
  let q;
  try { q = await gunzip(fromBase64(s.attention.data), L * A * n * n); } catch (e) { throw new Error(`snapshot: the attention data is damaged (${e.message})`); }
  if (q.length !== L * A * n * n) throw new Error(`snapshot: attention has ${q.length} values, not ${L}·${A}·${n}·${n}: the file is damaged`);
  const attention = new Float32Array(q.length);
  for (let k = 0; k < q.length; ++k) attention[k] = q[k] / 255;
  const saved = s.view && typeof s.view === 'object' ? { ...s.view } : {};
  if (v1 && 'heads' in saved) saved.selectedHeads = saved.heads;
  const view = Object.fromEntries(VIEW_KEYS.filter((k) => Object.hasOwn(saved, k) && VIEW_VALUES[k](saved[k])).map((k) => [k, saved[k]]));
  if (view.locked) view.locked = { side: view.locked.side, index: view.locked.index };
  const data = { n, layers: L, heads_per_layer: A, tokens, attention };
  if (s.version === SNAPSHOT_VERSION) Object.assign(data, await readVectors(s, L, A, n));
  return {
    data,
    model: { name: readText(s.model?.name, 'model.name', 'model'), cls: readSpecial(s, 'cls'), sep: readSpecial(s, 'sep') },
    text: { a: readText(s.text?.a, 'text.a'), b: readText(s.text?.b, 'text.b') },
    view,
  };
}

// model.name, text.a, text.b: a string (a number is taken as its text; absent: the default), not an object or array.
function readText(v, key, fallback = '') {
  if (v !== null && typeof v === 'object') throw new Error(`snapshot: "${key}" must be a string, got ${quoted(v)}`);
  return String(v ?? fallback);
}

// model.cls / model.sep: a string (absent: BERT's); from version 3 on also null, a model without that token. Earlier
// versions took any other value as its text; an object or array never was one.
function readSpecial(s, key) {
  const v = s.model?.[key];
  if (v === null && s.version === SNAPSHOT_VERSION) return null;
  if (v !== undefined && v !== null && typeof v !== 'string' && (s.version === SNAPSHOT_VERSION || typeof v === 'object'))
    throw new Error(`snapshot: "model.${key}" must be a token's text or null, got ${quoted(v)}`);
  return String(v ?? SPECIALS[key]);
}

// A version-3 file's queries and keys, both or neither → {} or {head_size, queries, keys} (Float32Array [L][A][n][D]).
async function readVectors(s, L, A, n) {
  const has = ['queries', 'keys'].filter((k) => s[k] !== undefined && s[k] !== null);
  if (has.length === 0) {
    if (s.head_size !== undefined) throw new Error('snapshot: "head_size" without "queries" and "keys"');
    return {};
  }
  if (has.length === 1) throw new Error(`snapshot: "queries" and "keys" go together, and this file has only "${has[0]}"`);
  const D = s.head_size;
  if (!Number.isInteger(D) || D < 1 || D > MAX_HEAD_SIZE)
    throw new Error(`snapshot: "head_size" must be a whole number from 1 to ${MAX_HEAD_SIZE}, got ${quoted(D)}`);
  const out = { head_size: D };
  for (const which of ['queries', 'keys']) {
    const v = s[which];
    if (v?.dtype !== 'f16' || v.encoding !== 'gzip+base64' || typeof v.data !== 'string')
      throw new Error(`snapshot: ${which} must be {"dtype": "f16", "encoding": "gzip+base64", "data": "..."}`);
    const want = L * A * n * D;
    let bytes;
    try { bytes = await gunzip(fromBase64(v.data), 2 * want); } catch (e) { throw new Error(`snapshot: the ${which} data is damaged (${e.message})`); }
    if (bytes.length !== 2 * want)
      throw new Error(`snapshot: ${which} has ${bytes.length} bytes, not 2·${L}·${A}·${n}·${D} (half floats [L][A][n][D]): the file is damaged`);
    out[which] = halfsToFloats(bytes, which);
  }
  return out;
}

// Float32Array [L][A][n][D] → its half floats as bytes (little-endian); NaN, ±Infinity and a finite value beyond the half
// range (±65504, which would become ±Infinity) are refused: q·k of them is no attention the views can draw.
function halfBytes(values, which, count) {
  if (values.length !== count) throw new Error(`${which} has ${values.length} values, not L·A·n·D = ${count}`);
  const view = new DataView(new ArrayBuffer(2 * count));
  for (let k = 0; k < count; ++k) {
    const h = floatToHalf(values[k]);
    if ((h & 0x7c00) === 0x7c00) {
      throw new Error(`${which} value ${k} is ${values[k]}, ${Number.isFinite(values[k]) ? 'beyond what a half float holds (±65504)'
        : 'not a finite number'}`);
    }
    view.setUint16(2 * k, h, true);
  }
  return new Uint8Array(view.buffer);
}

// Half floats (bytes, little-endian) → Float32Array, through a table of all 65,536 values (built on first use); a NaN or
// ±Infinity (exponent bits all ones), which no snapshot writer stores, is refused.
let HALVES = null;
function halfsToFloats(bytes, which) {
  if (!HALVES) HALVES = Float32Array.from({ length: 0x10000 }, (_, h) => halfToFloat(h));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(bytes.length / 2);
  for (let k = 0; k < out.length; ++k) {
    const h = view.getUint16(2 * k, true);
    if ((h & 0x7c00) === 0x7c00) throw new Error(`snapshot: ${which} value ${k} is ${halfToFloat(h)}: the file is damaged`);
    out[k] = HALVES[h];
  }
  return out;
}

/** An IEEE-754 half float's 16 bits → its value, exactly (subnormals, ±0, ±Infinity, NaN). */
export function halfToFloat(h) {
  const sign = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return sign * f * 2 ** -24;  // zero or subnormal
  if (e === 31) return f ? NaN : sign * Infinity;
  return sign * (1024 + f) * 2 ** (e - 25);
}

const F32 = new Float32Array(1), U32 = new Uint32Array(F32.buffer);
/**
 * A number, taken as a float32 (the engine's arrays are), → the 16 bits of the nearest half float, ties to even:
 * beyond ±65504 (from 65520 on) ±Infinity, below 2^-25 ±0, NaN a quiet NaN (0x7e00, with the sign).
 */
export function floatToHalf(x) {
  F32[0] = x;
  const b = U32[0];
  const sign = (b >>> 16) & 0x8000, exp = (b >>> 23) & 0xff, mant = b & 0x7fffff;
  if (exp === 0xff) return sign | (mant ? 0x7e00 : 0x7c00);
  const e = exp - 112;  // the half's biased exponent (127 - 15)
  if (e >= 31) return sign | 0x7c00;
  // Keep the top bits of the 24-bit significand: 10 of them for a normal half, fewer for a subnormal (e ≤ 0: its value
  // is m·2^-24, m = significand·2^(e-14)); round what is dropped to nearest, ties to even. A carry out of the
  // significand moves into the exponent, which is right (up to Infinity).
  const sig = mant | 0x800000, shift = e > 0 ? 13 : 14 - e;
  if (shift > 24) return sign;  // below 2^-25: rounds to zero
  let h = (e > 0 ? e << 10 : 0) + (sig >>> shift) - (e > 0 ? 0x400 : 0);
  const rest = sig & ((1 << shift) - 1), half = 1 << (shift - 1);
  if (rest > half || (rest === half && (h & 1))) h += 1;
  return sign | h;
}

const pipe = async (bytes, stream) => new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
const gzip = (bytes) => pipe(bytes, new CompressionStream('gzip'));

// gzip → its bytes, where `want` are expected: data that go on for 1 MiB more are refused there, not decompressed to the
// end (a gzip of zeros packs about 1,000 bytes into one: a small file could make the reader allocate gigabytes). A size
// nearer `want` is returned, for the caller's message to give it exactly.
async function gunzip(bytes, want) {
  const most = want + (1 << 20);
  const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > most) {
      reader.cancel().catch(() => {});
      throw new Error(`it decompresses to more than ${most} bytes where ${want} are expected`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.length; }
  return out;
}

function toBase64(bytes) {
  let s = '';
  for (let k = 0; k < bytes.length; k += 0x8000) s += String.fromCharCode(...bytes.subarray(k, k + 0x8000));
  return btoa(s);
}

function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let k = 0; k < s.length; ++k) out[k] = s.charCodeAt(k);
  return out;
}
